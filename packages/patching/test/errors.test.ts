import { MechintError, Tensor, type HookedModel } from '@mechint/core';
import { ablate, activationPatching, attributionPatching, hierarchicalAblation, pathPatching, accuracy, type Metric } from '../src/index.js';
import { codeOf, errorOf, loadGpt, prompts, ref } from './helpers.js';

let model: HookedModel;
beforeAll(async () => {
  model = await loadGpt();
});

const hooks = ['blocks.1.hook_resid_pre'];

describe('bad input throws coded errors before any work', () => {
  it('clean and corrupted of different shapes', async () => {
    const { clean, metric } = prompts();
    const corrupted = { tokens: Tensor.from([[0n, 1n, 2n]]) };
    const e = await errorOf(activationPatching({ model, clean, corrupted, hooks, metric, granularity: 'position' }));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toMatch(/same shape/);
    expect(await codeOf(pathPatching({ model, clean, corrupted, metric, senders: [{ hook: 'blocks.0.attn.hook_z' }], receivers: [{ hook: 'blocks.1.attn.W_K.output' }] }))).toBe('SHAPE_MISMATCH');
    expect(await codeOf(attributionPatching({ model, clean, corrupted, hooks, metric, granularity: 'layer' }))).toBe('SHAPE_MISMATCH');
  });

  it('a metric returning NaN or several values names the metric', async () => {
    const { clean, corrupted } = prompts();
    const nan: Metric = function broken() {
      return Number.NaN;
    };
    let e = await errorOf(activationPatching({ model, clean, corrupted, hooks, metric: nan, granularity: 'layer' }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/metric 'broken' returned NaN/);
    const many = (() => [1, 2]) as unknown as Metric;
    e = await errorOf(activationPatching({ model, clean, corrupted, hooks, metric: many, granularity: 'layer' }));
    expect(e.message).toMatch(/returned 2 values; it must return one number/);
    expect(e.details['length']).toBe(2);
  });

  it('unknown hooks are UNKNOWN_HOOK from core', async () => {
    const { clean, corrupted, metric } = prompts();
    expect(await codeOf(activationPatching({ model, clean, corrupted, hooks: ['blocks.9.hook_resid_pre'], metric, granularity: 'layer' }))).toBe('UNKNOWN_HOOK');
    expect(await codeOf(pathPatching({ model, clean, corrupted, metric, senders: [{ hook: 'nope' }], receivers: [{ hook: 'blocks.1.attn.W_K.output' }] }))).toBe('UNKNOWN_HOOK');
    expect(await codeOf(ablate({ model, inputs: clean, metric, targets: [{ hook: 'nope' }] }))).toBe('UNKNOWN_HOOK');
  });

  it('granularity, axes, indices, direction and batch size are checked', async () => {
    const { clean, corrupted, metric } = prompts();
    const base = { model, clean, corrupted, metric };
    let e = await errorOf(activationPatching({ ...base, hooks, granularity: 'head' }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/needs a head axis, and 'blocks.1.hook_resid_pre' has none/);
    e = await errorOf(activationPatching({ ...base, hooks, granularity: 'position', positions: [21] }));
    expect(e.message).toMatch(/index 21 is out of range for an axis of size 21/);
    expect(await codeOf(activationPatching({ ...base, hooks, granularity: 'rows' as never }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(activationPatching({ ...base, hooks, granularity: 'layer', direction: 'sideways' as never }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(activationPatching({ ...base, hooks, granularity: 'layer', batchSize: 0 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(activationPatching({ ...base, hooks: [], granularity: 'layer' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(activationPatching({ ...base, clean: { ids: clean.tokens }, hooks, granularity: 'layer' }))).toBe('INVALID_ARGUMENT');
  });

  it('attribution patching needs a metric with a gradient', async () => {
    const { clean, corrupted } = prompts();
    const e = await errorOf(attributionPatching({ model, clean, corrupted, hooks, metric: accuracy({ tokens: clean.tokens }), granularity: 'layer' }));
    expect(e.message).toMatch(/metric 'accuracy' has no gradient/);
  });

  it('path patching refuses frozen receivers', async () => {
    const { clean, corrupted, metric } = prompts();
    const e = await errorOf(pathPatching({ model, clean, corrupted, metric, senders: [{ hook: 'blocks.0.attn.hook_z', heads: [2] }], receivers: [{ hook: 'blocks.1.attn.hook_z' }] }));
    expect(e.message).toMatch(/is frozen in step 1/);
    expect(await codeOf(pathPatching({ model, clean, corrupted, metric, senders: [{ hook: 'blocks.0.attn.hook_z', heads: [4] }], receivers: [{ hook: 'blocks.1.attn.W_K.output' }] }))).toBe('INVALID_ARGUMENT');
  });

  it('ablations check method, reference and resample indices', async () => {
    const { clean, metric } = prompts();
    const targets = [{ hook: 'blocks.0.attn.hook_z', heads: [2] }];
    const base = { model, inputs: clean, metric, targets };
    expect((await errorOf(ablate({ ...base, method: 'mean' }))).message).toMatch(/needs a reference dataset/);
    expect(await codeOf(ablate({ ...base, method: 'shuffle' as never }))).toBe('INVALID_ARGUMENT');
    const short = { tokens: ref['reference.tokens']!.slice(null, [0, 10]) };
    expect(await codeOf(ablate({ ...base, method: 'resample', reference: short }))).toBe('SHAPE_MISMATCH');
    const reference = { tokens: ref['reference.tokens']! };
    expect(await codeOf(ablate({ ...base, method: 'resample', reference, resampleIndex: [0, 8] }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(ablate({ ...base, targets: [{ hook: 'blocks.0.hook_mlp_out', heads: [0] }] }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(hierarchicalAblation({ model, inputs: clean, metric, threshold: -1 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(hierarchicalAblation({ model, inputs: clean, metric, neurons: 2, hooks: (l) => ({ attention: `blocks.${l}.hook_attn_out`, mlp: `blocks.${l}.hook_mlp_out`, heads: `blocks.${l}.attn.hook_z` }) }))).toBe('INVALID_ARGUMENT');
  });
});

describe('progress and cancellation', () => {
  it('reports progress per session call and stops on abort', async () => {
    const { clean, corrupted, metric } = prompts();
    const seen: [number, number][] = [];
    await activationPatching({ model, clean, corrupted, hooks, metric, granularity: 'position', batchSize: 8, onProgress: (d, t) => seen.push([d, t]) });
    expect(seen).toEqual([[8, 21], [16, 21], [21, 21]]);
    const controller = new AbortController();
    const run = activationPatching({ model, clean, corrupted, hooks, metric, granularity: 'position', batchSize: 4, signal: controller.signal, onProgress: (d) => d >= 8 && controller.abort() });
    const e = await errorOf(run);
    expect(e.code).toBe('ABORTED');
    const aborted = new AbortController();
    aborted.abort();
    for (const p of [
      pathPatching({ model, clean, corrupted, metric, senders: [{ hook: 'blocks.0.attn.hook_z', heads: [2] }], receivers: [{ hook: 'blocks.1.attn.W_K.output' }], signal: aborted.signal }),
      attributionPatching({ model, clean, corrupted, hooks, metric, granularity: 'layer', signal: aborted.signal }),
      ablate({ model, inputs: clean, metric, targets: [{ hook: 'blocks.0.hook_mlp_out' }], signal: aborted.signal }),
      hierarchicalAblation({ model, inputs: clean, metric, signal: aborted.signal }),
    ]) {
      expect(await codeOf(p)).toBe('ABORTED');
    }
    expect(MechintError.isInstance(e)).toBe(true);
  });
});
