import { applyReflectors } from '../src/linalg/back-transform.js';
import { choleskyInverse } from '../src/linalg/cholesky-inverse.js';
import { tridiagonalEigen } from '../src/linalg/divide-conquer.js';
import { symmetricEigenBlocked, type EigenBlocking } from '../src/linalg/eigh-blocked.js';
import { rankOneEigen } from '../src/linalg/secular.js';
import { tridiagonalize } from '../src/linalg/tridiagonal.js';
import { expectClose, randomMatrix } from './helpers.js';

/** Tiny blocks, so that matrices of a few dozen rows cross every block edge and both product paths. */
const small: EigenBlocking = { panel: 4, reflectors: 8, minimum: 0, leaf: 4, backendFrom: 16 };

/** Row-major `a · b` for square matrices (test-side arithmetic). */
function product(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) {
    const f = a[i * n + k]!;
    for (let j = 0; j < n; j++) c[i * n + j] = c[i * n + j]! + f * b[k * n + j]!;
  }
  return c;
}

function transpose(a: Float64Array, n: number): Float64Array {
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a[i * n + j]!;
  return t;
}

/** A random orthogonal matrix: the product of `n` Householder reflectors with random vectors. */
function randomOrthogonal(n: number, seed: number): Float64Array {
  const r = randomMatrix(n, n, seed).data;
  let q: Float64Array = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let k = 0; k < n; k++) {
    const u = r.subarray(k * n, (k + 1) * n);
    const uu = u.reduce((s, x) => s + x * x, 0);
    const h = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h[i * n + j] = (i === j ? 1 : 0) - (2 * u[i]! * u[j]!) / uu;
    q = product(q, h, n);
  }
  return q;
}

/** `Q diag(λ) Qᵀ`, a symmetric matrix with the known spectrum `λ`. */
function withSpectrum(lambda: readonly number[], seed: number): Float64Array {
  const n = lambda.length;
  const q = randomOrthogonal(n, seed);
  const scaled = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) scaled[i * n + j] = q[i * n + j]! * lambda[j]!;
  return product(scaled, transpose(q, n), n);
}

function symmetric(n: number, seed: number): Float64Array {
  const r = randomMatrix(n, n, seed).data;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = r[i * n + j]! + r[j * n + i]!;
  return a;
}

const frobenius = (a: Float64Array) => Math.sqrt(a.reduce((s, x) => s + x * x, 0));

/** ‖AV − VΛ‖_F / max(‖A‖_F, 1) and max |VᵀV − I| for column-major eigenvectors `v`. */
function quality(a: Float64Array, n: number, values: Float64Array, v: Float64Array): { residual: number; orthogonality: number } {
  const rowMajor = transpose(v, n); // rowMajor[i, k] = component i of eigenvector k
  const av = product(a, rowMajor, n);
  let residual = 0;
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) residual += (av[i * n + k]! - rowMajor[i * n + k]! * values[k]!) ** 2;
  const gram = product(v, rowMajor, n);
  let orthogonality = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) orthogonality = Math.max(orthogonality, Math.abs(gram[i * n + j]! - (i === j ? 1 : 0)));
  return { residual: Math.sqrt(residual) / Math.max(frobenius(a), 1), orthogonality };
}

function expectEigen(a: Float64Array, n: number, result: { values: Float64Array; vectors: Float64Array }, expected?: readonly number[]): void {
  const { residual, orthogonality } = quality(a, n, result.values, result.vectors);
  expect(residual).toBeLessThan(1e-13);
  expect(orthogonality).toBeLessThan(1e-13);
  for (let k = 1; k < n; k++) expect(result.values[k]!).toBeGreaterThanOrEqual(result.values[k - 1]!);
  if (expected !== undefined) {
    const scale = Math.max(1, ...expected.map(Math.abs));
    expectClose(result.values, [...expected].sort((x, y) => x - y), 1e-13 * n * scale);
  }
}

describe('blocked symmetric eigendecomposition', () => {
  it('random symmetric matrices whose order crosses the block sizes', async () => {
    for (const [n, seed] of [[1, 1], [2, 2], [3, 3], [9, 4], [37, 5], [64, 6]] as const) {
      const a = symmetric(n, seed);
      expectEigen(a, n, await symmetricEigenBlocked(a, n, {}, small));
    }
  });

  it('a known spectrum with tight clusters (gaps of 1e-9 and 1e-14)', async () => {
    const lambda = Array.from({ length: 40 }, (_, i) => (i < 15 ? 1 + i * 1e-9 : i < 30 ? -2 + (i - 15) * 1e-14 : 5 + i));
    const a = withSpectrum(lambda, 7);
    expectEigen(a, 40, await symmetricEigenBlocked(a, 40, {}, small), lambda);
  });

  it('repeated eigenvalues, a diagonal matrix and the zero matrix', async () => {
    const repeated = Array.from({ length: 36 }, (_, i) => (i < 20 ? 1 : i < 30 ? 2 : -3));
    const a = withSpectrum(repeated, 8);
    expectEigen(a, 36, await symmetricEigenBlocked(a, 36, {}, small), repeated);
    const diagonal = [3, -1, 3, 0, 7, 3, -1, 2, 2, 5, 3, 0, 1, 1, 4, 3, 9, -5, 3, 3];
    const d = new Float64Array(400);
    diagonal.forEach((x, i) => (d[i * 21] = x));
    expectEigen(d, 20, await symmetricEigenBlocked(d, 20, {}, small), diagonal);
    const zero = await symmetricEigenBlocked(new Float64Array(25 * 25), 25, {}, small);
    expectEigen(new Float64Array(25 * 25), 25, zero, new Array<number>(25).fill(0));
  });

  it('a dense matrix with a known spectrum at the default block sizes (order 200)', async () => {
    const n = 200;
    // Conjugating a diagonal by one Householder reflector H = I − 2uuᵀ keeps the spectrum.
    const lambda = Array.from({ length: n }, (_, i) => Math.cos(i) * 10 + (i % 7 === 0 ? 3 : 0));
    const u = randomMatrix(n, 1, 9).data;
    const norm = frobenius(u);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) {
        const hik = (i === k ? 1 : 0) - (2 * u[i]! * u[k]!) / norm ** 2;
        const hjk = (j === k ? 1 : 0) - (2 * u[j]! * u[k]!) / norm ** 2;
        s += hik * lambda[k]! * hjk;
      }
      a[i * n + j] = s;
    }
    expectEigen(a, n, await symmetricEigenBlocked(a, n, {}), lambda);
  });
});

describe('tridiagonal reduction and divide and conquer', () => {
  it('QᵀAQ is the reported tridiagonal and Q is orthogonal', async () => {
    const n = 30;
    const a = symmetric(n, 10);
    const reduction = await tridiagonalize(a, n, {}, 4);
    const q = new Float64Array(n * n);
    for (let i = 0; i < n; i++) q[i * n + i] = 1;
    await applyReflectors(reduction, q, {}, 8);
    const t = product(product(transpose(q, n), a, n), q, n);
    const expected = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      expected[i * n + i] = reduction.d[i]!;
      if (i > 0) expected[i * n + i - 1] = expected[(i - 1) * n + i] = reduction.e[i]!;
    }
    const scale = frobenius(a);
    for (let i = 0; i < n * n; i++) expect(Math.abs(t[i]! - expected[i]!)).toBeLessThan(1e-13 * scale);
    const qtq = product(transpose(q, n), q, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(Math.abs(qtq[i * n + j]! - (i === j ? 1 : 0))).toBeLessThan(1e-14);
  });

  it('the second-difference matrix: eigenvalues 2 − 2cos(kπ/(n+1)) and sine eigenvectors', async () => {
    const n = 100;
    const d = new Float64Array(n).fill(2);
    const e = new Float64Array(n).fill(-1);
    const { values, vectors } = await tridiagonalEigen(d, e, n, {}, { leaf: 8, backendFrom: 32 });
    expectClose(values, Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1))), 1e-13);
    for (const k of [0, 17, 99]) {
      const column = Array.from({ length: n }, (_, j) => vectors[j * n + k]!);
      const sign = Math.sign(column[0]!);
      expectClose(column, Array.from({ length: n }, (_, j) => sign * Math.sqrt(2 / (n + 1)) * Math.sin(((j + 1) * (k + 1) * Math.PI) / (n + 1))), 1e-12);
    }
  });

  it('zero and tiny couplings: decoupled and glued copies of one block (repeated and near-repeated eigenvalues)', async () => {
    const copies = 6;
    const m = 11;
    const n = copies * m;
    for (const glue of [0, 1e-15, 1e-8]) {
      const d = new Float64Array(n);
      const e = new Float64Array(n);
      for (let b = 0; b < copies; b++) {
        for (let i = 0; i < m; i++) {
          d[b * m + i] = Math.abs(i - 5);
          if (i > 0) e[b * m + i] = 1;
        }
        if (b > 0) e[b * m] = glue;
      }
      const { values, vectors } = await tridiagonalEigen(d, e, n, {}, { leaf: 5, backendFrom: 20 });
      const t = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        t[i * n + i] = d[i]!;
        if (i > 0) t[i * n + i - 1] = t[(i - 1) * n + i] = e[i]!;
      }
      expectEigen(t, n, { values, vectors: transpose(vectors, n) });
      if (glue === 0) {
        // Each eigenvalue of the 11 × 11 block appears once per copy.
        for (let k = 0; k < n; k += copies) for (let c = 1; c < copies; c++) expect(Math.abs(values[k + c]! - values[k]!)).toBeLessThan(1e-13);
      }
    }
  });

  it('rankOneEigen: the 2 × 2 case in closed form', () => {
    // D + ρzzᵀ = [[0.5, 0.5], [0.5, 1.5]]: eigenvalues 1 ∓ √0.5.
    const { values, vectors } = rankOneEigen(new Float64Array([0, 1]), new Float64Array([Math.SQRT1_2, Math.SQRT1_2]), 1);
    expectClose(values, [1 - Math.SQRT1_2, 1 + Math.SQRT1_2], 1e-15);
    for (let k = 0; k < 2; k++) {
      const [x, y] = [vectors[k]!, vectors[2 + k]!];
      expect(Math.abs(0.5 * x + 0.5 * y - values[k]! * x)).toBeLessThan(1e-15);
      expect(Math.hypot(x, y)).toBeCloseTo(1, 15);
    }
  });
});

describe('recursive Cholesky inverse', () => {
  it('L⁻¹ is lower triangular with a positive diagonal and L⁻¹ A L⁻ᵀ = I', async () => {
    const n = 37;
    const b = randomMatrix(n, n, 12).data;
    const a = product(b, transpose(b, n), n);
    for (let i = 0; i < n; i++) a[i * n + i] = a[i * n + i]! + 1;
    const result = await choleskyInverse(a, n, {}, 4);
    if (!('inverse' in result)) throw new Error('expected a factor');
    const li = result.inverse;
    for (let i = 0; i < n; i++) {
      expect(li[i * n + i]!).toBeGreaterThan(0);
      for (let j = i + 1; j < n; j++) expect(li[i * n + j]).toBe(0);
    }
    const whitened = product(product(li, a, n), transpose(li, n), n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(Math.abs(whitened[i * n + j]! - (i === j ? 1 : 0))).toBeLessThan(1e-11);
  });

  it('reports the first pivot that is not positive, in either half', async () => {
    const n = 24;
    for (const bad of [2, 20]) {
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) a[i * n + i] = i === bad ? -1 : 2;
      a[1] = a[n] = 1; // one off-diagonal pair, so the blocks are not all diagonal
      expect(await choleskyInverse(a, n, {}, 4)).toEqual({ failedAt: bad });
    }
  });

  it('reports a column that is a combination of earlier ones although rounding leaves its pivot positive', async () => {
    // With these seeds the rounded pivot of column 17 comes out about 1e-16 · A[17, 17], not ≤ 0.
    const n = 24;
    for (const seed of [16, 23, 24, 30]) {
      const b = randomMatrix(n, 40, seed).data;
      for (let j = 0; j < 40; j++) b[17 * 40 + j] = 0.3 * b[3 * 40 + j]! - 1.7 * b[9 * 40 + j]!;
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < 40; k++) a[i * n + j] = a[i * n + j]! + b[i * 40 + k]! * b[j * 40 + k]!;
      expect(await choleskyInverse(a, n, {}, 4)).toEqual({ failedAt: 17 });
      expect(await choleskyInverse(a, n, {})).toEqual({ failedAt: 17 });
    }
  });
});
