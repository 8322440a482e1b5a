/**
 * Cholesky factorisation and the inverse of a lower-triangular factor, on the host in float64.
 */

/**
 * The lower-triangular `L` with `A = L Lᵀ` for the symmetric `n × n` matrix `a` (row-major), or
 * the index of the first pivot that is not positive when `A` is not positive definite.
 *
 * @example
 * ```ts
 * cholesky(new Float64Array([4, 2, 2, 3]), 2); // { factor: [2, 0, 1, √2] }
 * ```
 */
export function cholesky(a: Float64Array, n: number): { factor: Float64Array } | { failedAt: number } {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let d = a[rowJ + j]!;
    for (let k = 0; k < j; k++) d -= l[rowJ + k]! * l[rowJ + k]!;
    if (!(d > 0)) return { failedAt: j };
    const ljj = Math.sqrt(d);
    l[rowJ + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let s = a[rowI + j]!;
      for (let k = 0; k < j; k++) s -= l[rowI + k]! * l[rowJ + k]!;
      l[rowI + j] = s / ljj;
    }
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
  // Column j of L⁻¹ solves L x = e_j; x is zero above j. Written as rows to keep the inner loop contiguous.
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    const lii = l[rowI + i]!;
    inv[rowI + i] = 1 / lii;
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= l[rowI + k]! * inv[k * n + j]!;
      inv[rowI + j] = s / lii;
    }
  }
  return inv;
}
