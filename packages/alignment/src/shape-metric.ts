/**
 * Generalized shape metrics (Williams et al. 2021): angular distances between representations
 * after partial whitening and an optimal rotation.
 */
import { MechintError } from '@mechint/core';
import type { BackendOption } from './backend.js';
import { toPair, type Activations } from './input.js';
import { centredProducts } from './kernels/products.js';
import { matmul, type Dense } from './kernels/matmul.js';
import { symmetricEigenBlocked } from './linalg/eigh-blocked.js';
import { jacobiSvd } from './linalg/svd.js';

/** Options of {@link shapeDistance}. */
export interface ShapeDistanceOptions extends BackendOption {
  /**
   * Partial whitening, from 1 (none: the angular Procrustes distance) to 0 (full whitening: the
   * arccos of the mean canonical correlation). Each side is mapped to `X̄ (αI + (1−α) C^{−1/2})`,
   * `C = X̄ᵀX̄ / n`. Defaults to 1, netrep's `LinearMetric(alpha=1)`.
   */
  alpha?: number;
}

/**
 * The angular shape distance `arccos(max_Q ⟨φ(X), φ(Y)Q⟩ / (‖φ(X)‖ ‖φ(Y)‖))` over orthogonal `Q`,
 * in radians: a metric on representations, 0 for representations equal up to rotation (and
 * scale), π/2 at most for centred ones. `alpha: 1` is the angular Procrustes distance.
 * Narrower inputs are padded with zero columns.
 *
 * @see Williams, Kunz, Kornblith & Linderman 2021, Generalized Shape Metrics on Neural Representations (eq. 4, 11).
 * @example
 * ```ts
 * import { shapeDistance } from '@mechint/alignment';
 * const x = [[0, 0], [1, 0], [0, 2], [3, 1]];
 * const y = x.map(([a, b]) => [b!, -a!]);
 * console.log((await shapeDistance(x, y)).toFixed(6)); // '0.000000'
 * ```
 */
export async function shapeDistance(x: Activations, y: Activations, options: ShapeDistanceOptions = {}): Promise<number> {
  const alpha = options.alpha ?? 1;
  if (!(alpha >= 0 && alpha <= 1)) throw new MechintError('INVALID_ARGUMENT', `alpha must lie in [0, 1] (1: Procrustes, 0: CCA); got ${alpha}.`);
  const [a, b] = toPair(x, y);
  const products = await centredProducts(a, b, options);
  const zx = await whitening(products.sxx, a.p, a.n, alpha, 'X', options);
  const zy = await whitening(products.syy, b.p, b.n, alpha, 'Y', options);
  const sxx: Dense = { data: products.sxx, rows: a.p, cols: a.p };
  const syy: Dense = { data: products.syy, rows: b.p, cols: b.p };
  const cross = await matmul(await matmul(zx, { data: products.sxy, rows: a.p, cols: b.p }, options, true), zy, options);
  const normX = trace(await matmul(await matmul(zx, sxx, options, true), zx, options));
  const normY = trace(await matmul(await matmul(zy, syy, options, true), zy, options));
  if (!(normX > 0 && normY > 0)) throw new MechintError('INVALID_ARGUMENT', `${normX > 0 ? 'Y' : 'X'} is constant across samples (zero variance), so it has no shape to compare.`);
  const d = Math.max(a.p, b.p);
  const m = new Float64Array(d * d);
  for (let i = 0; i < a.p; i++) for (let j = 0; j < b.p; j++) m[i * d + j] = cross.data[i * b.p + j]!;
  const nuclear = jacobiSvd(m, d).values.reduce((s, v) => s + v, 0);
  return Math.acos(Math.max(-1, Math.min(1, nuclear / Math.sqrt(normX * normY))));
}

/** `αI + (1−α) C^{−1/2}` for `C = S / n`. */
async function whitening(s: Float64Array, p: number, n: number, alpha: number, name: string, options: BackendOption): Promise<Dense> {
  const z = new Float64Array(p * p);
  if (alpha === 1) {
    for (let i = 0; i < p; i++) z[i * p + i] = 1;
    return { data: z, rows: p, cols: p };
  }
  const { values, vectors } = await symmetricEigenBlocked(s, p, options);
  const largest = values[p - 1]!;
  for (let k = 0; k < p; k++) {
    const lambda = values[k]! / n;
    if (!(values[k]! > largest * p * 1e-12)) {
      throw new MechintError('INVALID_ARGUMENT', `alpha < 1 whitens ${name}, but its covariance is singular (fewer samples than features, or collinear/constant columns). Use alpha: 1, or reduce the features first.`, {
        details: { name },
      });
    }
    const weight = (1 - alpha) / Math.sqrt(lambda);
    const vk = vectors.subarray(k * p, (k + 1) * p);
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) z[i * p + j] = z[i * p + j]! + weight * vk[i]! * vk[j]!;
  }
  for (let i = 0; i < p; i++) z[i * p + i] = z[i * p + i]! + alpha;
  return { data: z, rows: p, cols: p };
}

function trace(m: Dense): number {
  let t = 0;
  for (let i = 0; i < m.rows; i++) t += m.data[i * m.cols + i]!;
  return t;
}
