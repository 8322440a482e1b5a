import { HookedModel, Tensor } from '@mechint/core';
import { cka, layerSimilarityMatrix } from '../src/index.js';
import { expectCode, randomMatrix } from './helpers.js';

describe('layerSimilarityMatrix', () => {
  it('compares every residual-stream layer of two runs of a hooked model', async () => {
    const model = await HookedModel.load(new URL('../../core/test/fixtures/gpt2l.onnx', import.meta.url).pathname);
    const tokens = (ids: number[]) => Tensor.from([ids.map(BigInt)]);
    const { cache: a } = await model.runWithCache({ tokens: tokens([0, 5, 9, 2, 7, 5, 9, 2, 7, 3, 1, 4]) }, { hooks: /hook_resid_pre$/ });
    const { cache: b } = await model.runWithCache({ tokens: tokens([0, 5, 9, 2, 7, 5, 9, 2, 7, 3, 1, 4]) }, { hooks: /hook_resid_pre$/ });
    const result = await layerSimilarityMatrix(a, b, 'cka');
    expect(result.layersA).toEqual(['blocks.0.hook_resid_pre', 'blocks.1.hook_resid_pre']);
    // Same inputs, same model: the diagonal is exactly similar, the matrix symmetric.
    expect(result.values[0]![0]).toBeCloseTo(1, 5);
    expect(result.values[1]![1]).toBeCloseTo(1, 5);
    expect(result.values[0]![1]).toBeCloseTo(result.values[1]![0]!, 5);
    await model.dispose();
  });

  it('takes named methods, functions and layer subsets, and flattens leading axes into samples', async () => {
    const acts: Record<string, Tensor> = { a: randomMatrix(24, 3, 1).reshape([2, 12, 3]), b: randomMatrix(24, 4, 2) };
    const cache = { keys: () => Object.keys(acts), get: (k: string) => acts[k]! };
    const seen: number[] = [];
    const custom = await layerSimilarityMatrix(cache, cache, (x, y) => x.shape[0]! + y.shape[1]!, { layersB: ['b'], onProgress: (d) => seen.push(d) });
    expect(custom.values).toEqual([[28], [28]]);
    expect(seen).toEqual([1, 2]);
    const named = await layerSimilarityMatrix(cache, cache, 'debiased-cka', { layersA: ['a'], layersB: ['b'] });
    expect(named.values[0]![0]).toBeCloseTo(await cka(acts['a']!.reshape([24, 3]), acts['b']!, { debiased: true }), 12);
    for (const method of ['rbf-cka', 'svcca', 'pwcca', 'procrustes-angle'] as const) {
      const r = await layerSimilarityMatrix(cache, cache, method, { layersA: ['b'], layersB: ['b'] });
      expect(r.values[0]![0]).toBeCloseTo(method === 'procrustes-angle' ? 0 : 1, 6);
    }
    await expectCode(() => layerSimilarityMatrix(cache, cache, 'mystery' as 'cka'), 'INVALID_ARGUMENT', /Unknown method/);
    const bad = { keys: () => ['v'], get: () => Tensor.from([1, 2, 3]) };
    await expectCode(() => layerSimilarityMatrix(bad, bad), 'SHAPE_MISMATCH', /sample axis/);
  });
});
