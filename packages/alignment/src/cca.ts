/**
 * Canonical correlation analysis between two activation matrices.
 */
import { MechintError, Tensor } from '@mechint/core';
import type { BackendOption } from './backend.js';
import { constantColumns, toPair, type Activations, type Samples } from './input.js';
import { centredProducts, type CentredProducts } from './kernels/products.js';
import { matmul, type Dense } from './kernels/matmul.js';
import { choleskyInverse } from './linalg/cholesky-inverse.js';
import { symmetricEigenBlocked } from './linalg/eigh-blocked.js';
import { orthonormalComplete } from './linalg/orthonormal.js';

/** Options of {@link cca}. */
export interface CcaOptions extends BackendOption {
  /**
   * Ridge added to both covariance matrices (`Cxx + λI`, `Cyy + λI`, covariances with `n − 1`),
   * as in regularised CCA (Vinod 1976). Defaults to 0, plain CCA as in the numpy reference; a
   * positive value lets CCA run with fewer samples than features or with constant columns.
   */
  regularization?: number;
}

/** Canonical correlations and the weights that produce the canonical variates. */
export interface CcaResult {
  /** Canonical correlations, `min(p, q)` of them, in descending order, in [0, 1]. */
  readonly correlations: Float64Array;
  /**
   * `[p, k]` weights: column `i` gives the canonical variate `X̄ · weightsX[:, i]` (columns of X
   * centred), scaled to unit variance (with `n − 1`).
   */
  readonly weightsX: Tensor<'float64'>;
  /** `[q, k]` weights of Y, likewise. */
  readonly weightsY: Tensor<'float64'>;
}

/**
 * Canonical correlation analysis: the directions `a`, `b` that maximise `corr(X̄a, Ȳb)`, and
 * their correlations. The cross-products run as a graph kernel; the whitening (Cholesky) and the
 * final eigenproblem run in float64, their level-2 parts on the host and their matrix products as
 * float64 graph kernels (blocked Cholesky inverse; blocked Householder tridiagonalisation and
 * divide-and-conquer eigensolver for 128 features or more). Invariant to invertible linear maps of
 * X and Y.
 *
 * Throws `SHAPE_MISMATCH` for different sample counts, `INVALID_ARGUMENT` for NaN, for fewer
 * samples than features, constant columns or collinear columns (each unless `regularization` > 0).
 *
 * @see Hotelling (1936), Relations between two sets of variates; Raghu et al. 2017 (SVCCA), §2.
 * @example
 * ```ts
 * import { cca } from '@mechint/alignment';
 * const x = [[1, 0], [0, 1], [1, 1], [2, 1], [0, 3]];
 * const y = x.map(([a, b]) => [2 * a! + b!, a! - b!]); // an invertible map of x
 * const { correlations } = await cca(x, y);
 * console.log(Array.from(correlations, (r) => r.toFixed(6))); // ['1.000000', '1.000000']
 * ```
 */
export async function cca(x: Activations, y: Activations, options: CcaOptions = {}): Promise<CcaResult> {
  const [a, b] = toPair(x, y);
  const regularization = checkRegularization(options.regularization);
  checkSolvable(a, b, regularization);
  const products = await centredProducts(a, b, options);
  return canonical(products, a.n, a.p, b.p, regularization, options);
}

/** CCA from centred cross-products (`n` samples, `p` and `q` features). @internal */
export async function canonical(products: CentredProducts, n: number, p: number, q: number, regularization: number, options: BackendOption): Promise<CcaResult> {
  // Concurrent, so that one side's host work overlaps the other's products on the backend; X's
  // error, if any, is the one reported.
  const [sx, sy] = await Promise.allSettled([whitener(products.sxx, p, n, regularization, 'X', options), whitener(products.syy, q, n, regularization, 'Y', options)]);
  if (sx.status === 'rejected') throw sx.reason;
  if (sy.status === 'rejected') throw sy.reason;
  const [lx, ly] = [sx.value, sy.value];
  const cxy: Dense = { data: products.sxy.map((v) => v / (n - 1)), rows: p, cols: q };
  const m = await matmul(await matmul(lx, cxy, options), ly, options, false, true);
  const flip = p > q;
  const [small, large] = flip ? [q, p] : [p, q];
  const gram = flip ? await matmul(m, m, options, true, false) : await matmul(m, m, options, false, true);
  const { values, vectors } = await symmetricEigenBlocked(gram.data, small, options);
  const correlations = new Float64Array(small);
  const uT = new Float64Array(small * small);
  for (let i = 0; i < small; i++) {
    const source = small - 1 - i;
    correlations[i] = Math.min(1, Math.sqrt(Math.max(0, values[source]!)));
    uT.set(vectors.subarray(source * small, (source + 1) * small), i * small);
  }
  const u: Dense = { data: uT, rows: small, cols: small };
  // Rows of vT are the partner directions v_i = Mᵀu_i / ρ_i (or M u_i / ρ_i when p > q).
  const vT = await matmul(u, m, options, false, flip);
  const missing: number[] = [];
  for (let i = 0; i < small; i++) {
    const rho = correlations[i]!;
    const row = vT.data.subarray(i * large, (i + 1) * large);
    if (rho < 1e-8) {
      missing.push(i);
      row.fill(0);
    } else {
      for (let j = 0; j < large; j++) row[j] = row[j]! / rho;
    }
  }
  orthonormalComplete(vT.data, large, missing);
  const [ux, uy] = flip ? [vT, u] : [u, vT];
  const weightsX = await matmul(lx, ux, options, true, true);
  const weightsY = await matmul(ly, uy, options, true, true);
  return {
    correlations,
    weightsX: new Tensor('float64', weightsX.data, [p, small]),
    weightsY: new Tensor('float64', weightsY.data, [q, small]),
  };
}

/** Validates `regularization`. @internal */
export function checkRegularization(value: number | undefined): number {
  const r = value ?? 0;
  if (!(Number.isFinite(r) && r >= 0)) throw new MechintError('INVALID_ARGUMENT', `regularization must be a finite number ≥ 0; got ${r}.`);
  return r;
}

/** Throws when plain CCA has no unique answer: too few samples or constant columns. @internal */
export function checkSolvable(a: Samples, b: Samples, regularization: number): void {
  if (regularization > 0) return;
  for (const [s, name] of [[a, 'X'], [b, 'Y']] as const) {
    if (s.n <= s.p) {
      throw new MechintError(
        'INVALID_ARGUMENT',
        `CCA needs more samples than features: ${name} is [${s.n}, ${s.p}], so its covariance is singular. Pass { regularization: 1e-3 } (ridge CCA), reduce the features first (svcca), or record more samples.`,
        { details: { name, n: s.n, features: s.p } },
      );
    }
    const constant = constantColumns(s);
    if (constant.length > 0) {
      throw new MechintError(
        'INVALID_ARGUMENT',
        `${name} has constant column(s) ${constant.slice(0, 5).join(', ')}${constant.length > 5 ? ', …' : ''}, which have no variance to correlate. Drop them, or pass { regularization }.`,
        { details: { name, columns: constant } },
      );
    }
  }
}

/** `L⁻¹` for the Cholesky factor `L` of `S/(n − 1) + λI`. */
async function whitener(s: Float64Array, p: number, n: number, regularization: number, name: string, options: BackendOption): Promise<Dense> {
  const c = s.map((v) => v / (n - 1));
  for (let i = 0; i < p; i++) c[i * p + i] = c[i * p + i]! + regularization;
  const result = await choleskyInverse(c, p, options);
  if ('failedAt' in result) {
    throw new MechintError(
      'INVALID_ARGUMENT',
      `The covariance of ${name} is singular: column ${result.failedAt} is a linear combination of earlier columns. Drop collinear columns, pass { regularization: 1e-3 }, or use svcca.`,
      { details: { name, column: result.failedAt } },
    );
  }
  return { data: result.inverse, rows: p, cols: p };
}
