/**
 * Comparing two RDMs: representational similarity analysis.
 */
import { MechintError } from '@mechint/core';
import { averageRanks, kendallTauA } from './rank.js';
import type { Rdm } from './rdm.js';

/** How two RDMs are compared, named as in rsatoolbox's `compare`. */
export type RdmComparison = 'spearman' | 'pearson' | 'kendall-tau-a' | 'cosine';

/** Options of {@link rsa}. */
export interface RsaOptions {
  /**
   * `'spearman'` (Pearson r of average ranks, scipy's `spearmanr`), `'pearson'`, `'kendall-tau-a'`
   * (Kendall's τ-a, ties counting as neither concordant nor discordant, recommended by Nili et al.
   * 2014 for RDMs with tied predictions), or `'cosine'` (uncentred). Defaults to `'spearman'`.
   */
  compare?: RdmComparison;
}

/** An RDM, or its upper-triangle vector (scipy `pdist` order). */
export type RdmLike = Rdm | Float64Array | readonly number[];

/**
 * The similarity of two RDMs over the same conditions: a correlation (or cosine) between their
 * upper triangles. Host computation, O(N log N) in the number of pairs.
 *
 * Throws `SHAPE_MISMATCH` for RDMs of different sizes and `INVALID_ARGUMENT` for NaN or a
 * constant RDM (its correlation is undefined).
 *
 * @see Kriegeskorte, Mur & Bandettini 2008; Nili et al. 2014, A toolbox for representational similarity analysis (rsatoolbox).
 * @example
 * ```ts
 * import { rsa } from '@mechint/alignment';
 * console.log(rsa([1, 2, 3, 4], [10, 20, 30, 45])); // 1
 * console.log(rsa([1, 2, 3, 4], [1, 3, 2, 4], { compare: 'kendall-tau-a' })); // 0.6666666666666666
 * ```
 */
export function rsa(a: RdmLike, b: RdmLike, options: RsaOptions = {}): number {
  const compare = options.compare ?? 'spearman';
  const u = vectorOf(a, 'first');
  const v = vectorOf(b, 'second');
  if (u.length !== v.length) {
    throw new MechintError('SHAPE_MISMATCH', `The RDMs have ${u.length} and ${v.length} dissimilarities; compare RDMs over the same conditions.`, { details: { lengths: [u.length, v.length] } });
  }
  if (u.length < 2) throw new MechintError('INVALID_ARGUMENT', 'RSA needs at least 3 conditions (2 dissimilarities) per RDM.');
  switch (compare) {
    case 'pearson':
      return pearson(u, v);
    case 'spearman':
      return pearson(averageRanks(u), averageRanks(v));
    case 'kendall-tau-a':
      return kendallTauA(u, v);
    case 'cosine':
      return cosine(u, v);
    default:
      throw new MechintError('INVALID_ARGUMENT', `Unknown comparison '${String(compare)}'; use spearman, pearson, kendall-tau-a or cosine.`);
  }
}

/** The upper-triangle vector of an RDM-like value, checked for finiteness. @internal */
export function vectorOf(r: RdmLike, which: string): Float64Array {
  const v = r instanceof Float64Array ? r : Array.isArray(r) ? Float64Array.from(r as readonly number[]) : (r as Rdm).dissimilarities;
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i]!)) throw new MechintError('INVALID_ARGUMENT', `The ${which} RDM holds ${v[i]} at position ${i}; remove conditions with undefined dissimilarities.`);
  }
  return v;
}

function pearson(u: Float64Array, v: Float64Array): number {
  const n = u.length;
  let mu = 0;
  let mv = 0;
  for (let i = 0; i < n; i++) {
    mu += u[i]!;
    mv += v[i]!;
  }
  mu /= n;
  mv /= n;
  let suv = 0;
  let suu = 0;
  let svv = 0;
  for (let i = 0; i < n; i++) {
    const du = u[i]! - mu;
    const dv = v[i]! - mv;
    suv += du * dv;
    suu += du * du;
    svv += dv * dv;
  }
  if (suu === 0 || svv === 0) throw new MechintError('INVALID_ARGUMENT', 'An RDM is constant (all dissimilarities equal), so its correlation with another RDM is undefined.');
  return suv / Math.sqrt(suu * svv);
}

function cosine(u: Float64Array, v: Float64Array): number {
  let suv = 0;
  let suu = 0;
  let svv = 0;
  for (let i = 0; i < u.length; i++) {
    suv += u[i]! * v[i]!;
    suu += u[i]! * u[i]!;
    svv += v[i]! * v[i]!;
  }
  if (suu === 0 || svv === 0) throw new MechintError('INVALID_ARGUMENT', 'An RDM is all zeros, so its cosine similarity is undefined.');
  return suv / Math.sqrt(suu * svv);
}
