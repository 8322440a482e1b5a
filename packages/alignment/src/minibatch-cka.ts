/**
 * Minibatch CKA (Nguyen, Raghu & Kornblith 2021): unbiased HSIC estimates averaged over batches,
 * for data that does not fit in memory at once.
 */
import { MechintError } from '@mechint/core';
import type { BackendOption } from './backend.js';
import { fromFeatureTerms, ratio } from './cka.js';
import { toPair, type Activations } from './input.js';
import { linearCkaTerms } from './kernels/cka-terms.js';

/**
 * Accumulates linear minibatch CKA: `mean HSIC₁(K, L) / √(mean HSIC₁(K, K) · mean HSIC₁(L, L))`
 * over batches, each HSIC₁ the unbiased estimator on that batch (at least 4 samples per batch).
 * Feed the same stimuli to both models batch by batch with {@link MinibatchCka.update}.
 *
 * @see Nguyen, Raghu & Kornblith 2021, Do Wide and Deep Networks Learn the Same Things? (§3, eq. 3).
 * @example
 * ```ts
 * import { MinibatchCka } from '@mechint/alignment';
 * const acc = new MinibatchCka();
 * await acc.update([[1, 0], [0, 1], [1, 1], [2, 1], [0, 2]], [[2, 0], [0, 2], [2, 2], [4, 2], [0, 4]]);
 * await acc.update([[3, 1], [1, 1], [0, 0], [2, 2]], [[6, 2], [2, 2], [0, 0], [4, 4]]);
 * console.log(acc.batches, acc.value().toFixed(6)); // 2 '1.000000'
 * ```
 */
export class MinibatchCka {
  #xy = 0;
  #xx = 0;
  #yy = 0;
  #batches = 0;
  readonly #options: BackendOption;

  constructor(options: BackendOption = {}) {
    this.#options = options;
  }

  /** Number of batches accumulated so far. */
  get batches(): number {
    return this.#batches;
  }

  /** Adds one batch: `x` and `y` are the two representations of the same ≥ 4 samples. */
  async update(x: Activations, y: Activations): Promise<void> {
    const [a, b] = toPair(x, y, 4);
    const n = a.n;
    const terms = fromFeatureTerms(await linearCkaTerms(a, b, true, this.#options));
    const scale = n * (n - 3);
    this.#xy += terms.xy / scale;
    this.#xx += terms.xx / scale;
    this.#yy += terms.yy / scale;
    this.#batches++;
  }

  /** The minibatch CKA of the batches so far. Throws `INVALID_ARGUMENT` before the first batch. */
  value(): number {
    if (this.#batches === 0) throw new MechintError('INVALID_ARGUMENT', 'MinibatchCka has no batches yet; call await acc.update(x, y) first.');
    return ratio({ xy: this.#xy, xx: this.#xx, yy: this.#yy });
  }
}
