import { HookedModel, Tensor, type Intervention } from '../src/index.node.js';
import { closeness } from './helpers/compare.js';
import { fixturePath, reference } from './helpers/fixtures.js';
import { tryBackend } from './helpers/providers.js';

/**
 * Interventions against the same interventions done with torch hooks on the trained model
 * (tools/fixtures/gpt_hooks.py → gpt2l.hooks.npz), on the CPU provider and on WebGPU where there
 * is one (hooks.test.ts reports a missing WebGPU).
 */
const ref = reference('gpt2l', 'gpt2l.hooks.npz');
const PROVIDERS = typeof (await tryBackend('webgpu')) === 'string' ? (['cpu'] as const) : (['cpu', 'webgpu'] as const);
const maxAbsDiff = (a: Tensor, b: Tensor) => closeness(a, b, 0, 1);
const int = (key: string) => Number(ref[key]!.item());
const ints = (key: string) => Array.from(ref[key]!.data as BigInt64Array, Number);

describe.each(PROVIDERS)('interventions match torch hooks on %s', (ep) => {
  let model: HookedModel;
  beforeAll(async () => {
    model = await HookedModel.load(fixturePath('gpt2l.onnx'), { ep });
  });

  async function expectTorch(name: string, hook: string, interventions: Intervention[]): Promise<void> {
    const { outputs, cache } = await model.runWithCache({ tokens: ref[`${name}.tokens`]! }, { hooks: hook, interventions });
    expect(maxAbsDiff(cache.get(hook), ref[`${name}.edited`]!)).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(outputs['logits']!, ref[`${name}.logits`]!)).toBeLessThanOrEqual(1e-4);
  }

  it('patches the residual stream at one position from the clean run', async () => {
    const { cache } = await model.runWithCache({ tokens: ref['patch_resid.source_tokens']! }, { hooks: 'blocks.1.hook_resid_pre' });
    const clean = cache.get('blocks.1.hook_resid_pre');
    const position = ints('patch_resid.positions');
    expect(maxAbsDiff(clean.slice(null, [position[0]!, position[0]! + 1]), ref['patch_resid.source']!)).toBeLessThanOrEqual(1e-4);
    await expectTorch('patch_resid', 'blocks.1.hook_resid_pre', [{ hook: 'blocks.1.hook_resid_pre', op: 'patch', value: clean, positions: position }]);
  });

  it('zero-ablates one head of z', async () => {
    await expectTorch('zero_head', 'blocks.1.attn.z', [{ hook: 'blocks.1.attn.z', op: 'zero', heads: [int('zero_head.head')] }]);
  });

  it('adds a steering vector × scale to an MLP output', async () => {
    const scale = Number(ref['add_steering.scale']!.item());
    await expectTorch('add_steering', 'blocks.0.hook_mlp_out', [{ hook: 'blocks.0.hook_mlp_out', op: 'add', value: ref['add_steering.vector']!, scale }]);
  });

  it('mean-ablates selected MLP features', async () => {
    await expectTorch('mean_features', 'blocks.0.mlp.act.output', [
      { hook: 'blocks.0.mlp.act.output', op: 'mean', value: ref['mean_features.mean']!, features: ints('mean_features.features') },
    ]);
  });

  it('scales one head’s attention pattern at some query positions', async () => {
    await expectTorch('scale_pattern', 'blocks.1.attn.pattern', [
      { hook: 'blocks.1.attn.pattern', op: 'scale', scale: Number(ref['scale_pattern.factor']!.item()), heads: [int('scale_pattern.head')], positions: ints('scale_pattern.query_positions') },
    ]);
  });

  it('sets z of one head at two positions', async () => {
    const positions = ints('set_z.positions');
    const head = int('set_z.head');
    const rows = ref['set_z.value']!;
    const value = Tensor.zeros([1, 21, 4, 16]);
    positions.forEach((p, r) => (value.data as Float32Array).set(rows.index(r).data as Float32Array, ((p * 4 + head) * 16)));
    await expectTorch('set_z', 'blocks.0.attn.z', [{ hook: 'blocks.0.attn.z', op: 'set', value, positions, heads: [head] }]);
  });

  it('patches a different position in each batch item in one call, as torch did one run at a time', async () => {
    const source = ref['batched_patch.source']!.reshape([4, 1, 64]);
    const positions = ints('batched_patch.positions').map((p) => [p]);
    await expectTorch('batched_patch', 'blocks.1.hook_resid_pre', [{ hook: 'blocks.1.hook_resid_pre', op: 'patch', value: source, positions }]);
    const { outputs } = await model.runWithCache({ tokens: ref['batched_patch.tokens']! }, { hooks: [], interventions: [{ hook: 'blocks.1.hook_resid_pre', op: 'patch', value: source, positions }] });
    expect(maxAbsDiff(outputs['logits']!, ref['batched_patch.single_logits']!)).toBeLessThanOrEqual(1e-4);
  });

  it('edits only the batch items asked for', async () => {
    await expectTorch('patch_batch_subset', 'blocks.1.attn.z', [
      { hook: 'blocks.1.attn.z', op: 'zero', heads: [int('patch_batch_subset.head')], batch: ints('patch_batch_subset.batch_items') },
    ]);
  });
});

describe('a Hugging Face GPT-2-style export (fused qkv, Gemm projections, tanh GELU)', () => {
  const hf = reference('gpt_hf');
  let model: HookedModel;
  beforeAll(async () => {
    model = await HookedModel.load(fixturePath('gpt_hf.onnx'));
  });

  it('has its attention recognised in every layer, under its own module names', () => {
    expect(model.attention.sites.map((s) => s.module)).toEqual(['transformer.h.0.attn', 'transformer.h.1.attn']);
    expect(model.attention.sites.every((s) => s.residual !== undefined)).toBe(true);
  });

  it('serves pattern, z and the residual aliases with torch’s values', async () => {
    const { cache } = await model.runWithCache({ input_ids: hf['input.input_ids']! }, { hooks: [/^blocks\.\d+\.(attn\.hook_(pattern|z)|hook_\w+)$/, /^transformer\.h\.\d+\.attn\.(pattern|z)$/] });
    for (const layer of [0, 1]) {
      const torch = (key: string) => hf[`act.blocks.${layer}.${key}`]!;
      expect(maxAbsDiff(cache.get(`transformer.h.${layer}.attn.pattern`), torch('attn.pattern'))).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDiff(cache.get(`transformer.h.${layer}.attn.z`), torch('attn.z'))).toBeLessThanOrEqual(1e-4);
      for (const alias of ['hook_resid_pre', 'hook_resid_mid', 'hook_resid_post']) expect(maxAbsDiff(cache.get(`blocks.${layer}.${alias}`), torch(alias))).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDiff(cache.get(`blocks.${layer}.hook_attn_out`), torch('attn_out'))).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDiff(cache.get(`blocks.${layer}.hook_mlp_out`), torch('mlp_out'))).toBeLessThanOrEqual(1e-4);
    }
  });
});
