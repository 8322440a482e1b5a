import { Tensor } from '@mechint/core';
import { bootstrap, cka, permutationTest, rsa, rsaPermutationTest } from '../src/index.js';
import { expectCode, randomMatrix } from './helpers.js';

describe('permutationTest', () => {
  const x = randomMatrix(12, 3, 31);
  const similarity = (a: Tensor<'float32' | 'float64'>, b: Tensor<'float32' | 'float64'>) => cka(a, b);

  it('gives the smallest possible p-value, 1/(P+1), when no permutation beats identical data', async () => {
    const result = await permutationTest(x, x, similarity, { permutations: 49, seed: 1 });
    expect(result.observed).toBeCloseTo(1, 12);
    expect(result.nullDistribution).toHaveLength(49);
    expect(result.pValue).toBe(1 / 50);
  });

  it('is reproducible from its seed and reports progress', async () => {
    const y = randomMatrix(12, 2, 32);
    const seen: number[] = [];
    const first = await permutationTest(x, y, similarity, { permutations: 20, seed: 7, onProgress: (done) => seen.push(done) });
    const again = await permutationTest(x, y, similarity, { permutations: 20, seed: 7 });
    const other = await permutationTest(x, y, similarity, { permutations: 20, seed: 8 });
    expect(Array.from(again.nullDistribution)).toEqual(Array.from(first.nullDistribution));
    expect(Array.from(other.nullDistribution)).not.toEqual(Array.from(first.nullDistribution));
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const above = first.nullDistribution.filter((v) => v >= first.observed).length;
    expect(first.pValue).toBe((1 + above) / 21);
  });

  it('honours an abort signal and rejects bad counts', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(permutationTest(x, x, similarity, { signal: controller.signal })).rejects.toThrow('stop');
    await expectCode(() => permutationTest(x, x, similarity, { permutations: 0 }), 'INVALID_ARGUMENT', /positive integer/);
  });
});

describe('bootstrap', () => {
  it('gives the degenerate interval [1, 1] for CKA of a rotated, scaled copy', async () => {
    const x = randomMatrix(15, 3, 41);
    const y = new Tensor('float64', x.data.map((v, i) => (i % 3 === 0 ? -2 * v : 2 * v)), [15, 3]);
    const result = await bootstrap(x, y, (a, b) => cka(a, b), { resamples: 30, seed: 5 });
    expect(result.level).toBe(0.95);
    expect(result.lower).toBeCloseTo(1, 10);
    expect(result.upper).toBeCloseTo(1, 10);
    expect(result.distribution).toHaveLength(30);
  });

  it('uses numpy-style interpolated percentiles of its distribution', async () => {
    const x = randomMatrix(15, 2, 42);
    const y = randomMatrix(15, 2, 43);
    const result = await bootstrap(x, y, (a, b) => cka(a, b), { resamples: 21, level: 0.5, seed: 6 });
    const sorted = Array.from(result.distribution).sort((a, b) => a - b);
    expect(result.lower).toBe(sorted[5]); // q = 0.25 of 21 values: position 5 exactly
    expect(result.upper).toBe(sorted[15]);
    await expectCode(() => bootstrap(x, y, (a, b) => cka(a, b), { level: 95 }), 'INVALID_ARGUMENT', /0\.95/);
  });
});

describe('rsaPermutationTest', () => {
  it('relabels conditions; identical RDMs reach p = 1/(P+1)', async () => {
    const a = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    const result = await rsaPermutationTest(a, a, { permutations: 99, seed: 3 });
    expect(result.observed).toBe(1);
    expect(result.pValue).toBeLessThanOrEqual(0.05);
    // Every permuted RDM is a reordering of the same dissimilarities.
    expect(rsa(a, a.slice().reverse())).toBe(-1);
  });

  it('rejects a vector that is no RDM', async () => {
    await expectCode(() => rsaPermutationTest([1, 2, 3, 4], [1, 2, 3, 4]), 'SHAPE_MISMATCH', /c\(c−1\)\/2/);
  });
});
