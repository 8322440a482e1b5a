import { cholesky, invertLower } from '../src/linalg/cholesky.js';
import { symmetricEigen } from '../src/linalg/eigh.js';
import { jacobiSvd } from '../src/linalg/svd.js';
import { averageRanks, kendallTauA } from '../src/rank.js';
import { expectClose, randomMatrix } from './helpers.js';

describe('host linear algebra', () => {
  it('symmetricEigen: the second-difference matrix has eigenvalues 2 − 2cos(kπ/(n+1))', () => {
    const n = 40;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      a[i * n + i] = 2;
      if (i > 0) a[i * n + i - 1] = a[(i - 1) * n + i] = -1;
    }
    const { values, vectors } = symmetricEigen(a, n);
    expectClose(values, Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1))), 1e-12);
    // Eigenvector k is sin(j (k+1) π / (n+1)) up to sign and normalisation.
    const v = vectors.subarray(0, n);
    const expected = Array.from({ length: n }, (_, j) => Math.sin(((j + 1) * Math.PI) / (n + 1)) * Math.sqrt(2 / (n + 1)) * Math.sign(v[0]!));
    expectClose(v, expected, 1e-10);
  });

  it('symmetricEigen: A V = V Λ and VᵀV = I on a random symmetric matrix, repeated eigenvalues included', () => {
    const n = 25;
    const r = randomMatrix(n, n, 3).data;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = r[i * n + j]! + r[j * n + i]!;
    for (const m of [a, new Float64Array(n * n).map((_, i) => (i % (n + 1) === 0 ? 3 : 0))]) {
      const { values, vectors } = symmetricEigen(m, n);
      for (let k = 0; k < n; k++) {
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += m[i * n + j]! * vectors[k * n + j]!;
          expect(Math.abs(s - values[k]! * vectors[k * n + i]!)).toBeLessThan(1e-12);
        }
        for (let l = 0; l < n; l++) {
          let dot = 0;
          for (let i = 0; i < n; i++) dot += vectors[k * n + i]! * vectors[l * n + i]!;
          expect(Math.abs(dot - (k === l ? 1 : 0))).toBeLessThan(1e-12);
        }
      }
    }
    expect(symmetricEigen(new Float64Array(0), 0).values).toHaveLength(0);
  });

  it('symmetricEigen: ‖AV − VΛ‖ ≤ 1e-10‖A‖ and VᵀV = I on a random 200 × 200 symmetric matrix', () => {
    const n = 200;
    const r = randomMatrix(n, n, 11).data;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = r[i * n + j]! + r[j * n + i]!;
    const { values, vectors } = symmetricEigen(a, n);
    const norm = Math.hypot(...a);
    let residual = 0;
    let orthogonality = 0;
    for (let k = 0; k < n; k++) {
      const vk = vectors.subarray(k * n, (k + 1) * n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += a[i * n + j]! * vk[j]!;
        residual += (s - values[k]! * vk[i]!) ** 2;
      }
      for (let l = 0; l < n; l++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += vk[i]! * vectors[l * n + i]!;
        orthogonality = Math.max(orthogonality, Math.abs(dot - (k === l ? 1 : 0)));
      }
    }
    expect(Math.sqrt(residual)).toBeLessThanOrEqual(1e-10 * norm);
    expect(orthogonality).toBeLessThan(1e-12);
    for (let k = 1; k < n; k++) expect(values[k]!).toBeGreaterThanOrEqual(values[k - 1]!);
  });

  it('cholesky and invertLower: L Lᵀ = A, L⁻¹ L = I; a singular matrix reports its pivot', () => {
    const result = cholesky(new Float64Array([4, 2, 2, 3]), 2);
    expect('factor' in result && Array.from(result.factor)).toEqual([2, 0, 1, Math.SQRT2]);
    expectClose(invertLower(new Float64Array([2, 0, 1, 1]), 2), [0.5, 0, -0.5, 1], 1e-15);
    expect(cholesky(new Float64Array([1, 1, 1, 1]), 2)).toEqual({ failedAt: 1 });
  });

  it('jacobiSvd: singular values of a known matrix, orthogonal factors, rank-deficient completion', () => {
    // [[3, 0], [4, 5]] has singular values √45 and √5.
    const { values, u, v } = jacobiSvd(new Float64Array([3, 0, 4, 5]), 2);
    expectClose(Array.from(values).sort((a, b) => b - a), [Math.sqrt(45), Math.sqrt(5)], 1e-12);
    const rebuilt = [0, 1, 2, 3].map((k) => {
      const [i, j] = [k >> 1, k & 1];
      return values[0]! * u[i]! * v[j]! + values[1]! * u[2 + i]! * v[2 + j]!;
    });
    expectClose(rebuilt, [3, 0, 4, 5], 1e-12);
    const rank1 = jacobiSvd(new Float64Array([1, 2, 2, 4]), 2);
    expectClose(Array.from(rank1.values).sort((a, b) => b - a), [5, 0], 1e-12);
    const dot = rank1.u[0]! * rank1.u[2]! + rank1.u[1]! * rank1.u[3]!;
    expect(Math.abs(dot)).toBeLessThan(1e-12);
    expect(Math.hypot(rank1.u[2]!, rank1.u[3]!)).toBeCloseTo(1, 12);
  });

  it('averageRanks and kendallTauA on hand-checked cases', () => {
    expect(Array.from(averageRanks(new Float64Array([10, 30, 20, 20])))).toEqual([1, 4, 2.5, 2.5]);
    expect(kendallTauA(new Float64Array([1, 2, 3]), new Float64Array([1, 3, 2]))).toBeCloseTo(1 / 3, 15);
    // Ties: pairs (0,1) tie in x, (2,3) tie in y; of the 6 pairs, 4 are concordant, 0 discordant.
    expect(kendallTauA(new Float64Array([1, 1, 2, 3]), new Float64Array([1, 2, 3, 3]))).toBeCloseTo(4 / 6, 15);
  });

  it('averageRanks orders negatives, signed zeros, infinities and ties like a comparison sort', () => {
    const values = new Float64Array([3.5, -1e-300, -0, 0, Infinity, -2, 1e300, -Infinity, -2, 3.5, 7, -7.25]);
    const expected = Array.from(values, (v) => {
      const below = values.filter((w) => w < v).length;
      const equal = values.filter((w) => w === v).length;
      return below + (equal + 1) / 2;
    });
    expect(Array.from(averageRanks(values))).toEqual(expected);
  });
});
