/**
 * GraphBuilder: what a built model contains, how values are typed and named, the `op` escape
 * hatch, and the mistakes it refuses before anything runs.
 */
import { MechintError, Tensor, decodeModel, describeTensorType, encodeModel } from '../src/index.node.js';
import { GraphBuilder, MAX_OPSET, MIN_OPSET, attr, attributeProto } from '../src/builder/index.js';
import { AttributeProto_AttributeType } from '../src/onnx/gen/onnx_pb.js';
import { run, runModel } from './helpers/builder.js';

function expectError(f: () => unknown, code: string, message?: RegExp): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(MechintError.isInstance(caught)).toBe(true);
  expect((caught as MechintError).code).toBe(code);
  if (message !== undefined) expect((caught as MechintError).message).toMatch(message);
}

describe('a built model', () => {
  it('declares IR version 8, the producer and the default-domain opset 17 by default', () => {
    const g = new GraphBuilder({ name: 'gram' });
    const x = g.input('x', 'float32', ['n', 'd']);
    g.output(g.matmul(x, g.transpose(x)), 'gram');
    const model = g.build();
    expect(model.irVersion).toBe(8);
    expect(model.opset()).toBe(17);
    expect(model.proto.producerName).toBe('@mechint/core');
    expect(model.graph.proto.name).toBe('gram');
  });

  it.each([
    [13, 7],
    [15, 8],
    [18, 8],
    [19, 9],
    [21, 10],
    [23, 11],
  ])('stamps opset %i with IR version %i, and onnxruntime loads it', async (opset, ir) => {
    const g = new GraphBuilder({ opset });
    g.output(g.add(g.input('x', 'float32', [2]), 1), 'y');
    const model = g.build();
    expect(model.irVersion).toBe(ir);
    const { y } = await runModel(model, { x: Tensor.from([1, 2]) });
    expect(y!.toArray()).toEqual([2, 3]);
  });

  it('survives an encode / decode round trip', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['n', 3]);
    const w = g.param('w', Tensor.from([[1], [2], [3]]));
    g.output(g.relu(g.matmul(x, w)), 'y');
    const model = decodeModel(encodeModel(g.build()));
    expect(model.graph.inputs.map((i) => i.name)).toEqual(['x']);
    expect(model.graph.initializers.map((t) => t.name)).toEqual(['w']);
    expect(model.graph.outputs.map((o) => o.name)).toEqual(['y']);
  });

  it('gives graph outputs a value info with their dtype and tracked shape', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['n', 4]);
    g.output(g.reduceSum(x, { axes: [1], keepdims: false }), 's');
    g.output(g.argMax(x, { axis: 1 }), 'i');
    const outputs = g.build().graph.outputs;
    expect(describeTensorType(outputs[0]!.type!)).toEqual({ elemType: 1, shape: ['n'] });
    expect(describeTensorType(outputs[1]!.type!)).toEqual({ elemType: 7, shape: ['n', 1] });
  });

  it('imports the opsets of other domains used through op', () => {
    const g = new GraphBuilder({ domains: { 'com.microsoft': 1 } });
    const x = g.input('x', 'float32', [2]);
    g.output(g.op('Gelu', [x], {}, { outputs: 1, domain: 'com.microsoft' })[0]!, 'y');
    expect(g.build().opset('com.microsoft')).toBe(1);
  });
});

describe('inputs, parameters and constants', () => {
  it('run with fed inputs, initializer parameters and constant nodes', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2, 2]);
    const w = g.param('w', Tensor.from([[1, 2], [3, 4]]));
    const c = g.constant(Tensor.from([10, 20]));
    g.output(g.add(g.matmul(x, w), c), 'y');
    const { y } = await run(g, { x: Tensor.from([[1, 0], [0, 1]]) });
    expect(y!.toArray()).toEqual([
      [11, 22],
      [13, 24],
    ]);
  });

  it('shares one constant node among equal scalars', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2]);
    const a = g.mul(x, 2);
    const b = g.add(a, 2);
    g.output(b, 'y');
    expect(g.build().graph.nodes.filter((n) => n.opType === 'Constant')).toHaveLength(1);
  });

  it('makes plain numbers constants of the dtype they meet', async () => {
    const g = new GraphBuilder();
    const f = g.input('f', 'float64', [2]);
    const i = g.input('i', 'int64', [2]);
    const h = g.input('h', 'int32', [2]);
    g.output(g.mul(f, 0.5), 'f2');
    g.output(g.add(i, 3), 'i2');
    g.output(g.sub(10, h), 'h2');
    g.output(g.scalar(2n ** 40n, 'int64'), 'big');
    const out = await run(g, { f: Tensor.from([1, 3], [2], 'float64'), i: Tensor.from([1n, -2n]), h: Tensor.from([1, 2], [2], 'int32') });
    expect(out['f2']!.dtype).toBe('float64');
    expect(out['f2']!.toArray()).toEqual([0.5, 1.5]);
    expect(out['i2']!.toArray()).toEqual([4n, 1n]);
    expect(out['h2']!.toArray()).toEqual([9, 8]);
    expect(out['big']!.toArray()).toEqual(2n ** 40n);
  });

  it('accepts host tensors as operands', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2]);
    g.output(g.mul(x, Tensor.from([2, 3])), 'y');
    expect((await run(g, { x: Tensor.from([1, 1]) }))['y']!.toArray()).toEqual([2, 3]);
  });
});

describe('value handles', () => {
  it('track dtypes by each operator’s rule', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [3, 4]);
    const i = g.input('i', 'int32', [3]);
    expect(g.add(x, 1).dtype).toBe('float32');
    expect(g.less(x, 0).dtype).toBe('bool');
    expect(g.not(g.equal(i, 2)).dtype).toBe('bool');
    expect(g.cast(x, 'float16').dtype).toBe('float16');
    expect(g.argMax(x).dtype).toBe('int64');
    expect(g.argMin(x).dtype).toBe('int64');
    expect(g.shape(x).dtype).toBe('int64');
    expect(g.size(x).dtype).toBe('int64');
    const [values, indices] = g.topK(x, 2);
    expect([values.dtype, indices.dtype]).toEqual(['float32', 'int64']);
    expect(g.where(g.less(x, 0), 0, x).dtype).toBe('float32');
    expect(g.pow(x, g.input('e', 'int32', [4])).dtype).toBe('float32');
  });

  it('track shapes where they are cheap to know', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['n', 4]);
    const v = g.input('v', 'float32', [4]);
    expect(g.add(x, v).shape).toEqual(['n', 4]);
    expect(g.matmul(x, v).shape).toEqual(['n']);
    expect(g.matmul(x, g.transpose(x)).shape).toEqual(['n', 'n']);
    expect(g.reduceMean(x, { axes: [0] }).shape).toEqual([1, 4]);
    expect(g.reshape(x, [0, 2, 2]).shape).toEqual(['n', 2, 2]);
    expect(g.reshape(v, [2, -1]).shape).toEqual([2, 2]);
    expect(g.concat([x, x], 1).shape).toEqual(['n', 8]);
    expect(g.unsqueeze(v, [0, -1]).shape).toEqual([1, 4, 1]);
    expect(g.slice(v, { starts: [-1], ends: [-Infinity], steps: [-2] }).shape).toEqual([2]);
    expect(g.gather(x, [0, 2, 1], { axis: 1 }).shape).toEqual(['n', 3]);
    expect(g.flatten(g.unsqueeze(x, [0]), 2).shape).toEqual([null, 4]);
    expect(g.einsum('nd,md->nm', x, x).shape).toEqual(['n', 'n']);
    expect(g.input('u', 'float32').rank).toBeUndefined();
  });

  it('print their name, dtype and shape', () => {
    const g = new GraphBuilder();
    expect(String(g.input('x', 'float32', ['n', null, 3]))).toBe('x: float32[n, ?, 3]');
  });
});

describe('graph outputs', () => {
  it('rename through an Identity node and return the renamed value', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2]);
    const y = g.output(g.neg(x), 'y');
    expect(y.name).toBe('y');
    g.output(g.abs(y), 'z');
    const out = await run(g, { x: Tensor.from([1, -2]) });
    expect(out['y']!.toArray()).toEqual([-1, 2]);
    expect(out['z']!.toArray()).toEqual([1, 2]);
  });

  it('keep a node output’s own name when none is given', async () => {
    const g = new GraphBuilder();
    const y = g.exp(g.input('x', 'float32', [1]));
    g.output(y);
    const out = await run(g, { x: Tensor.from([0]) });
    expect(out[y.name]!.toArray()).toEqual([1]);
  });

  it('may expose one value under two names', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [1]);
    const y = g.sqrt(x);
    g.output(y, 'a');
    g.output(y, 'b');
    const out = await run(g, { x: Tensor.from([4]) });
    expect([out['a']!.item(), out['b']!.item()]).toEqual([2, 2]);
  });
});

describe('the op escape hatch', () => {
  it('emits any operator with typed attributes', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [3]);
    g.output(g.op('LeakyRelu', [x], { alpha: attr.float(0.5) }), 'y');
    const { y } = await run(g, { x: Tensor.from([-2, 0, 2]) });
    expect(y!.toArray()).toEqual([-1, 0, 2]);
  });

  it('returns every output when asked for several, with the given dtypes', async () => {
    const g = new GraphBuilder({ opset: 18 });
    const x = g.input('x', 'float32', [4]);
    const parts = g.op('Split', [x], { axis: attr.int(0), num_outputs: attr.int(2) }, { outputs: 2 });
    const [u, , c] = g.op('Unique', [x], { sorted: 1n }, { outputs: 4, dtypes: ['float32', 'int64', 'int64', 'int64'] });
    expect(c!.dtype).toBe('int64');
    g.output(parts[0]!, 'a');
    g.output(parts[1]!, 'b');
    g.output(u!, 'u');
    const out = await run(g, { x: Tensor.from([3, 1, 3, 2]) });
    expect(out['a']!.toArray()).toEqual([3, 1]);
    expect(out['b']!.toArray()).toEqual([3, 2]);
    expect(out['u']!.toArray()).toEqual([1, 2, 3]);
  });

  it('leaves optional inputs out with null and turns tensors into constants', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [3]);
    g.output(g.op('Clip', [x, null, Tensor.from([1], [], 'float32')]), 'y');
    expect((await run(g, { x: Tensor.from([-5, 0.5, 5]) }))['y']!.toArray()).toEqual([-5, 0.5, 1]);
  });

  it('types attributes explicitly: INT, FLOAT, INTS, FLOATS, STRING, STRINGS, TENSOR', () => {
    expect(attributeProto('a', attr.int(2)).type).toBe(AttributeProto_AttributeType.INT);
    expect(attributeProto('a', 2n).i).toBe(2n);
    expect(attributeProto('a', true).i).toBe(1n);
    expect(attributeProto('a', attr.float(2)).type).toBe(AttributeProto_AttributeType.FLOAT);
    expect(attributeProto('a', attr.ints([1, 2])).ints).toEqual([1n, 2n]);
    expect(attributeProto('a', [1n, 2n]).type).toBe(AttributeProto_AttributeType.INTS);
    expect(attributeProto('a', attr.floats([0.5])).floats).toEqual([0.5]);
    expect(new TextDecoder().decode(attributeProto('a', 'constant').s)).toBe('constant');
    expect(attributeProto('a', ['x', 'y']).type).toBe(AttributeProto_AttributeType.STRINGS);
    expect(attributeProto('a', Tensor.from([1])).type).toBe(AttributeProto_AttributeType.TENSOR);
  });
});

describe('mistakes are refused before anything runs', () => {
  it('mixing values from two builders', () => {
    const a = new GraphBuilder();
    const b = new GraphBuilder();
    const x = a.input('x', 'float32', [2]);
    const y = b.input('y', 'float32', [2]);
    expectError(() => b.add(x, y), 'INVALID_ARGUMENT', /another GraphBuilder/);
    expectError(() => b.output(x, 'z'), 'INVALID_ARGUMENT');
  });

  it('binary operators on two dtypes, naming the cast to write', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2]);
    const i = g.input('i', 'int64', [2]);
    expectError(() => g.add(x, i), 'DTYPE_MISMATCH', /g\.cast\(i, 'float32'\)/);
    expectError(() => g.matmul(x, i), 'DTYPE_MISMATCH');
    expectError(() => g.where(g.less(x, 0), x, i), 'DTYPE_MISMATCH');
    expectError(() => g.concat([x, i], 0), 'DTYPE_MISMATCH');
  });

  it('float-only operators on integers, and logic on non-booleans', () => {
    const g = new GraphBuilder();
    const i = g.input('i', 'int64', [2]);
    expectError(() => g.exp(i), 'DTYPE_MISMATCH', /cast/);
    expectError(() => g.softmax(i), 'DTYPE_MISMATCH');
    expectError(() => g.not(i), 'DTYPE_MISMATCH');
    expectError(() => g.where(i, 1n, 0n), 'DTYPE_MISMATCH', /bool/);
  });

  it('numbers that do not fit the dtype they meet', () => {
    const g = new GraphBuilder();
    const i = g.input('i', 'int32', [2]);
    expectError(() => g.add(i, 0.5), 'INVALID_ARGUMENT', /int32/);
    expectError(() => g.add(2, 3), 'INVALID_ARGUMENT', /g\.scalar/);
  });

  it('axes outside a known rank', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2, 3]);
    expectError(() => g.softmax(x, { axis: 2 }), 'INVALID_ARGUMENT', /rank-2/);
    expectError(() => g.reduceSum(x, { axes: [-3] }), 'INVALID_ARGUMENT');
    expectError(() => g.reduceSum(x, { axes: [1, -1] }), 'INVALID_ARGUMENT', /repeat/);
    expectError(() => g.transpose(x, [0, 0]), 'INVALID_ARGUMENT');
    expectError(() => g.concat([x, x], 5), 'INVALID_ARGUMENT');
    expectError(() => g.gather(x, [0], { axis: -3 }), 'INVALID_ARGUMENT');
    expectError(() => g.unsqueeze(x, [4]), 'INVALID_ARGUMENT');
  });

  it('shapes that cannot broadcast, multiply or reshape', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2, 3]);
    const y = g.input('y', 'float32', [4, 3]);
    expectError(() => g.add(x, y), 'SHAPE_MISMATCH', /broadcast/);
    expectError(() => g.matmul(x, y), 'SHAPE_MISMATCH', /contracts 3 with 4/);
    expectError(() => g.reshape(x, [4, -1]), 'SHAPE_MISMATCH');
    expectError(() => g.squeeze(x, [0]), 'SHAPE_MISMATCH');
  });

  it('duplicate names', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2]);
    expectError(() => g.input('x', 'float32', [2]), 'INVALID_ARGUMENT', /already used/);
    expectError(() => g.param('x', Tensor.from([1])), 'INVALID_ARGUMENT');
    g.output(g.neg(x), 'y');
    expectError(() => g.output(g.abs(x), 'y'), 'INVALID_ARGUMENT', /already a graph output/);
    expectError(() => g.output(x), 'INVALID_ARGUMENT', /graph input/);
  });

  it('ops the opset does not have in that form', () => {
    const g = new GraphBuilder({ opset: 13 });
    const x = g.input('x', 'float32', [2, 3]);
    expectError(() => g.shape(x, { start: 1 }), 'INVALID_ARGUMENT', /opset ≥ 15/);
    expectError(() => g.scatterElements(x, g.constant(Tensor.from([[0, 1, 0]], [1, 3], 'int64')), g.constant(Tensor.from([[1, 1, 1]])), { reduction: 'add' }), 'INVALID_ARGUMENT', /opset ≥ 16/);
    expectError(() => g.dft(g.unsqueeze(x, [-1])), 'INVALID_ARGUMENT', /opset ≥ 17/);
    expectError(() => new GraphBuilder({ opset: MIN_OPSET - 1 }), 'INVALID_ARGUMENT');
    expectError(() => new GraphBuilder({ opset: MAX_OPSET + 1 }), 'INVALID_ARGUMENT');
  });

  it('untyped numeric attributes', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2]);
    expectError(() => g.op('LeakyRelu', [x], { alpha: 0.1 as unknown as bigint }), 'INVALID_ARGUMENT', /float\(0\.1\)/);
    expectError(() => attr.int(1.5), 'INVALID_ARGUMENT');
  });

  it('building with no outputs, building twice, and using the builder after build', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2]);
    expectError(() => g.build(), 'INVALID_ARGUMENT', /no outputs/);
    g.output(g.neg(x), 'y');
    g.build();
    expectError(() => g.build(), 'INVALID_ARGUMENT', /already built/);
    expectError(() => g.neg(x), 'INVALID_ARGUMENT', /already built/);
    expectError(() => g.input('z', 'float32', [1]), 'INVALID_ARGUMENT', /already built/);
    expectError(() => g.scalar(1), 'INVALID_ARGUMENT', /already built/);
  });
});
