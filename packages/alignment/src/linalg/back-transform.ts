/**
 * Applying the orthogonal factor of a tridiagonal reduction to a matrix, a block of reflectors at
 * a time in compact-WY form (LAPACK's `dlarft` + `dlarfb`), the products on onnxruntime.
 */
import type { BackendOption } from '../backend.js';
import { applyBlockReflector } from './graphs.js';
import type { Tridiagonal } from './tridiagonal.js';

/**
 * Overwrites the row-major `n × n` matrix `z` with `Q · z`, where `Q = H₀ H₁ ⋯ H_{n−2}` is the
 * orthogonal factor of `reduction`. Blocks of `block` reflectors `Hⱼ ⋯ H_{j+b−1} = I − V T Vᵀ` are
 * applied last block first.
 *
 * @example
 * ```ts
 * const reduction = await tridiagonalize(a, n, {});
 * const q = identity(n);
 * await applyReflectors(reduction, q, {}); // q = Q, with Qᵀ A Q tridiagonal
 * ```
 * @internal
 */
export async function applyReflectors(reduction: Tridiagonal, z: Float64Array, options: BackendOption, block = 64): Promise<void> {
  const { n, reflectors, tau } = reduction;
  const count = n - 1;
  for (let j0 = Math.floor((count - 1) / block) * block; j0 >= 0; j0 -= block) {
    const b = Math.min(block, count - j0);
    const start = j0 + 1;
    const m = n - start;
    // Row k of v is reflector j0 + k restricted to rows start …; it is zero before its own row j0 + k + 1.
    const v = new Float64Array(b * m);
    for (let k = 0; k < b; k++) {
      const own = j0 + k + 1;
      v.set(reflectors.subarray((j0 + k) * n + own, (j0 + k + 1) * n), k * m + (own - start));
    }
    const t = triangularFactor(v, tau.subarray(j0, j0 + b), b, m);
    const updated = await applyBlockReflector(z.slice(start * n, n * n), v, t, m, n, b, options);
    z.set(updated, start * n);
  }
}

/**
 * The upper-triangular `T` (`b × b`, row-major) with `H₀ ⋯ H_{b−1} = I − Vᵀᵗ T V` for reflectors
 * stored as the rows of `v` (`b × m`): column `k` is `−τₖ T[0:k, 0:k] V[0:k] vₖ`, `T[k, k] = τₖ`.
 */
function triangularFactor(v: Float64Array, tau: Float64Array, b: number, m: number): Float64Array {
  const t = new Float64Array(b * b);
  const g = new Float64Array(b);
  for (let k = 0; k < b; k++) {
    const tk = tau[k]!;
    t[k * b + k] = tk;
    if (tk === 0) continue;
    const vk = k * m;
    for (let s = 0; s < k; s++) {
      const vs = s * m;
      let sum = 0;
      for (let j = k; j < m; j++) sum += v[vs + j]! * v[vk + j]!;
      g[s] = sum;
    }
    for (let r = 0; r < k; r++) {
      let sum = 0;
      for (let s = r; s < k; s++) sum += t[r * b + s]! * g[s]!;
      t[r * b + k] = -tk * sum;
    }
  }
  return t;
}
