import { Tensor } from '@mechint/core';
import { cca } from '../src/index.js';
import { expectCode, randomMatrix } from './helpers.js';

/** Column-centred `[n, p]` data. */
function centred(t: Tensor<'float64'>): Float64Array {
  const [n, p] = t.shape as [number, number];
  const out = t.data.slice();
  for (let j = 0; j < p; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += out[i * p + j]!;
    mean /= n;
    for (let i = 0; i < n; i++) out[i * p + j] = out[i * p + j]! - mean;
  }
  return out;
}

/** `aᵀ b / (n − 1)` for `[n, p]` and `[n, q]` row-major data. */
function covariance(a: Float64Array, b: Float64Array, n: number, p: number, q: number): Float64Array {
  const c = new Float64Array(p * q);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) {
    const f = a[i * p + j]! / (n - 1);
    for (let k = 0; k < q; k++) c[j * q + k] = c[j * q + k]! + f * b[i * q + k]!;
  }
  return c;
}

/** `wxᵀ c wy` for `[p, k]` weights and a `[p, q]` matrix. */
function sandwich(wx: Float64Array, c: Float64Array, wy: Float64Array, p: number, q: number, k: number): Float64Array {
  const cw = new Float64Array(p * k);
  for (let j = 0; j < p; j++) for (let l = 0; l < q; l++) {
    const f = c[j * q + l]!;
    for (let m = 0; m < k; m++) cw[j * k + m] = cw[j * k + m]! + f * wy[l * k + m]!;
  }
  const out = new Float64Array(k * k);
  for (let j = 0; j < p; j++) for (let a = 0; a < k; a++) {
    const f = wx[j * k + a]!;
    for (let m = 0; m < k; m++) out[a * k + m] = out[a * k + m]! + f * cw[j * k + m]!;
  }
  return out;
}

function expectDiagonal(m: Float64Array, k: number, diagonal: ArrayLike<number>, tolerance: number): void {
  let worst = 0;
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) worst = Math.max(worst, Math.abs(m[i * k + j]! - (i === j ? diagonal[i]! : 0)));
  expect(worst).toBeLessThan(tolerance);
}

describe('cca above the blocked-algebra thresholds (130 features)', () => {
  it('variates have unit variance, are uncorrelated within each side, and correlate pairwise by ρ', async () => {
    const [n, p, q] = [400, 130, 140];
    const x = randomMatrix(n, p, 21);
    const noise = randomMatrix(n, q, 22);
    const y = new Float64Array(n * q);
    for (let i = 0; i < n; i++) for (let j = 0; j < q; j++) y[i * q + j] = x.data[i * p + (j % p)]! * (j % 3) + noise.data[i * q + j]!;
    const yt = new Tensor('float64', y, [n, q]);
    const { correlations, weightsX, weightsY } = await cca(x, yt);
    expect(correlations).toHaveLength(p);
    for (let i = 1; i < p; i++) expect(correlations[i]!).toBeLessThanOrEqual(correlations[i - 1]!);
    const [xc, yc] = [centred(x), centred(yt)];
    const ones = new Array<number>(p).fill(1);
    expectDiagonal(sandwich(weightsX.data, covariance(xc, xc, n, p, p), weightsX.data, p, p, p), p, ones, 1e-9);
    expectDiagonal(sandwich(weightsY.data, covariance(yc, yc, n, q, q), weightsY.data, q, q, p), p, ones, 1e-9);
    expectDiagonal(sandwich(weightsX.data, covariance(xc, yc, n, p, q), weightsY.data, p, q, p), p, correlations, 1e-9);
  });

  it('an invertible linear map of X is found with all correlations 1', async () => {
    const [n, p] = [300, 130];
    const x = randomMatrix(n, p, 23);
    const map = randomMatrix(p, p, 24).data;
    const y = new Float64Array(n * p);
    for (let i = 0; i < n; i++) for (let k = 0; k < p; k++) {
      const f = x.data[i * p + k]!;
      for (let j = 0; j < p; j++) y[i * p + j] = y[i * p + j]! + f * map[k * p + j]!;
    }
    const { correlations } = await cca(x, new Tensor('float64', y, [n, p]));
    for (const r of correlations) expect(Math.abs(r - 1)).toBeLessThan(1e-9);
  });

  it('collinear columns past the first block are reported, X before Y when both are singular', async () => {
    const [n, p] = [300, 130];
    const collinear = (seed: number, column: number) => {
      const t = randomMatrix(n, p, seed);
      for (let i = 0; i < n; i++) t.data[i * p + column] = 2 * t.data[i * p]! - t.data[i * p + 1]!;
      return t;
    };
    await expectCode(() => cca(randomMatrix(n, p, 25), collinear(26, 129)), 'INVALID_ARGUMENT', /covariance of Y is singular: column 129/);
    await expectCode(() => cca(collinear(27, 100), collinear(28, 129)), 'INVALID_ARGUMENT', /covariance of X is singular: column 100/);
  });
});
