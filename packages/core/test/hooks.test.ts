import { jest } from '@jest/globals';
import { create, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { HookedModel, MechintError, Tensor, decodeModel, encodeModel, onnx, writeNpz, readNpz } from '../src/index.node.js';
import { closeness, expectBitIdentical } from './helpers/compare.js';
import { activationNames, fixturePath, modelBytes, reference } from './helpers/fixtures.js';
import { standInForMissing } from '../../../tools/providers.js';
import { tryBackend } from './helpers/providers.js';

const ref = reference('gpt2l');
const tokens = ref['input.tokens']!;
const webgpu = await tryBackend('webgpu');
let model: HookedModel;
beforeAll(async () => {
  model = await HookedModel.load(fixturePath('gpt2l.onnx'));
});

/** The execution providers the torch comparisons run on: CPU, and WebGPU where there is one. */
const PROVIDERS = typeof webgpu === 'string' ? (['cpu'] as const) : (['cpu', 'webgpu'] as const);
if (typeof webgpu === 'string') standInForMissing('webgpu', 'hooks on WebGPU', webgpu);

const maxAbsDiff = (a: Tensor, b: Tensor) => closeness(a, b, 0, 1);

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (e) {
    return MechintError.isInstance(e) ? e.code : `not a MechintError: ${String(e)}`;
  }
  return undefined;
}

describe('hook points', () => {
  it('names module inputs and outputs after the exporter scopes', () => {
    const byName = new Map(model.hookPoints.map((h) => [h.name, h]));
    expect(byName.get('blocks.1.input')?.value).toBe('/blocks.0/Add_1_output_0');
    expect(byName.get('blocks.0.output')?.value).toBe('/blocks.0/Add_1_output_0');
    expect(byName.get('blocks.0.attn.W_Q.output')?.op).toBe('Add');
    expect(byName.get('blocks.0.mlp.act.output')?.scope).toBe('blocks.0.mlp.act');
    expect(byName.get('embed.input')?.value).toBe('tokens');
  });

  it('keeps every raw ONNX value addressable by its own name', () => {
    const names = new Set(model.hookPoints.map((h) => h.name));
    for (const node of model.model.graph.nodes) for (const out of node.output) expect(names.has(out)).toBe(true);
  });

  it('excludes weights and constants from module inputs', () => {
    const inputs = model.hookPoints.filter((h) => h.kind === 'module-input');
    expect(inputs.every((h) => h.data)).toBe(true);
    expect(inputs.some((h) => h.value.includes('weight'))).toBe(false);
  });

  it('knows every hook point’s dtype and shape, symbolic dims kept as names', () => {
    expect(model.hookPoint('blocks.0.attn.pattern')).toMatchObject({ dtype: 'float32', shape: ['batch', 4, 'pos', 'pos'] });
    expect(model.hookPoint('blocks.1.attn.z')).toMatchObject({ dtype: 'float32', shape: ['batch', 'pos', 4, 16] });
    expect(model.hookPoint('blocks.0.mlp.act.output')).toMatchObject({ shape: ['batch', 'pos', 256] });
    expect(model.hookPoint('tokens')).toMatchObject({ dtype: 'int64', shape: ['batch', 'pos'] });
  });

  it('finds the attention of every layer by structure and says so', () => {
    expect(model.attention.sites.map((s) => s.module)).toEqual(['blocks.0.attn', 'blocks.1.attn']);
    expect(model.describeAttention()).toMatch(/^2 attention layer\(s\) recognised/);
  });

  it('raises UNKNOWN_HOOK with the closest names', () => {
    try {
      model.hookPoint('blocks.0.attn.patern');
      throw new Error('expected UNKNOWN_HOOK');
    } catch (e) {
      expect(MechintError.isInstance(e) && e.code).toBe('UNKNOWN_HOOK');
      expect((e as MechintError).details['suggestions']).toContain('blocks.0.attn.pattern');
    }
  });

  it('reads module paths from the dynamo exporter’s name_scopes node metadata', async () => {
    const dynamo = decodeModel(modelBytes('gpt2l'));
    dynamo.graph.nodes.forEach((node, i) => {
      const parts = node.name.split('/').slice(1, -1);
      const scopes = ['', ...parts.map((_, k) => parts.slice(0, k + 1).join('.')), `node_${i}`];
      const entry = toBinary(onnx.StringStringEntryProtoSchema, create(onnx.StringStringEntryProtoSchema, { key: 'pkg.torch.onnx.name_scopes', value: `[${scopes.map((x) => `'${x}'`).join(', ')}]` }));
      node.name = `node_${node.opType}_${i}`;
      node.$unknown = [{ no: 9, wireType: WireType.LengthDelimited, data: new BinaryWriter().bytes(entry).finish() }];
    });
    const reloaded = await HookedModel.load(encodeModel(dynamo));
    expect(reloaded.hookPoint('blocks.1.input').value).toBe('/blocks.0/Add_1_output_0');
    expect(reloaded.hookPoint('blocks.0.attn.W_Q.output').op).toBe('Add');
  });

  it('says when no attention is recognised, and which fused kernels hide it', async () => {
    const cnn = await HookedModel.load(fixturePath('cnn.onnx'));
    expect(cnn.describeAttention()).toBe('0 attention layer(s) recognised.');
    const fused = decodeModel(modelBytes('tiny_mlp'));
    fused.graph.nodes[0]!.domain = 'com.microsoft';
    fused.graph.nodes[0]!.opType = 'MultiHeadAttention';
    const report = (await HookedModel.load(fused, { probe: false, validate: false })).describeAttention();
    expect(report).toContain(`fused attention operators keep their pattern inside one kernel, not exposed: ${fused.graph.nodes[0]!.name}`);
  });

  it('works on a graph with no exporter scopes: every raw value stays a hook point', async () => {
    const bare = decodeModel(modelBytes('gpt2l'));
    bare.graph.nodes.forEach((node, i) => (node.name = `${node.opType}_${i}`));
    const unscoped = await HookedModel.load(bare);
    expect(unscoped.hookPoints.some((h) => h.kind === 'module-output')).toBe(false);
    expect(unscoped.hookPoints.filter((h) => h.kind === 'alias').map((h) => h.name)).toContain('blocks.1.attn.pattern');
  });
});

describe.each(PROVIDERS)('on the %s execution provider', (ep) => {
  let onEp: HookedModel;
  beforeAll(async () => {
    onEp = ep === 'cpu' ? model : await HookedModel.load(fixturePath('gpt2l.onnx'), { ep });
  });

  it('runWithCache records every activation torch’s forward hooks saw (max abs diff ≤ 1e-4)', async () => {
    const names = activationNames('gpt2l');
    const { cache, outputs } = await onEp.runWithCache({ tokens }, { hooks: Object.values(names) });
    for (const [key, value] of Object.entries(names)) expect(maxAbsDiff(cache.get(value), ref[key]!)).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(outputs['logits']!, ref['output.logits']!)).toBeLessThanOrEqual(1e-4);
  });

  it('serves the transformer aliases with torch’s values for every layer', async () => {
    const { cache } = await onEp.runWithCache({ tokens }, { hooks: [/\.attn\.(pattern|z)$/, /hook_(resid_pre|attn_out|mlp_out)$/] });
    for (const layer of [0, 1]) {
      expect(maxAbsDiff(cache.get(`blocks.${layer}.attn.pattern`), ref[`act.blocks.${layer}.attn.pattern`]!)).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDiff(cache.get(`blocks.${layer}.attn.z`), ref[`act.blocks.${layer}.attn.z`]!)).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDiff(cache.get(`blocks.${layer}.hook_resid_pre`), ref[`act.blocks.${layer}.hook_resid_pre`]!)).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDiff(cache.get(`blocks.${layer}.hook_attn_out`), ref[`act.blocks.${layer}.attn_out`]!)).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDiff(cache.get(`blocks.${layer}.hook_mlp_out`), ref[`act.blocks.${layer}.mlp_out`]!)).toBeLessThanOrEqual(1e-4);
    }
  });

  it('a JavaScript hook that returns its input unchanged gives the plain run’s outputs exactly', async () => {
    const plain = await onEp.run({ tokens });
    const hooked = await onEp.run({ tokens }, { hooks: { 'blocks.1.hook_resid_pre': (t) => t } });
    expectBitIdentical(hooked['logits']!, plain['logits']!);
  });

  it('applies a different intervention to each batch item in one call, equal to one run per item', async () => {
    const batch = 4;
    const one = tokens.index(0);
    const stacked = Tensor.from(new BigInt64Array(batch * one.size).map((_, i) => (one.data as BigInt64Array)[i % one.size]!), [batch, one.size], 'int64');
    const { cache } = await onEp.runWithCache({ tokens: stacked }, { hooks: 'blocks.1.hook_resid_pre' });
    const source = cache.get('blocks.1.hook_resid_pre').clone();
    (source.data as Float32Array).forEach((v, i, a) => (a[i] = v * -1));
    const positions = [[11], [12], [13], [14]];
    const batched = await onEp.run({ tokens: stacked }, { interventions: [{ hook: 'blocks.1.hook_resid_pre', op: 'patch', value: source, positions }] });
    for (let i = 0; i < batch; i++) {
      const single = await onEp.run({ tokens: stacked }, { interventions: [{ hook: 'blocks.1.hook_resid_pre', op: 'patch', value: source, positions: positions[i]!, batch: [i] }] });
      expect(maxAbsDiff(batched['logits']!.index(i), single['logits']!.index(i))).toBeLessThanOrEqual(1e-5);
    }
  });
});

describe('runWithCache', () => {
  it('answers every name of a recorded value, and says which were not recorded', async () => {
    const { cache } = await model.runWithCache({ tokens }, { hooks: 'blocks.1.hook_resid_pre' });
    expect(cache.keys()).toEqual(['blocks.1.hook_resid_pre']);
    expectBitIdentical(cache.get('blocks.0.output'), cache.get('blocks.1.hook_resid_pre'));
    expect(() => cache.get('blocks.0.attn.pattern')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => cache.get('no.such.hook')).toThrow(expect.objectContaining({ code: 'UNKNOWN_HOOK' }));
  });

  it('selects by predicate and records module and alias hook points by default', async () => {
    const { cache } = await model.runWithCache({ tokens }, { hooks: (h) => h.op === 'Softmax' && h.kind === 'alias' });
    expect(cache.keys()).toEqual(['blocks.0.attn.pattern', 'blocks.0.attn.hook_pattern', 'blocks.1.attn.pattern', 'blocks.1.attn.hook_pattern']);
    const all = await model.runWithCache({ tokens });
    expect(all.cache.keys()).toContain('blocks.1.mlp.act.output');
    expect(all.cache.keys()).not.toContain('/blocks.1/attn/Shape_output_0');
  });

  it('stacks layers and writes the cache as .npz', async () => {
    const { cache } = await model.runWithCache({ tokens }, { hooks: /hook_resid_pre$/ });
    const stacked = cache.stack(/hook_resid_pre$/);
    expect(stacked.shape).toEqual([2, 2, 21, 64]);
    expectBitIdentical(stacked.index(1), cache.get('blocks.1.hook_resid_pre'));
    const archive = readNpz(cache.toNpz());
    expect(Object.keys(archive)).toEqual(['blocks.0.hook_resid_pre', 'blocks.1.hook_resid_pre']);
    expect(() => cache.stack(['blocks.0.hook_resid_pre', 'nope'])).toThrow(expect.objectContaining({ code: 'UNKNOWN_HOOK' }));
    expect(writeNpz).toBeDefined();
  });

  it('gives the plain run’s outputs bit for bit', async () => {
    const plain = await model.run({ tokens });
    const { outputs } = await model.runWithCache({ tokens });
    expectBitIdentical(outputs['logits']!, plain['logits']!);
  });
});

describe('JavaScript hooks', () => {
  it('a hook that returns its input unchanged gives the plain run’s outputs exactly', async () => {
    const plain = await model.run({ tokens });
    const seen: string[] = [];
    const hooked = await model.run({ tokens }, {
      hooks: {
        'blocks.1.hook_resid_pre': (t, hook) => {
          seen.push(hook.name);
          return t;
        },
        'blocks.0.attn.pattern': () => undefined,
      },
    });
    expect(seen).toEqual(['blocks.1.hook_resid_pre']);
    expectBitIdentical(hooked['logits']!, plain['logits']!);
  });

  it('an edit made in JavaScript reaches the rest of the model, and the cache sees it', async () => {
    const zeroHead = (t: Tensor): Tensor => {
      const copy = t.clone();
      for (let b = 0; b < copy.shape[0]!; b++) for (let p = 0; p < copy.shape[1]!; p++) for (let d = 0; d < 16; d++) copy.set(0, b, p, 2, d);
      return copy;
    };
    const viaJs = await model.runWithCache({ tokens }, { hooks: ['blocks.1.attn.z', 'blocks.1.hook_attn_out'], functions: { 'blocks.1.attn.z': zeroHead } });
    const viaGraph = await model.run({ tokens }, { interventions: [{ hook: 'blocks.1.attn.z', op: 'zero', heads: [2] }] });
    expect(maxAbsDiff(viaJs.outputs['logits']!, viaGraph['logits']!)).toBeLessThanOrEqual(1e-5);
    expect(viaJs.cache.get('blocks.1.attn.z').get(0, 3, 2, 5)).toBe(0);
  });

  it('refuses a returned tensor of another shape or dtype', async () => {
    expect(await codeOf(model.run({ tokens }, { hooks: { 'blocks.0.output': (t) => t.slice([0, 1]) } }))).toBe('SHAPE_MISMATCH');
    expect(await codeOf(model.run({ tokens }, { hooks: { 'blocks.0.output': (t) => t.clone('float64') } }))).toBe('DTYPE_MISMATCH');
  });
});

describe('interventions', () => {
  it('compile each kind of request once: new values and indices reuse the variant', async () => {
    const fresh = await HookedModel.load(fixturePath('gpt2l.onnx'));
    const session = jest.spyOn(fresh.backend, 'session');
    for (const head of [0, 1, 2]) await fresh.run({ tokens }, { interventions: [{ hook: 'blocks.1.attn.z', op: 'zero', heads: [head] }] });
    const created = new Set(await Promise.all(session.mock.results.map((r) => r.value)));
    expect(created.size).toBe(1);
    session.mockRestore();
  });

  it('leave the loaded model untouched, also when they fail', async () => {
    const before = model.model.graph.nodes.length;
    await model.run({ tokens }, { interventions: [{ hook: 'blocks.0.hook_resid_mid', op: 'scale', scale: 2 }] });
    await codeOf(model.run({ tokens }, { interventions: [{ hook: 'blocks.0.hook_resid_mid', op: 'set', value: Tensor.zeros([3]) }] }));
    expect(model.model.graph.nodes.length).toBe(before);
    expect(model.model.graph.inputs.map((i) => i.name)).toEqual(['tokens']);
  });

  describe('bad input gets a coded error before anything runs', () => {
    const run = (iv: object) => codeOf(model.run({ tokens }, { interventions: [iv as never] }));
    it('unknown hook → UNKNOWN_HOOK', async () => expect(await run({ hook: 'blocks.9.attn.z', op: 'zero' })).toBe('UNKNOWN_HOOK'));
    it('value that does not broadcast → SHAPE_MISMATCH naming both shapes', async () => {
      await expect(model.run({ tokens }, { interventions: [{ hook: 'blocks.0.hook_mlp_out', op: 'add', value: Tensor.zeros([63]) }] })).rejects.toMatchObject({
        code: 'SHAPE_MISMATCH',
        message: expect.stringMatching(/\[63\].*\[2, 21, 64\]/),
      });
    });
    it('value of another dtype → DTYPE_MISMATCH', async () => expect(await run({ hook: 'blocks.0.hook_mlp_out', op: 'add', value: Tensor.zeros([64], 'float64') })).toBe('DTYPE_MISMATCH'));
    it('heads on a hook without a head axis → INVALID_ARGUMENT', async () => expect(await run({ hook: 'blocks.0.hook_mlp_out', op: 'zero', heads: [0] })).toBe('INVALID_ARGUMENT'));
    it('position out of range → INVALID_ARGUMENT', async () => expect(await run({ hook: 'blocks.0.hook_mlp_out', op: 'zero', positions: [21] })).toBe('INVALID_ARGUMENT'));
    it('head out of range → INVALID_ARGUMENT', async () => expect(await run({ hook: 'blocks.0.attn.z', op: 'zero', heads: [4] })).toBe('INVALID_ARGUMENT'));
    it('per-item lists that do not match the batch → SHAPE_MISMATCH', async () => expect(await run({ hook: 'blocks.0.attn.z', op: 'zero', positions: [[1], [2], [3]] })).toBe('SHAPE_MISMATCH'));
    it('missing value or factor → INVALID_ARGUMENT', async () => {
      expect(await run({ hook: 'blocks.0.attn.z', op: 'set' })).toBe('INVALID_ARGUMENT');
      expect(await run({ hook: 'blocks.0.attn.z', op: 'scale' })).toBe('INVALID_ARGUMENT');
      expect(await run({ hook: 'blocks.0.attn.z', op: 'zero', value: Tensor.zeros([16]) })).toBe('INVALID_ARGUMENT');
    });
    it('an intervention on a graph input → INVALID_ARGUMENT', async () => expect(await run({ hook: 'tokens', op: 'zero' })).toBe('INVALID_ARGUMENT'));
    it('feeds that are not the model’s inputs → INVALID_ARGUMENT', async () => expect(await codeOf(model.run({ ids: tokens }))).toBe('INVALID_ARGUMENT'));
  });
});
