import type { HookedModel } from '@mechint/core';
import { activationPatching } from '../src/index.js';
import { loadGpt, maxAbsDiff, prompts, ref, values } from './helpers.js';

let model: HookedModel;
beforeAll(async () => {
  model = await loadGpt();
});

const RESID = ['blocks.0.hook_resid_pre', 'blocks.1.hook_resid_pre', 'blocks.1.hook_resid_post'];
const Z = ['blocks.0.attn.hook_z', 'blocks.1.attn.hook_z'];

describe('activationPatching against torch hooks (tools/patching/reference.py)', () => {
  it('residual-stream position sweep (denoising)', async () => {
    const { clean, corrupted, metric } = prompts();
    const r = await activationPatching({ model, clean, corrupted, hooks: RESID, metric, granularity: 'position' });
    expect(r.scores.shape).toEqual([3, 21]);
    expect(r.axes.map((a) => a.name)).toEqual(['hook', 'position']);
    expect(r.axes[0]!.labels).toEqual(RESID);
    expect(Math.abs(r.clean - values('metric.clean')[0]!)).toBeLessThan(1e-4);
    expect(Math.abs(r.corrupted - values('metric.corrupted')[0]!)).toBeLessThan(1e-4);
    expect(maxAbsDiff(r.scores.data, values('position_sweep'))).toBeLessThan(2e-4);
    const span = r.clean - r.corrupted;
    expect(maxAbsDiff(r.normalized.data, Array.from(r.scores.data, (m) => (m - r.corrupted) / span))).toBe(0);
  });

  it('per-head sweep, denoising and noising', async () => {
    const { clean, corrupted, metric } = prompts();
    const d = await activationPatching({ model, clean, corrupted, hooks: Z, metric, granularity: 'head' });
    expect(d.scores.shape).toEqual([2, 4]);
    expect(maxAbsDiff(d.scores.data, values('head_sweep'))).toBeLessThan(2e-4);
    const n = await activationPatching({ model, clean, corrupted, hooks: Z, metric, granularity: 'head', direction: 'noising' });
    expect(maxAbsDiff(n.scores.data, values('noising_head_sweep'))).toBeLessThan(2e-4);
  });

  it('head × position sweep', async () => {
    const { clean, corrupted, metric } = prompts();
    const r = await activationPatching({ model, clean, corrupted, hooks: Z, metric, granularity: 'head-position' });
    expect(r.scores.shape).toEqual([2, 4, 21]);
    expect(r.axes.map((a) => a.name)).toEqual(['hook', 'head', 'position']);
    expect(maxAbsDiff(r.scores.data, values('head_position_sweep'))).toBeLessThan(2e-4);
  });

  it('feature sweep on the residual stream', async () => {
    const { clean, corrupted, metric } = prompts();
    const features = Array.from({ length: 16 }, (_, i) => i);
    const r = await activationPatching({ model, clean, corrupted, hooks: ['blocks.1.hook_resid_pre'], metric, granularity: 'feature', features });
    expect(r.scores.shape).toEqual([1, 16]);
    expect(r.axes[1]).toEqual({ name: 'feature', labels: features });
    expect(maxAbsDiff(r.scores.data, values('feature_sweep'))).toBeLessThan(2e-4);
    const one = await activationPatching({ model, clean, corrupted, hooks: ['blocks.1.hook_resid_pre'], metric, granularity: 'feature', features, batchSize: 1 });
    expect(Array.from(one.scores.data)).toEqual(Array.from(r.scores.data));
  });

  it('batched sweeps equal one run per patch exactly', async () => {
    const { clean, corrupted, metric } = prompts();
    const opts = { model, clean, corrupted, hooks: [...RESID, ...Z], metric, granularity: 'layer' as const };
    const batched = await activationPatching(opts);
    const single = await activationPatching({ ...opts, batchSize: 1 });
    expect(Array.from(batched.scores.data)).toEqual(Array.from(single.scores.data));
    const pos = { model, clean, corrupted, hooks: RESID, metric, granularity: 'position' as const };
    const all = await activationPatching(pos);
    const chunked = await activationPatching({ ...pos, batchSize: 5 });
    const one = await activationPatching({ ...pos, batchSize: 1 });
    expect(Array.from(all.scores.data)).toEqual(Array.from(one.scores.data));
    expect(Array.from(chunked.scores.data)).toEqual(Array.from(one.scores.data));
  });

  it('two names of one ONNX value patch alike in one batched sweep', async () => {
    const { clean, corrupted, metric } = prompts();
    const r = await activationPatching({ model, clean, corrupted, hooks: ['blocks.0.hook_resid_post', 'blocks.1.hook_resid_pre'], metric, granularity: 'position' });
    expect(Array.from(r.scores.data.subarray(0, 21))).toEqual(Array.from(r.scores.data.subarray(21)));
    expect(maxAbsDiff(r.scores.data.subarray(21), values('position_sweep').slice(21, 42))).toBeLessThan(2e-4);
  });

  it('restricts positions and heads', async () => {
    const { clean, corrupted, metric } = prompts();
    const r = await activationPatching({ model, clean, corrupted, hooks: Z, metric, granularity: 'head-position', heads: [2], positions: [4, 13] });
    expect(r.scores.shape).toEqual([2, 1, 2]);
    const full = ref['head_position_sweep']!;
    const want = [full.get(0, 2, 4), full.get(0, 2, 13), full.get(1, 2, 4), full.get(1, 2, 13)] as number[];
    expect(maxAbsDiff(r.scores.data, want)).toBeLessThan(2e-4);
  });
});
