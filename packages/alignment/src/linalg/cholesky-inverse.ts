/**
 * The inverse Cholesky factor of a large symmetric positive definite matrix, by recursive 2 × 2
 * blocking: the diagonal blocks recurse down to host-sized leaves, the off-diagonal products
 * (the triangular solve, the Schur complement and the inverse's off-diagonal block) run as
 * float64 matrix products on onnxruntime.
 */
import type { BackendOption } from '../backend.js';
import { cholesky, invertLower } from './cholesky.js';
import { choleskySchur, inverseOffDiagonal } from './graphs.js';

/**
 * `L⁻¹` for `A = L Lᵀ` (`a` symmetric `n × n`, row-major; only its lower triangle is read), or the
 * index of the first pivot `L[j, j]²` that is not above `n·ε·A[j, j]`: column `j` is then a linear
 * combination of the earlier ones up to rounding (its variance left after projecting them out is
 * at rounding level). With `A = [A₁₁ ·; A₂₁ A₂₂]`:
 * `L₂₁ = A₂₁ L₁₁⁻ᵀ`, `L₂₂ = chol(A₂₂ − L₂₁ L₂₁ᵀ)`, `(L⁻¹)₂₁ = −L₂₂⁻¹ L₂₁ L₁₁⁻¹`. Blocks of order
 * `leaf` or less run {@link cholesky} and {@link invertLower} on the host.
 *
 * @example
 * ```ts
 * await choleskyInverse(new Float64Array([4, 2, 2, 3]), 2, {}); // { inverse: [0.5, 0, −1/(2√2), 1/√2] }
 * ```
 * @internal
 */
export async function choleskyInverse(a: Float64Array, n: number, options: BackendOption, leaf = 128): Promise<{ inverse: Float64Array } | { failedAt: number }> {
  const floor = new Float64Array(n);
  for (let j = 0; j < n; j++) floor[j] = n * 2 ** -52 * Math.abs(a[j * n + j]!);
  return factorInverse(a, n, floor, options, leaf);
}

/** {@link choleskyInverse} with the pivot floors given (those of the original matrix, for a Schur complement). */
async function factorInverse(a: Float64Array, n: number, floor: Float64Array, options: BackendOption, leaf: number): Promise<{ inverse: Float64Array } | { failedAt: number }> {
  if (n <= leaf) {
    const result = cholesky(a, n, floor);
    return 'failedAt' in result ? result : { inverse: invertLower(result.factor, n) };
  }
  const k = n >> 1;
  const m = n - k;
  const a11 = new Float64Array(k * k);
  const a21 = new Float64Array(m * k);
  const a22 = new Float64Array(m * m);
  for (let r = 0; r < k; r++) a11.set(a.subarray(r * n, r * n + k), r * k);
  for (let r = 0; r < m; r++) {
    a21.set(a.subarray((k + r) * n, (k + r) * n + k), r * k);
    a22.set(a.subarray((k + r) * n + k, (k + r + 1) * n), r * m);
  }
  const first = await factorInverse(a11, k, floor.subarray(0, k), options, leaf);
  if ('failedAt' in first) return first;
  const { l21, s } = await choleskySchur(a21, first.inverse, a22, m, k, options);
  const second = await factorInverse(s, m, floor.subarray(k), options, leaf);
  if ('failedAt' in second) return { failedAt: k + second.failedAt };
  const off = await inverseOffDiagonal(second.inverse, l21, first.inverse, m, k, options);
  const inverse = new Float64Array(n * n);
  for (let r = 0; r < k; r++) inverse.set(first.inverse.subarray(r * k, (r + 1) * k), r * n);
  for (let r = 0; r < m; r++) {
    inverse.set(off.subarray(r * k, (r + 1) * k), (k + r) * n);
    inverse.set(second.inverse.subarray(r * m, (r + 1) * m), (k + r) * n + k);
  }
  return { inverse };
}
