/**
 * Singular value decomposition of a small square matrix by one-sided Jacobi rotations
 * (Hestenes' method), on the host in float64: accurate for small singular values, O(n³) per sweep.
 */
import { orthonormalComplete } from './orthonormal.js';

/** `A = U diag(values) Vᵀ` with orthogonal `U`, `V` (column-major) and non-negative singular values (unsorted). */
export interface Svd {
  readonly n: number;
  readonly values: Float64Array;
  /** Left singular vectors, column-major: column `k` is `u.subarray(k * n, (k + 1) * n)`. */
  readonly u: Float64Array;
  /** Right singular vectors, column-major. */
  readonly v: Float64Array;
}

/**
 * SVD of the square `n × n` matrix `a` (row-major). Columns of `U` whose singular value is zero
 * are completed to an orthonormal basis.
 *
 * @example
 * ```ts
 * jacobiSvd(new Float64Array([0, 2, 1, 0]), 2).values; // [1, 2] in some order
 * ```
 */
export function jacobiSvd(a: Float64Array, n: number): Svd {
  const u = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) u[c * n + r] = a[r * n + c]!;
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const eps = 2 ** -52;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const cp = p * n;
        const cq = q * n;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let k = 0; k < n; k++) {
          const x = u[cp + k]!;
          const y = u[cq + k]!;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        rotate(u, cp, cq, c, s, n);
        rotate(v, cp, cq, c, s, n);
      }
    }
    if (!rotated) break;
  }
  const values = new Float64Array(n);
  let largest = 0;
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += u[k * n + i]! ** 2;
    values[k] = Math.sqrt(s);
    largest = Math.max(largest, values[k]!);
  }
  const missing: number[] = [];
  for (let k = 0; k < n; k++) {
    if (values[k]! <= largest * n * eps || values[k] === 0) {
      missing.push(k);
      u.fill(0, k * n, k * n + n);
    } else {
      for (let i = 0; i < n; i++) u[k * n + i] = u[k * n + i]! / values[k]!;
    }
  }
  orthonormalComplete(u, n, missing);
  return { n, values, u, v };
}

function rotate(m: Float64Array, cp: number, cq: number, c: number, s: number, n: number): void {
  for (let k = 0; k < n; k++) {
    const x = m[cp + k]!;
    const y = m[cq + k]!;
    m[cp + k] = c * x - s * y;
    m[cq + k] = s * x + c * y;
  }
}
