import type { HookedModel } from '@mechint/core';
import { ablate, crossEntropy, hierarchicalAblation, summarize } from '../src/index.js';
import { loadGpt, maxAbsDiff, ref, values } from './helpers.js';

let model: HookedModel;
beforeAll(async () => {
  model = await loadGpt();
});

const tokens = ref['clean.tokens']!;
const inputs = { tokens };
const reference = { tokens: ref['reference.tokens']! };
const metric = crossEntropy({ tokens, positions: [11, 12, 13, 14, 15, 16, 17, 18, 19] });
const heads = [0, 1].flatMap((l) => [0, 1, 2, 3].map((h) => ({ hook: `blocks.${l}.attn.hook_z`, heads: [h] })));
const resampleIndex = Array.from(ref['resample.index']!.data as BigInt64Array, Number);

describe('ablate against torch hooks', () => {
  it('zero-ablates layers, attention, MLPs and heads', async () => {
    const layer = (l: number) => [{ hook: `blocks.${l}.hook_attn_out` }, { hook: `blocks.${l}.hook_mlp_out` }];
    const r = await ablate({
      model, inputs, metric,
      targets: [layer(0), layer(1), { hook: 'blocks.0.hook_attn_out' }, { hook: 'blocks.1.hook_attn_out' }, { hook: 'blocks.0.hook_mlp_out' }, { hook: 'blocks.1.hook_mlp_out' }, ...heads],
    });
    expect(Math.abs(r.baseline - values('ablation.loss')[0]!)).toBeLessThan(1e-5);
    const want = [...values('ablation.zero_layer'), ...values('ablation.zero_attn'), ...values('ablation.zero_mlp'), ...values('ablation.zero_head')];
    expect(maxAbsDiff(r.scores, want)).toBeLessThan(1e-3);
    expect(r.names[0]).toBe('blocks.0.hook_attn_out + blocks.0.hook_mlp_out');
    expect(r.effects[2]).toBeCloseTo(r.scores[2]! - r.baseline, 12);
  });

  it('mean-ablates heads over the reference dataset', async () => {
    const r = await ablate({ model, inputs, metric, targets: heads, method: 'mean', reference });
    expect(maxAbsDiff(r.scores, values('ablation.mean_head'))).toBeLessThan(1e-3);
  });

  it('resample-ablates heads from chosen reference items', async () => {
    const r = await ablate({ model, inputs, metric, targets: heads, method: 'resample', reference, resampleIndex });
    expect(maxAbsDiff(r.scores, values('ablation.resample_head'))).toBeLessThan(1e-3);
  });

  it('draws resample items with a seed, reproducibly', async () => {
    const a = await ablate({ model, inputs, metric, targets: heads.slice(0, 3), method: 'resample', reference, seed: 3 });
    const b = await ablate({ model, inputs, metric, targets: heads.slice(0, 3), method: 'resample', reference, seed: 3 });
    expect(a.scores).toEqual(b.scores);
  });
});

describe('hierarchicalAblation', () => {
  it('descends into what mattered: both layers, both attentions, block-0 MLP, the previous-token head', async () => {
    const study = await hierarchicalAblation({ model, inputs, metric, neurons: 5 });
    expect(study.layers.map((e) => e.name)).toEqual(['blocks.0', 'blocks.1']);
    expect(maxAbsDiff(study.layers.map((e) => e.score), values('ablation.zero_layer'))).toBeLessThan(1e-3);
    const [l0, l1] = study.layers as [typeof study.layers[0], typeof study.layers[0]];
    expect(l0.mattered && l1.mattered).toBe(true);
    expect(l0.children.map((c) => c.name)).toEqual(['blocks.0.attn', 'blocks.0.mlp']);
    expect(maxAbsDiff(l0.children.map((c) => c.score), [values('ablation.zero_attn')[0]!, values('ablation.zero_mlp')[0]!])).toBeLessThan(1e-3);
    // threshold 0.1 × 5.29: block-1's MLP (effect 0.008) is not descended into; block-0's (0.78) is
    const mlp1 = l1.children[1]!;
    expect(mlp1.mattered).toBe(false);
    expect(mlp1.children).toEqual([]);
    const mlp0 = l0.children[1]!;
    expect(mlp0.children).toHaveLength(5);
    expect(mlp0.children.every((n, i, all) => i === 0 || Math.abs(all[i - 1]!.effect) >= Math.abs(n.effect))).toBe(true);
    // heads: zero-ablating block-0 head 2 (the previous-token head) is the only head above threshold
    const heads0 = l0.children[0]!.children;
    expect(maxAbsDiff(heads0.map((h) => h.score), values('ablation.zero_head').slice(0, 4))).toBeLessThan(1e-3);
    expect(heads0.filter((h) => h.mattered).map((h) => h.name)).toEqual(['blocks.0.attn head 2']);
    const table = summarize(study);
    expect(table.split('\n')[0]).toBe("zero ablation; baseline metric 0.0016; parts with |effect| ≥ 0.5286 are marked * and descended into");
    expect(table).toContain('    blocks.0.attn head 2');
    expect(table.split('\n')).toHaveLength(2 + 2 + 4 + 4 + 4 + 5);
  });

  it('stops at layers without components', async () => {
    const study = await hierarchicalAblation({ model, inputs, metric, components: false });
    expect(study.layers.every((e) => e.children.length === 0)).toBe(true);
  });
});
