import { Backend, GraphBuilder, HookedModel, Tensor, attr, attributeProto, decodeModel, gradients, tensorFromProto, tensorType, unrollRecurrent, type DType, type Dim, type ModelIR } from '../src/index.node.js';
import { closeness } from './helpers/compare.js';
import { fixturePath, modelBytes, reference } from './helpers/fixtures.js';
import { mulberry32, uniform } from './helpers/random.js';

/**
 * RNN / GRU / LSTM nodes unrolled into primitive operators: the same outputs as onnxruntime's
 * kernels, and gradients that match torch autograd on the GRU fixture (tools/fixtures/rnn.py).
 */
let backend: Backend;
beforeAll(async () => {
  backend = await Backend.create({ ep: 'cpu' });
});

async function run(model: ModelIR, feeds: Record<string, Tensor>) {
  return (await backend.session(model)).run(feeds);
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let worst = 0;
  for (let i = 0; i < b.size; i++) worst = Math.max(worst, Math.abs(Number(a.data[i]) - Number(b.data[i])));
  return worst;
}

/** 1e-4 relative; the absolute floor sits well below the fixture's gradients (|g| ~ 1e-3). */
const close = (actual: Tensor, expected: Tensor) => expect(closeness(actual, expected, 1e-4, 1e-7)).toBeLessThanOrEqual(1);

interface CellCase {
  op: 'RNN' | 'GRU' | 'LSTM';
  direction?: 'forward' | 'reverse' | 'bidirectional';
  linearBeforeReset?: 1;
  bias?: boolean;
  initialH?: boolean;
  initialC?: boolean;
  peepholes?: boolean;
  layout?: 1;
  activations?: string[];
}

const [T, B, I, H] = [5, 2, 3, 4];

/** One recurrent node whose every input (X, W, R, B, initial states, P) is a graph input, with seeded random feeds. */
function cellModel(c: CellCase, dtype: DType = 'float32', seed = 7): { model: ModelIR; feeds: Record<string, Tensor> } {
  const dirs = c.direction === 'bidirectional' ? 2 : 1;
  const gates = { RNN: 1, GRU: 3, LSTM: 4 }[c.op];
  const rng = mulberry32(seed);
  const g = new GraphBuilder({ opset: 17 });
  const feeds: Record<string, Tensor> = {};
  /** An input with random feeds; `declared` names the dims that vary (onnxruntime rejects the gradient graph of a fully static broadcast). */
  const input = (name: string, shape: number[], declared: Dim[] = shape, wanted = true) => {
    if (!wanted) return null;
    const data = uniform(rng, shape, -0.8, 0.8);
    feeds[name] = dtype === 'float64' ? Tensor.from(Float64Array.from(data.data), shape) : data;
    return g.input(name, dtype, declared);
  };
  const batchFirst = <D>(shape: D[]) => (c.layout === 1 ? [shape[1]!, shape[0]!, ...shape.slice(2)] : shape);
  const inputs = [
    input('x', batchFirst([T, B, I]), batchFirst<Dim>(['time', 'batch', I])),
    input('w', [dirs, gates * H, I]),
    input('r', [dirs, gates * H, H]),
    input('b', [dirs, 2 * gates * H], undefined, c.bias === true),
    null,
    input('h0', batchFirst([dirs, B, H]), batchFirst<Dim>([dirs, 'batch', H]), c.initialH === true),
    ...(c.op === 'LSTM' ? [input('c0', batchFirst([dirs, B, H]), batchFirst<Dim>([dirs, 'batch', H]), c.initialC === true), input('p', [dirs, 3 * H], undefined, c.peepholes === true)] : []),
  ];
  const attributes = {
    hidden_size: attr.int(H),
    direction: c.direction,
    linear_before_reset: c.linearBeforeReset === undefined ? undefined : attr.int(c.linearBeforeReset),
    layout: c.layout === undefined ? undefined : attr.int(c.layout),
    activations: c.activations,
  };
  const outputs = g.op(c.op, inputs, attributes, { outputs: c.op === 'LSTM' ? 3 : 2 });
  ['y', 'y_h', 'y_c'].slice(0, outputs.length).forEach((name, i) => g.output(outputs[i]!, name));
  return { model: g.build(), feeds };
}

/** A layout-1 node as onnxruntime runs it: the layout-0 node between transposes (onnxruntime's CPU kernels take only layout 0). */
function batchFirstReference(c: CellCase): ModelIR {
  const { model } = cellModel(c);
  const graph = model.graph;
  const node = graph.nodes.find((n) => n.opType === c.op)!;
  for (const [i, name] of [[0, 'x'], [5, 'h0'], [6, 'c0']] as const) {
    if (node.input[i] !== name) continue;
    const declared = graph.inputs.find((v) => v.name === name)!;
    declared.name = `${name}_batch_first`;
    declared.type = tensorType('float32');
    graph.invalidate();
    graph.addNode({ opType: 'Transpose', inputs: [`${name}_batch_first`], outputs: [`${name}_time_first`], attributes: [perm([1, 0, 2])] });
    node.input[i] = `${name}_time_first`;
  }
  for (const out of graph.outputs) {
    const producer = graph.producerOf(out.name)!;
    producer.opType = 'Transpose';
    producer.attribute = [perm(out.name === 'y' ? [2, 0, 1, 3] : [1, 0, 2])];
    out.type = undefined;
  }
  graph.invalidate();
  return model;
}

function perm(values: number[]) {
  return attributeProto('perm', attr.ints(values));
}

/** d loss / d logits of the fixture's mean cross-entropy over every batch item and step, from torch's logits. */
function crossEntropySeed(logits: Tensor, targets: Tensor): Tensor {
  const [batch, time, classes] = logits.shape as [number, number, number];
  const seed = Tensor.zeros([batch, time, classes]);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < time; t++) {
      const row = Array.from({ length: classes }, (_, k) => Number(logits.get(b, t, k)));
      const max = Math.max(...row);
      const exp = row.map((v) => Math.exp(v - max));
      const sum = exp.reduce((a, v) => a + v, 0);
      const target = Number(targets.get(b, t));
      exp.forEach((e, k) => seed.set((e / sum - (k === target ? 1 : 0)) / (batch * time), b, t, k));
    }
  }
  return seed;
}

describe('unrollRecurrent', () => {
  const cases: [string, CellCase][] = [
    ['RNN forward', { op: 'RNN' }],
    ['RNN reverse, bias, initial_h', { op: 'RNN', direction: 'reverse', bias: true, initialH: true }],
    ['RNN bidirectional, Relu activations', { op: 'RNN', direction: 'bidirectional', bias: true, initialH: true, activations: ['Relu', 'Tanh'] }],
    ['GRU forward', { op: 'GRU' }],
    ['GRU forward, bias, initial_h', { op: 'GRU', bias: true, initialH: true }],
    ['GRU reverse, linear_before_reset', { op: 'GRU', direction: 'reverse', linearBeforeReset: 1, bias: true }],
    ['GRU bidirectional, initial_h', { op: 'GRU', direction: 'bidirectional', bias: true, initialH: true }],
    ['GRU bidirectional, linear_before_reset, explicit default activations', { op: 'GRU', direction: 'bidirectional', linearBeforeReset: 1, bias: true, initialH: true, activations: ['Sigmoid', 'Tanh', 'sigmoid', 'tanh'] }],
    ['LSTM forward', { op: 'LSTM' }],
    ['LSTM reverse, bias, initial_h only', { op: 'LSTM', direction: 'reverse', bias: true, initialH: true }],
    ['LSTM forward, peepholes, both initial states', { op: 'LSTM', bias: true, initialH: true, initialC: true, peepholes: true }],
    ['LSTM bidirectional, peepholes, both initial states', { op: 'LSTM', direction: 'bidirectional', bias: true, initialH: true, initialC: true, peepholes: true }],
  ];

  it.each(cases)('gives onnxruntime’s outputs: %s', async (_, c) => {
    const { model, feeds } = cellModel(c);
    const unrolled = unrollRecurrent(model, T);
    expect(unrolled.graph.nodes.some((n) => n.opType === c.op)).toBe(false);
    const [expected, actual] = [await run(model, feeds), await run(unrolled, feeds)];
    for (const name of Object.keys(expected)) expect(maxAbsDiff(actual[name]!, expected[name]!)).toBeLessThanOrEqual(1e-5);
  });

  it.each([
    ['GRU bidirectional', { op: 'GRU', direction: 'bidirectional', linearBeforeReset: 1, bias: true, initialH: true }],
    ['LSTM peepholes', { op: 'LSTM', bias: true, initialH: true, initialC: true, peepholes: true }],
  ] as [string, CellCase][])('handles layout 1 (batch first): %s', async (_, c) => {
    const { model, feeds } = cellModel({ ...c, layout: 1 });
    const renamed = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [['x', 'h0', 'c0'].includes(k) ? `${k}_batch_first` : k, v]));
    const [expected, actual] = [await run(batchFirstReference(c), renamed), await run(unrollRecurrent(model, T), feeds)];
    for (const name of Object.keys(expected)) expect(maxAbsDiff(actual[name]!, expected[name]!)).toBeLessThanOrEqual(1e-5);
  });

  it('gives the GRU fixture’s outputs, hidden states and logits (T = 16)', async () => {
    const ref = reference('rnn');
    const model = decodeModel(modelBytes('rnn'));
    for (const value of ['/gru/GRU_output_0', '/gru/GRU_output_1']) model.graph.addOutput(value);
    const unrolled = unrollRecurrent(model, 16);
    const feeds = { inputs: ref['input.inputs']! };
    const [expected, actual] = [await run(model, feeds), await run(unrolled, feeds)];
    for (const name of ['logits', '/gru/GRU_output_0', '/gru/GRU_output_1']) expect(maxAbsDiff(actual[name]!, expected[name]!)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(actual['/gru/GRU_output_1']!, ref['act.gru.h_n']!)).toBeLessThanOrEqual(1e-5);
  });

  it('returns a new model and leaves the input alone', () => {
    const model = decodeModel(modelBytes('rnn'));
    const nodes = model.graph.nodes.length;
    const unrolled = unrollRecurrent(model, 4);
    expect(model.graph.nodes.length).toBe(nodes);
    expect(model.graph.nodes.filter((n) => n.opType === 'GRU')).toHaveLength(1);
    expect(unrolled.graph.nodes.filter((n) => n.opType === 'GRU')).toHaveLength(0);
    expect(unrolled.graph.producerOf('/gru/GRU_output_0')).toBeDefined();
  });

  it('refuses what it cannot express, naming the node', () => {
    const gru = (attributes: Record<string, unknown>, sequenceLens = false) => {
      const g = new GraphBuilder({ opset: 17 });
      const x = g.input('x', 'float32', [T, B, I]);
      const lens = sequenceLens ? g.input('lens', 'int32', [B]) : null;
      const [y] = g.op('GRU', [x, g.param('w', Tensor.zeros([1, 3 * H, I])), g.param('r', Tensor.zeros([1, 3 * H, H])), null, lens], { hidden_size: attr.int(H), ...attributes }, { outputs: 2 });
      g.output(y!, 'y');
      return g.build();
    };
    const expectError = (model: ModelIR, message: RegExp) => {
      expect(() => unrollRecurrent(model, T)).toThrow(message);
      expect(() => unrollRecurrent(model, T)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_OP' }));
    };
    expectError(gru({ clip: attr.float(3) }), /clip/);
    expectError(gru({ activations: ['HardSigmoid', 'Tanh'] }), /HardSigmoid/);
    expectError(gru({}, true), /sequence_lens/);
    expect(() => unrollRecurrent(gru({}), 0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => gradients(gru({ clip: attr.float(3) }), { of: 'y', wrt: ['x'], steps: T })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_OP', details: { opType: 'GRU', node: expect.any(String) } }));
  });
});

describe('gradients through recurrent nodes', () => {
  const ref = reference('rnn');
  const inputs = ref['input.inputs']!;
  const seed = crossEntropySeed(ref['output.logits']!, ref['input.targets']!);
  const params = ['gru.weight_ih_l0', 'gru.weight_hh_l0', 'gru.bias_ih_l0', 'gru.bias_hh_l0', 'head.weight', 'head.bias'];

  it('match torch for the GRU fixture’s parameters and inputs (cross-entropy loss)', async () => {
    const { model, grads, seedInput } = gradients(decodeModel(modelBytes('rnn')), { of: 'logits', wrt: [...params, 'inputs'], seed: 'input', steps: 16 });
    const out = await run(model, { inputs, [seedInput!]: seed });
    for (const p of params) close(out[grads[p]!]!, ref[`grad.param.${p}`]!);
    close(out[grads['inputs']!]!, ref['grad.inputs']!);
  });

  it('need steps when a recurrent node lies on the path', () => {
    const model = decodeModel(modelBytes('rnn'));
    expect(() => gradients(model, { of: 'logits', wrt: ['inputs'] })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: { nodes: ['/gru/GRU'] } }));
    expect(() => gradients(model, { of: 'logits', wrt: ['inputs'] })).toThrow(/steps/);
    expect(() => gradients(model, { of: 'logits', wrt: ['head.weight'] })).not.toThrow();
  });

  it('of an LSTM (peepholes, both directions) match central differences in float64', async () => {
    const c: CellCase = { op: 'LSTM', direction: 'bidirectional', bias: true, initialH: true, initialC: true, peepholes: true };
    const { model, feeds } = cellModel(c, 'float64');
    const wrt = Object.keys(feeds);
    const { model: withGrads, grads } = gradients(model, { of: 'y', wrt, steps: T });
    const out = await run(withGrads, feeds);
    const forward = await backend.session(unrollRecurrent(model, T));
    const loss = async (f: Record<string, Tensor>) => ((await forward.run(f))['y']!.data as Float64Array).reduce((a, v) => a + v, 0);
    const eps = 1e-6;
    for (const name of wrt) {
      const grad = out[grads[name]!]!;
      for (const i of [0, Math.floor(grad.size / 2), grad.size - 1]) {
        const shifted = (delta: number) => {
          const data = Float64Array.from(feeds[name]!.data as Float64Array);
          data[i]! += delta;
          return { ...feeds, [name]: Tensor.from(data, feeds[name]!.shape) };
        };
        const numeric = ((await loss(shifted(eps))) - (await loss(shifted(-eps)))) / (2 * eps);
        expect(Math.abs(Number(grad.data[i]) - numeric)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(numeric)));
      }
    }
  });
});

describe('HookedModel.runWithGrad through a GRU', () => {
  it('differentiates by hook names, with steps taken from the feeds', async () => {
    const ref = reference('rnn');
    const seed = crossEntropySeed(ref['output.logits']!, ref['input.targets']!);
    const model = await HookedModel.load(fixturePath('rnn.onnx'));
    const { grads, outputs } = await model.runWithGrad({ inputs: ref['input.inputs']! }, { of: 'logits', wrt: ['gru.input', 'gru.output', 'gru.weight_hh_l0'], seed });
    close(outputs['logits']!, ref['output.logits']!);
    close(grads['gru.input']!, ref['grad.inputs']!);
    close(grads['gru.weight_hh_l0']!, ref['grad.param.gru.weight_hh_l0']!);
    // d loss / d hidden = seed · head.weight, as logits = hidden · head.weightᵀ + head.bias
    const head = tensorFromProto(model.model.graph.initializer('head.weight')!);
    const expected = Tensor.zeros([3, 16, 32]);
    for (let b = 0; b < 3; b++) for (let t = 0; t < 16; t++) for (let j = 0; j < 32; j++) expected.set([0, 1, 2].reduce((a, k) => a + Number(seed.get(b, t, k)) * Number(head.get(k, j)), 0), b, t, j);
    close(grads['gru.output']!, expected);
  });

  it('unrolls again for another sequence length', async () => {
    const ref = reference('rnn');
    const model = await HookedModel.load(fixturePath('rnn.onnx'));
    const short = Tensor.from(Float32Array.from(ref['input.inputs']!.data as Float32Array).slice(0, 8 * 3), [1, 8, 3]);
    await model.runWithGrad({ inputs: ref['input.inputs']! }, { of: 'logits', wrt: ['gru.weight_ih_l0'] });
    const { grads } = await model.runWithGrad({ inputs: short }, { of: 'logits', wrt: ['gru.weight_ih_l0'] });
    const direct = gradients(model.model, { of: 'logits', wrt: ['gru.weight_ih_l0'], steps: 8 });
    const expected = (await run(direct.model, { inputs: short }))[direct.grads['gru.weight_ih_l0']!]!;
    expect(maxAbsDiff(grads['gru.weight_ih_l0']!, expected)).toBeLessThanOrEqual(1e-6);
  });

  it('takes the time dim from the declared input type without a probe, asks for steps when the file does not say it, and refuses unsupported attributes', async () => {
    const ref = reference('rnn');
    const feeds = { inputs: ref['input.inputs']! };
    const unprobed = await HookedModel.load(fixturePath('rnn.onnx'), { probe: false });
    const probed = await HookedModel.load(fixturePath('rnn.onnx'));
    const [a, b] = await Promise.all([unprobed, probed].map((m) => m.runWithGrad(feeds, { of: 'logits', wrt: ['inputs'] })));
    expect(maxAbsDiff(a!.grads['inputs']!, b!.grads['inputs']!)).toBe(0);
    const untyped = decodeModel(modelBytes('rnn'));
    const input = untyped.graph.inputs[0]!.type!.value;
    if (input.case === 'tensorType') input.value.shape = undefined;
    const blind = await HookedModel.load(untyped, { probe: false });
    await expect(blind.runWithGrad(feeds, { of: 'logits', wrt: ['inputs'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const { model: clipped, feeds: cellFeeds } = cellModel({ op: 'GRU', bias: true });
    clipped.graph.nodes.find((n) => n.opType === 'GRU')!.attribute.push(attributeProto('clip', attr.float(5)));
    const hooked = await HookedModel.load(clipped);
    await expect(hooked.runWithGrad(cellFeeds, { of: 'y', wrt: ['w'] })).rejects.toMatchObject({ code: 'UNSUPPORTED_OP', details: { opType: 'GRU' } });
  });
});
