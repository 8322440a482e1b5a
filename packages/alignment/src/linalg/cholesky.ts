/**
 * Cholesky factorisation and the inverse of a lower-triangular factor, on the host in float64.
 */
import { dot } from './dot.js';

/**
 * The lower-triangular `L` with `A = L Lᵀ` for the symmetric `n × n` matrix `a` (row-major), or
 * the index of the first pivot that is not above its floor (`floor[j]`, default 0) when `A` is
 * not (numerically) positive definite.
 *
 * @example
 * ```ts
 * cholesky(new Float64Array([4, 2, 2, 3]), 2); // { factor: [2, 0, 1, √2] }
 * ```
 */
export function cholesky(a: Float64Array, n: number, floor?: Float64Array): { factor: Float64Array } | { failedAt: number } {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    const d = a[rowJ + j]! - dot(l, rowJ, rowJ, j);
    if (!(d > (floor?.[j] ?? 0))) return { failedAt: j };
    const ljj = Math.sqrt(d);
    l[rowJ + j] = ljj;
    for (let i = j + 1; i < n; i++) l[i * n + j] = (a[i * n + j]! - dot(l, i * n, rowJ, j)) / ljj;
  }
  return { factor: l };
}

/**
 * `L⁻¹` for a lower-triangular `n × n` matrix `l` with a non-zero diagonal (row-major).
 *
 * @example
 * ```ts
 * invertLower(new Float64Array([2, 0, 1, 1]), 2); // [0.5, 0, -0.5, 1]
 * ```
 */
export function invertLower(l: Float64Array, n: number): Float64Array {
  const inv = new Float64Array(n * n);
  // Row i of L⁻¹ is (e_i − Σ_{k<i} L[i,k] · row k of L⁻¹) / L[i,i]: contiguous row updates (axpy).
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    for (let k = 0; k < i; k++) {
      const f = l[rowI + k]!;
      const rowK = k * n;
      for (let j = 0; j <= k; j++) inv[rowI + j] = inv[rowI + j]! - f * inv[rowK + j]!;
    }
    inv[rowI + i] = 1;
    const scale = 1 / l[rowI + i]!;
    for (let j = 0; j <= i; j++) inv[rowI + j] = inv[rowI + j]! * scale;
  }
  return inv;
}
