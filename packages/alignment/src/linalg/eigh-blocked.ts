/**
 * Symmetric eigendecomposition for large matrices: blocked Householder tridiagonalisation with its
 * rank-2b updates on onnxruntime, divide and conquer on the tridiagonal with its eigenvector
 * products on onnxruntime, and the back-transformation as block-reflector products on
 * onnxruntime. Float64 throughout.
 */
import type { BackendOption } from '../backend.js';
import { applyReflectors } from './back-transform.js';
import { tridiagonalEigen, type DivideConquerBlocking } from './divide-conquer.js';
import { symmetricEigen, type SymmetricEigen } from './eigh.js';
import { tridiagonalize } from './tridiagonal.js';

/** Block sizes of {@link symmetricEigenBlocked} (tests shrink them to cross block edges on small matrices). @internal */
export interface EigenBlocking extends DivideConquerBlocking {
  /** Columns per tridiagonalisation panel. */
  readonly panel: number;
  /** Reflectors per block of the back-transformation. */
  readonly reflectors: number;
  /** Below this order the unblocked {@link symmetricEigen} runs instead. */
  readonly minimum: number;
}

const defaultBlocking: EigenBlocking = { panel: 32, reflectors: 64, minimum: 128, leaf: 32, backendFrom: 128 };

/**
 * Eigendecomposition `A = V diag(values) Vᵀ` of the symmetric `n × n` matrix `a` (row-major, both
 * triangles filled), like {@link symmetricEigen} but with its O(n³) products on the backend.
 *
 * @example
 * ```ts
 * const { values } = await symmetricEigenBlocked(new Float64Array([2, 1, 1, 2]), 2, {}); // values ≈ [1, 3]
 * ```
 * @internal
 */
export async function symmetricEigenBlocked(a: Float64Array, n: number, options: BackendOption, blocking: EigenBlocking = defaultBlocking): Promise<SymmetricEigen> {
  if (n < blocking.minimum) return symmetricEigen(a, n);
  const reduction = await tridiagonalize(a, n, options, blocking.panel);
  const { values, vectors: z } = await tridiagonalEigen(reduction.d, reduction.e, n, options, blocking);
  await applyReflectors(reduction, z, options, blocking.reflectors);
  const vectors = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const column = k * n;
    for (let r = 0; r < n; r++) vectors[column + r] = z[r * n + k]!;
  }
  return { n, values, vectors };
}
