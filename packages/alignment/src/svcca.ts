/**
 * SVCCA: CCA between the leading singular directions of two activation matrices.
 */
import { MechintError } from '@mechint/core';
import type { BackendOption } from './backend.js';
import { toPair, type Activations } from './input.js';
import { centredProducts } from './kernels/products.js';
import { matmul, type Dense } from './kernels/matmul.js';
import { symmetricEigenBlocked } from './linalg/eigh-blocked.js';

/** Options of {@link svcca}. */
export interface SvccaOptions extends BackendOption {
  /**
   * Fraction of each matrix's variance the kept singular directions must explain: the fewest
   * leading directions whose squared singular values sum to at least `keep` of the total.
   * Defaults to 0.99, as in Raghu et al. 2017.
   */
  keep?: number;
}

/** The canonical correlations SVCCA averages, and how many directions it kept. */
export interface SvccaResult {
  /** Mean of {@link SvccaResult.correlations}: the SVCCA similarity. */
  readonly mean: number;
  /** Canonical correlations between the kept subspaces, descending. */
  readonly correlations: Float64Array;
  /** Singular directions kept from X and from Y. */
  readonly kept: readonly [number, number];
}

/**
 * SVCCA similarity: the mean canonical correlation between the subspaces spanned by the leading
 * singular directions of the column-centred X and Y (those explaining `keep` of the variance).
 * Implemented from the paper, not from Google's `svcca` code. Unlike plain CCA, it runs with fewer
 * samples than features and with constant columns (those directions carry no variance).
 *
 * @see Raghu, Gilmer, Yosinski & Sohl-Dickstein 2017, SVCCA: Singular Vector Canonical Correlation Analysis for Deep Learning Dynamics and Interpretability.
 * @example
 * ```ts
 * import { svcca } from '@mechint/alignment';
 * const x = [[1, 2, 0], [2, 0, 1], [0, 1, 3], [3, 3, 1], [1, 0, 0], [2, 2, 2]];
 * console.log((await svcca(x, x)).toFixed(6)); // '1.000000'
 * ```
 */
export async function svcca(x: Activations, y: Activations, options: SvccaOptions = {}): Promise<number> {
  return (await svccaDetails(x, y, options)).mean;
}

/**
 * {@link svcca} with its correlations and the number of directions kept.
 *
 * @see Raghu et al. 2017.
 * @example
 * ```ts
 * import { svccaDetails } from '@mechint/alignment';
 * const x = [[1, 2, 0], [2, 0, 1], [0, 1, 3], [3, 3, 1], [1, 0, 0], [2, 2, 2]];
 * const { kept } = await svccaDetails(x, x, { keep: 0.5 });
 * console.log(kept); // [2, 2]
 * ```
 */
export async function svccaDetails(x: Activations, y: Activations, options: SvccaOptions = {}): Promise<SvccaResult> {
  const keep = options.keep ?? 0.99;
  if (!(keep > 0 && keep <= 1)) throw new MechintError('INVALID_ARGUMENT', `keep is the fraction of variance to keep, in (0, 1]; got ${keep}. Raghu et al. use 0.99.`);
  const [a, b] = toPair(x, y);
  const products = await centredProducts(a, b, options);
  const dx = await leadingDirections(products.sxx, a.p, keep, 'X', options);
  const dy = await leadingDirections(products.syy, b.p, keep, 'Y', options);
  // The kept coordinates X̄V have diagonal covariance Λ, so whitening is a division by √λ.
  const cross = await matmul(await matmul(dx.directions, { data: products.sxy, rows: a.p, cols: b.p }, options), dy.directions, options, false, true);
  for (let i = 0; i < dx.count; i++) {
    for (let j = 0; j < dy.count; j++) cross.data[i * dy.count + j] = cross.data[i * dy.count + j]! / Math.sqrt(dx.values[i]! * dy.values[j]!);
  }
  const small = Math.min(dx.count, dy.count);
  const gram = dx.count <= dy.count ? await matmul(cross, cross, options, false, true) : await matmul(cross, cross, options, true, false);
  const { values } = await symmetricEigenBlocked(gram.data, small, options);
  const correlations = new Float64Array(small);
  for (let i = 0; i < small; i++) correlations[i] = Math.min(1, Math.sqrt(Math.max(0, values[small - 1 - i]!)));
  const mean = correlations.reduce((s, r) => s + r, 0) / small;
  return { mean, correlations, kept: [dx.count, dy.count] };
}

interface Directions {
  /** Rows are the kept eigenvectors of `S`. */
  readonly directions: Dense;
  readonly values: Float64Array;
  readonly count: number;
}

async function leadingDirections(s: Float64Array, p: number, keep: number, name: string, options: BackendOption): Promise<Directions> {
  const { values, vectors } = await symmetricEigenBlocked(s, p, options);
  const largest = Math.max(0, values[p - 1] ?? 0);
  if (largest === 0) throw new MechintError('INVALID_ARGUMENT', `${name} is constant (every column has zero variance); SVCCA needs varying activations.`, { details: { name } });
  const floor = largest * p * 2 ** -52 * 10;
  let total = 0;
  for (let i = 0; i < p; i++) if (values[i]! > floor) total += values[i]!;
  let count = 0;
  let explained = 0;
  while (count < p && values[p - 1 - count]! > floor && explained < keep * total * (1 - 1e-12)) {
    explained += values[p - 1 - count]!;
    count++;
  }
  const directions = new Float64Array(count * p);
  const kept = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const source = p - 1 - i;
    kept[i] = values[source]!;
    directions.set(vectors.subarray(source * p, (source + 1) * p), i * p);
  }
  return { directions: { data: directions, rows: count, cols: p }, values: kept, count };
}
