/**
 * Symmetric eigendecomposition on the host: Householder tridiagonalisation followed by the
 * implicit QL algorithm (EISPACK's `tred2` / `tql2`, as in JAMA), in float64.
 */
import { dot } from './dot.js';
import { implicitQl } from './ql.js';

/** Eigenvalues (ascending) and eigenvectors of a symmetric matrix. */
export interface SymmetricEigen {
  /** Order of the matrix. */
  readonly n: number;
  /** Eigenvalues in ascending order. */
  readonly values: Float64Array;
  /** Eigenvectors, column-major: eigenvector `k` is `vectors.subarray(k * n, (k + 1) * n)`. */
  readonly vectors: Float64Array;
}

/**
 * Eigendecomposition `A = V diag(values) Vᵀ` of the symmetric `n × n` matrix `a` (row-major; only
 * its symmetry is relied on, not which triangle is filled, so pass a full symmetric matrix).
 *
 * @example
 * ```ts
 * const { values } = symmetricEigen(new Float64Array([2, 1, 1, 2]), 2); // values ≈ [1, 3]
 * ```
 */
export function symmetricEigen(a: Float64Array, n: number): SymmetricEigen {
  const v = new Float64Array(n * n);
  // Column-major storage: element (row r, column c) lives at v[c * n + r]; `a` is symmetric, so copying it as is is its own transpose.
  v.set(a.subarray(0, n * n));
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return { n, values: d, vectors: v };
  tridiagonalize(v, d, e, n);
  diagonalize(v, d, e, n);
  return { n, values: d, vectors: v };
}

/** Householder reduction to tridiagonal form (`tred2`), accumulating the transformations in `v`. */
function tridiagonalize(v: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = v[j * n + n - 1]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = v[j * n + i - 1]!;
        v[j * n + i] = 0;
        v[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        const col = j * n;
        f = d[j]!;
        v[i * n + j] = f;
        e[j] = e[j]! + v[col + j]! * f + symmetricProductStep(v, col, d, e, f, j + 1, i);
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        const col = j * n;
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) v[col + k] = v[col + k]! - (f * e[k]! + g * d[k]!);
        d[j] = v[col + i - 1]!;
        v[col + i] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    v[i * n + n - 1] = v[i * n + i]!;
    v[i * n + i] = 1;
    const h = d[i + 1]!;
    const next = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = v[next + k]! / h;
      for (let j = 0; j <= i; j++) {
        const col = j * n;
        const g = dot(v, next, col, i + 1);
        for (let k = 0; k <= i; k++) v[col + k] = v[col + k]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) v[next + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = v[j * n + n - 1]!;
    v[j * n + n - 1] = 0;
  }
  v[n * n - 1] = 1;
  e[0] = 0;
}

/** Implicit QL on the tridiagonal `(d, e)`, accumulating into the column-major `vc`; sorts ascending. */
function diagonalize(vc: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  const v = transpose(vc, n);
  implicitQl(v, d, e, n);
  vc.set(transpose(v, n));
  sortAscending(vc, d, n);
}

/** The transpose of the `n × n` matrix `a`, as a new array. */
function transpose(a: Float64Array, n: number): Float64Array {
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a[i * n + j]!;
  return t;
}

function sortAscending(v: Float64Array, d: Float64Array, n: number): void {
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = d[i]!;
    for (let j = i + 1; j < n; j++) {
      if (d[j]! < p) {
        k = j;
        p = d[j]!;
      }
    }
    if (k !== i) {
      d[k] = d[i]!;
      d[i] = p;
      const column = v.slice(i * n, i * n + n);
      v.copyWithin(i * n, k * n, k * n + n);
      v.set(column, k * n);
    }
  }
}

/**
 * One column of the symmetric product `e = A d` from the stored triangle: adds `f · v[col + k]` to `e[k]`
 * for `k` in `[from, to)` and returns `Σ v[col + k] · d[k]` over the same range.
 */
function symmetricProductStep(v: Float64Array, col: number, d: Float64Array, e: Float64Array, f: number, from: number, to: number): number {
  let g0 = 0;
  let g1 = 0;
  let k = from;
  for (; k + 1 < to; k += 2) {
    const x0 = v[col + k]!;
    const x1 = v[col + k + 1]!;
    g0 += x0 * d[k]!;
    g1 += x1 * d[k + 1]!;
    e[k] = e[k]! + x0 * f;
    e[k + 1] = e[k + 1]! + x1 * f;
  }
  if (k < to) {
    const x = v[col + k]!;
    g0 += x * d[k]!;
    e[k] = e[k]! + x * f;
  }
  return g0 + g1;
}
