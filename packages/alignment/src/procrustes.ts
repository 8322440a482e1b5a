/**
 * Orthogonal Procrustes alignment with scipy's `procrustes` definition.
 */
import { MechintError, Tensor } from '@mechint/core';
import type { BackendOption } from './backend.js';
import { toPair, type Activations } from './input.js';
import { centredProducts } from './kernels/products.js';
import { jacobiSvd } from './linalg/svd.js';

/** Options of {@link procrustes}. */
export interface ProcrustesOptions extends BackendOption {
  /** Scale the rotated Y optimally, as scipy's `procrustes` does. Defaults to true. */
  scaling?: boolean;
  /** Allow improper rotations (reflections), as scipy's `orthogonal_procrustes` does. Defaults to true. */
  reflection?: boolean;
}

/** The alignment of Y onto X. */
export interface ProcrustesResult {
  /**
   * `[d, d]` orthogonal matrix (`d = max(p, q)`; the narrower input is padded with zero columns)
   * such that `Ŷ · rotation · scale` is scipy's transformed `mtx2`, where `Ŷ` is Y with columns
   * centred and scaled to unit Frobenius norm.
   */
  readonly rotation: Tensor<'float64'>;
  /** The optimal scale (the nuclear norm of `X̂ᵀŶ`, less twice the smallest singular value after a forbidden reflection); 1 without scaling. */
  readonly scale: number;
  /**
   * `‖X̂ − Ŷ·rotation·scale‖²_F`: scipy's `disparity`, `1 − scale²` with scaling; `2 − 2·s` without,
   * `s` the (possibly reflection-corrected) nuclear norm.
   */
  readonly disparity: number;
}

/**
 * Procrustes analysis as `scipy.spatial.procrustes`: centre both matrices, scale each to unit
 * Frobenius norm, rotate (and scale) Y onto X, report the residual sum of squares. The
 * cross-product runs as a graph kernel; the `d × d` SVD (one-sided Jacobi) on the host — fine
 * for hundreds of features, slow beyond about a thousand.
 *
 * Throws `SHAPE_MISMATCH` for different sample counts and `INVALID_ARGUMENT` for NaN or a constant X or Y.
 *
 * @see Gower 1975, Generalized Procrustes analysis; scipy.spatial.procrustes; Williams et al. 2021.
 * @example
 * ```ts
 * import { procrustes } from '@mechint/alignment';
 * const x = [[0, 0], [1, 0], [0, 2], [3, 1]];
 * const y = x.map(([a, b]) => [5 * b! + 1, -5 * a!]); // rotated, scaled and shifted
 * const { disparity, scale } = await procrustes(x, y);
 * console.log(disparity.toFixed(6), scale.toFixed(6)); // '0.000000' '1.000000'
 * ```
 */
export async function procrustes(x: Activations, y: Activations, options: ProcrustesOptions = {}): Promise<ProcrustesResult> {
  const { d, svd, scale: nuclear, improper } = await alignment(x, y, options);
  const reflection = options.reflection ?? true;
  let scale = nuclear;
  if (!reflection && improper) {
    let smallest = 0;
    for (let k = 1; k < d; k++) if (svd.values[k]! < svd.values[smallest]!) smallest = k;
    scale -= 2 * svd.values[smallest]!;
    for (let i = 0; i < d; i++) svd.u[smallest * d + i] = -svd.u[smallest * d + i]!;
  }
  // rotation = V Uᵀ, the transpose of scipy's R = U Vᵀ.
  const rotation = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += svd.v[k * d + i]! * svd.u[k * d + j]!;
      rotation[i * d + j] = s;
    }
  }
  const scaling = options.scaling ?? true;
  return {
    rotation: new Tensor('float64', rotation, [d, d]),
    scale: scaling ? scale : 1,
    disparity: Math.max(0, scaling ? 1 - scale * scale : 2 - 2 * scale),
  };
}

/** SVD of `X̂ᵀŶ` (padded square) for centred, unit-norm X and Y. @internal */
export async function alignment(
  x: Activations,
  y: Activations,
  options: BackendOption,
): Promise<{ d: number; svd: ReturnType<typeof jacobiSvd>; scale: number; improper: boolean }> {
  const [a, b] = toPair(x, y);
  const products = await centredProducts(a, b, options);
  const norm = (s: Float64Array, p: number, name: string) => {
    let t = 0;
    for (let i = 0; i < p; i++) t += s[i * p + i]!;
    if (!(t > 0)) throw new MechintError('INVALID_ARGUMENT', `${name} is constant across samples (zero variance), so it has no shape to align.`, { details: { name } });
    return Math.sqrt(t);
  };
  const scale = 1 / (norm(products.sxx, a.p, 'X') * norm(products.syy, b.p, 'Y'));
  const d = Math.max(a.p, b.p);
  const m = new Float64Array(d * d);
  for (let i = 0; i < a.p; i++) for (let j = 0; j < b.p; j++) m[i * d + j] = products.sxy[i * b.p + j]! * scale;
  const svd = jacobiSvd(m, d);
  const nuclear = svd.values.reduce((s, v) => s + v, 0);
  return { d, svd, scale: nuclear, improper: determinantSign(svd.u, d) * determinantSign(svd.v, d) < 0 };
}

/** Sign of the determinant of a square matrix, by Gaussian elimination with partial pivoting. */
function determinantSign(matrix: Float64Array, n: number): number {
  const a = Float64Array.from(matrix);
  let sign = 1;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]!) > Math.abs(a[pivot * n + col]!)) pivot = r;
    if (a[pivot * n + col] === 0) return 0;
    if (pivot !== col) {
      sign = -sign;
      for (let k = 0; k < n; k++) {
        const t = a[col * n + k]!;
        a[col * n + k] = a[pivot * n + k]!;
        a[pivot * n + k] = t;
      }
    }
    const diag = a[col * n + col]!;
    if (diag < 0) sign = -sign;
    for (let r = col + 1; r < n; r++) {
      const f = a[r * n + col]! / diag;
      if (f === 0) continue;
      for (let k = col; k < n; k++) a[r * n + k] = a[r * n + k]! - f * a[col * n + k]!;
    }
  }
  return sign;
}
