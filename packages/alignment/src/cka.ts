/**
 * Centred kernel alignment (CKA) between two activation matrices.
 */
import { MechintError } from '@mechint/core';
import type { BackendOption } from './backend.js';
import { assertFinite, toPair, type Activations, type Samples } from './input.js';
import { linearCkaTerms, type LinearCkaTerms } from './kernels/cka-terms.js';
import { gramHsic, type HsicTerms } from './kernels/gram-cka.js';

/** Options of {@link cka}, with the defaults of Kornblith et al.'s reference code. */
export interface CkaOptions extends BackendOption {
  /** `'linear'` (default) or `'rbf'`, Kornblith's `gram_linear` / `gram_rbf`. */
  kernel?: 'linear' | 'rbf';
  /**
   * RBF bandwidth as a fraction of the median distance: `k(x, x') = exp(−‖x − x'‖² / (2σ²·m))`,
   * `m` the median of the full `n × n` squared-distance matrix (diagonal included). Defaults to 1,
   * Kornblith's `threshold=1.0`.
   */
  sigma?: number;
  /**
   * Use the unbiased HSIC estimator (Song et al. 2012), as Kornblith's `debiased=True`. Defaults to
   * false. The debiased CKA can be negative for unrelated representations; it is returned as is.
   */
  debiased?: boolean;
}

/**
 * Kornblith et al.'s CKA: `‖ȲᵀX̄‖²_F / (‖X̄ᵀX̄‖_F ‖ȲᵀȲ‖_F)` on column-centred activations for the
 * linear kernel, `⟨K̃, L̃⟩ / (‖K̃‖ ‖L̃‖)` for centred RBF Gram matrices. A similarity in [0, 1]
 * (debiased: it may go slightly below 0), invariant to orthogonal transforms and isotropic scaling
 * of either side. For netrep's angular distance form use {@link ckaDistance}.
 *
 * Linear CKA runs in feature space (`p × q` products) or in sample space (`n × n` Gram matrices),
 * whichever is cheaper; RBF always builds the `n × n` Gram matrices. Throws `SHAPE_MISMATCH` for
 * different sample counts, `INVALID_ARGUMENT` for NaN or for a constant X or Y.
 *
 * @see Kornblith, Norouzi, Lee & Hinton 2019, Similarity of Neural Network Representations Revisited.
 * @example
 * ```ts
 * import { cka } from '@mechint/alignment';
 * const x = [[1, 0], [0, 1], [1, 1], [2, 1]];
 * const rotated = x.map(([a, b]) => [-b!, a!]);
 * console.log((await cka(x, rotated)).toFixed(6)); // '1.000000'
 * ```
 */
export async function cka(x: Activations, y: Activations, options: CkaOptions = {}): Promise<number> {
  const kernel = options.kernel ?? 'linear';
  const debiased = options.debiased ?? false;
  const sigma = options.sigma ?? 1;
  if (kernel !== 'linear' && kernel !== 'rbf') throw new MechintError('INVALID_ARGUMENT', `kernel must be 'linear' or 'rbf'; got '${String(kernel)}'.`);
  if (!(sigma > 0 && Number.isFinite(sigma))) throw new MechintError('INVALID_ARGUMENT', `sigma must be a positive fraction of the median distance; got ${sigma}. Kornblith et al. use 1 (and 0.2–0.8 in their sweeps).`);
  const [a, b] = toPair(x, y, debiased ? 4 : 2, 'deferred');
  const featureCost = a.n * (a.p * a.p + b.p * b.p + a.p * b.p);
  const sampleCost = a.n * a.n * (a.p + b.p);
  if (kernel === 'linear' && featureCost <= sampleCost) {
    const sums = await linearCkaTerms(a, b, debiased, options);
    if (![sums.xy, sums.xx, sums.yy].every(Number.isFinite)) nonFinite(a, b);
    return ratio(fromFeatureTerms(sums));
  }
  assertFinite(a, 'X');
  assertFinite(b, 'Y');
  return ratio(await gramHsic(a, b, kernel, sigma, debiased, options));
}

/**
 * The error for feature-space sums that came out NaN or ±∞: the first non-finite input value,
 * or, when every input is finite, products too large for the inputs' dtype.
 */
function nonFinite(a: Samples, b: Samples): never {
  assertFinite(a, 'X');
  assertFinite(b, 'Y');
  throw new MechintError('INVALID_ARGUMENT', `The products of X and Y overflow ${a.tensor.dtype}: some activations are too large (around 1e19 or more in float32). Pass float64 activations (t.clone('float64')) or rescale them; CKA is invariant to scaling.`, {
    details: { dtype: a.tensor.dtype },
  });
}

/**
 * The angular CKA distance `arccos(CKA)` in radians — the form netrep's `LinearCKA` reports, a
 * metric on representations (0 when they match up to rotation and scale, π/2 when unrelated).
 *
 * @see Williams, Kunz, Kornblith & Linderman 2021, Generalized Shape Metrics on Neural Representations.
 * @example
 * ```ts
 * import { ckaDistance } from '@mechint/alignment';
 * const x = [[1, 0], [0, 1], [1, 1], [2, 1]];
 * console.log(await ckaDistance(x, x)); // 0
 * ```
 */
export async function ckaDistance(x: Activations, y: Activations, options: CkaOptions = {}): Promise<number> {
  return Math.acos(Math.max(-1, Math.min(1, await cka(x, y, options))));
}

/**
 * HSIC terms from the feature-space sums: biased as they are, debiased (Kornblith's
 * `_debiased_dot_product_similarity_helper`) when the sums carry their debiasing terms. @internal
 */
export function fromFeatureTerms(t: LinearCkaTerms): HsicTerms {
  const r = t.debiasing;
  if (r === undefined) return { xy: t.xy, xx: t.xx, yy: t.yy };
  const n = t.n;
  const helper = (xty: number, rows: number, sx: number, sy: number) => xty - (n / (n - 2)) * rows + (sx * sy) / ((n - 1) * (n - 2));
  return {
    xy: helper(t.xy, r.rowsXY, r.normX, r.normY),
    xx: helper(t.xx, r.rowsXX, r.normX, r.normX),
    yy: helper(t.yy, r.rowsYY, r.normY, r.normY),
  };
}

/** `xy / √(xx · yy)`, with a coded error instead of NaN when a self term vanishes. @internal */
export function ratio(t: HsicTerms): number {
  for (const [value, name] of [[t.xx, 'X'], [t.yy, 'Y']] as const) {
    if (!(value > 0)) {
      throw new MechintError(
        'INVALID_ARGUMENT',
        `The HSIC of ${name} with itself is ${value}: ${name} does not vary across samples (constant activations), so CKA is undefined. Check the activations, or use more samples with debiased CKA.`,
        { details: { name, hsic: value } },
      );
    }
  }
  return t.xy / Math.sqrt(t.xx * t.yy);
}
