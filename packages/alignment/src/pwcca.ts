/**
 * PWCCA: canonical correlations weighted by how much of X each canonical variate accounts for.
 */
import type { BackendOption } from './backend.js';
import { canonical, checkRegularization, checkSolvable, type CcaOptions } from './cca.js';
import { toPair, type Activations } from './input.js';
import { centredProducts } from './kernels/products.js';
import { matmul } from './kernels/matmul.js';

/** Options of {@link pwcca}: those of {@link cca}. */
export type PwccaOptions = CcaOptions & BackendOption;

/**
 * Projection-weighted CCA: `Σᵢ αᵢ ρᵢ` with `αᵢ ∝ Σⱼ |⟨hᵢ, x̄ⱼ⟩|`, where `hᵢ` is the i-th canonical
 * variate of X (unit norm) and `x̄ⱼ` the j-th centred column (neuron) of X — so the weights come
 * from the first argument, as in the paper, and `pwcca(X, Y) ≠ pwcca(Y, X)` in general.
 * Implemented from the paper, not from Google's `pwcca.py`.
 *
 * @see Morcos, Raghu & Bengio 2018, Insights on representational similarity in neural networks with canonical correlation.
 * @example
 * ```ts
 * import { pwcca } from '@mechint/alignment';
 * const x = [[1, 2], [2, 0], [0, 1], [3, 3], [1, 0]];
 * console.log((await pwcca(x, x)).toFixed(6)); // '1.000000'
 * ```
 */
export async function pwcca(x: Activations, y: Activations, options: PwccaOptions = {}): Promise<number> {
  const [a, b] = toPair(x, y);
  const regularization = checkRegularization(options.regularization);
  checkSolvable(a, b, regularization);
  const products = await centredProducts(a, b, options);
  const { correlations, weightsX } = await canonical(products, a.n, a.p, b.p, regularization, options);
  const k = correlations.length;
  const weights = { data: weightsX.data, rows: a.p, cols: k };
  // ⟨hᵢ, x̄ⱼ⟩ = (X̄ᵀX̄ aᵢ)ⱼ and ‖hᵢ‖² = aᵢᵀ X̄ᵀX̄ aᵢ.
  const projections = await matmul({ data: products.sxx, rows: a.p, cols: a.p }, weights, options);
  const alpha = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let sum = 0;
    let norm = 0;
    for (let j = 0; j < a.p; j++) {
      const h = projections.data[j * k + i]!;
      sum += Math.abs(h);
      norm += h * weights.data[j * k + i]!;
    }
    alpha[i] = sum / Math.sqrt(norm);
  }
  const total = alpha.reduce((s, v) => s + v, 0);
  let result = 0;
  for (let i = 0; i < k; i++) result += (alpha[i]! / total) * correlations[i]!;
  return result;
}
