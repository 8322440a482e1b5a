import { Tensor } from '@mechint/core';
import { cka, ckaDistance, MinibatchCka } from '../src/index.js';
import { expectCode, num, randomMatrix, ref, times } from './helpers.js';

/** A random orthogonal matrix (Gram–Schmidt on a seeded random matrix). */
function orthogonal(d: number, seed: number): Tensor<'float64'> {
  const m = randomMatrix(d, d, seed).data;
  for (let j = 0; j < d; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += m[i * d + j]! * m[i * d + k]!;
      for (let i = 0; i < d; i++) m[i * d + j] = m[i * d + j]! - dot * m[i * d + k]!;
    }
    let norm = 0;
    for (let i = 0; i < d; i++) norm += m[i * d + j]! ** 2;
    for (let i = 0; i < d; i++) m[i * d + j] = m[i * d + j]! / Math.sqrt(norm);
  }
  return new Tensor('float64', m, [d, d]);
}

describe('cka against Kornblith et al.’s reference code', () => {
  // 'tall' (60 × 10) runs the feature-space kernel, 'wide' (20 × 50) the Gram-matrix kernel.
  for (const shape of ['tall', 'wide']) {
    const x = () => ref(`cka_${shape}_x`);
    const y = () => ref(`cka_${shape}_y`);
    it(`${shape}: linear, biased and debiased`, async () => {
      expect(Math.abs((await cka(x(), y())) - num(`cka_${shape}_linear`))).toBeLessThan(1e-6);
      expect(Math.abs((await cka(x(), y(), { debiased: true })) - num(`cka_${shape}_linear_debiased`))).toBeLessThan(1e-6);
    });
    it(`${shape}: RBF with σ = 1 and 0.5 of the median distance, and debiased`, async () => {
      expect(Math.abs((await cka(x(), y(), { kernel: 'rbf' })) - num(`cka_${shape}_rbf`))).toBeLessThan(1e-6);
      expect(Math.abs((await cka(x(), y(), { kernel: 'rbf', sigma: 0.5 })) - num(`cka_${shape}_rbf_05`))).toBeLessThan(1e-6);
      expect(Math.abs((await cka(x(), y(), { kernel: 'rbf', debiased: true })) - num(`cka_${shape}_rbf_debiased`))).toBeLessThan(1e-6);
    });
  }

  it('takes the median of an odd number of squared distances as numpy does', async () => {
    const x = ref('cka_tall_x').slice([0, 21]) as Tensor<'float64'>;
    const y = ref('cka_tall_y').slice([0, 21]) as Tensor<'float64'>;
    expect(Math.abs((await cka(x, y, { kernel: 'rbf' })) - num('cka_odd_rbf'))).toBeLessThan(1e-6);
  });

  it('reports a negative debiased CKA instead of clipping it', async () => {
    const value = await cka(ref('cka_neg_x'), ref('cka_neg_y'), { debiased: true });
    expect(num('cka_neg_debiased')).toBeLessThan(0);
    expect(Math.abs(value - num('cka_neg_debiased'))).toBeLessThan(1e-6);
  });

  it('runs float32 inputs in float32 (close, not exact)', async () => {
    const value = await cka(ref('cka_tall_x').clone('float32'), ref('cka_tall_y').clone('float32'));
    expect(Math.abs(value - num('cka_tall_linear'))).toBeLessThan(1e-4);
  });
});

describe('cka invariances', () => {
  const x = randomMatrix(40, 6, 21);
  const y = times(x, randomMatrix(6, 5, 22));
  it('is unchanged by orthogonal transforms and isotropic scaling (both kernels)', async () => {
    const q = orthogonal(6, 23);
    const moved = times(x, q).data.map((v) => 3.5 * v);
    const transformed = new Tensor('float64', moved, [40, 6]);
    for (const kernel of ['linear', 'rbf'] as const) {
      const base = await cka(x, y, { kernel });
      expect(Math.abs((await cka(transformed, y, { kernel })) - base)).toBeLessThan(1e-10);
    }
  });

  it('is 1 for a representation and its rotated copy; ckaDistance is then 0', async () => {
    expect(await cka(x, times(x, orthogonal(6, 24)))).toBeCloseTo(1, 12);
    expect(await ckaDistance(x, x)).toBeCloseTo(0, 6);
    expect(Math.cos(await ckaDistance(x, y))).toBeCloseTo(await cka(x, y), 12);
  });
});

describe('cka bad input', () => {
  it('says what to do', async () => {
    const x = randomMatrix(10, 3, 1);
    await expectCode(() => cka(Tensor.zeros([10, 3], 'float64'), x), 'INVALID_ARGUMENT', /HSIC of X with itself.*constant/);
    await expectCode(() => cka(x, x, { kernel: 'cosine' as 'rbf' }), 'INVALID_ARGUMENT', /linear' or 'rbf'/);
    await expectCode(() => cka(x, x, { kernel: 'rbf', sigma: 0 }), 'INVALID_ARGUMENT', /sigma/);
    await expectCode(() => cka(x.slice([0, 3]), x.slice([0, 3]), { debiased: true }), 'INVALID_ARGUMENT', /at least 4/);
    await expectCode(() => cka(x, randomMatrix(9, 3, 2)), 'SHAPE_MISMATCH');
    const inf = x.clone();
    inf.data[4] = Number.POSITIVE_INFINITY;
    await expectCode(() => cka(inf, x), 'INVALID_ARGUMENT', /Infinity at \[1, 1\]/);
  });

  it('names the first NaN of either side, on the feature-space and the Gram-matrix routes', async () => {
    const x = randomMatrix(10, 3, 1);
    const nan = x.clone();
    nan.data[7] = Number.NaN;
    await expectCode(() => cka(x, nan), 'INVALID_ARGUMENT', /^Y holds NaN at \[2, 1\]/);
    await expectCode(() => cka(nan, x, { debiased: true }), 'INVALID_ARGUMENT', /^X holds NaN at \[2, 1\]/);
    await expectCode(() => cka(x, nan, { kernel: 'rbf' }), 'INVALID_ARGUMENT', /^Y holds NaN at \[2, 1\]/);
  });

  it('reports float32 products that overflow instead of returning NaN', async () => {
    const huge = randomMatrix(10, 3, 1).clone('float32');
    for (let i = 0; i < huge.size; i++) huge.data[i]! *= 1e20;
    await expectCode(() => cka(huge, huge), 'INVALID_ARGUMENT', /overflow float32.*float64/);
    expect(await cka(huge.clone('float64'), huge.clone('float64'))).toBeCloseTo(1, 12);
  });
});

describe('MinibatchCka', () => {
  it('matches Nguyen et al.’s unbiased-HSIC average over three batches', async () => {
    const x = ref('cka_tall_x');
    const y = ref('cka_tall_y');
    const acc = new MinibatchCka();
    for (let i = 0; i < 60; i += 20) await acc.update(x.slice([i, i + 20]), y.slice([i, i + 20]));
    expect(acc.batches).toBe(3);
    expect(Math.abs(acc.value() - num('cka_minibatch'))).toBeLessThan(1e-6);
  });

  it('refuses a value before any batch and batches under 4 samples', async () => {
    const acc = new MinibatchCka();
    await expectCode(() => acc.value(), 'INVALID_ARGUMENT', /update/);
    await expectCode(() => acc.update(randomMatrix(3, 2, 1), randomMatrix(3, 2, 2)), 'INVALID_ARGUMENT', /at least 4/);
  });
});
