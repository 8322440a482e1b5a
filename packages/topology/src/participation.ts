/**
 * The participation ratio of the covariance spectrum, from a Gram or covariance matrix computed
 * on onnxruntime (no eigendecomposition: (Σλ)² = tr(C)², Σλ² = ‖C‖²_F).
 */
import { GraphBuilder, type ModelIR, type Tensor } from '@mechint/core';
import { readPoints, type PointCloud } from './inputs.js';
import { backendOf, rowsOf, type OnBackend } from './kernels.js';

function spectrumModel(gram: boolean): ModelIR {
  const g = new GraphBuilder({ name: gram ? 'topology-pr-gram' : 'topology-pr-covariance' });
  const x = g.input('x', 'float64', ['n', 'dim']);
  const centred = g.sub(x, g.reduceMean(x, { axes: [0] }));
  const product = gram ? g.matmul(centred, g.transpose(centred)) : g.matmul(g.transpose(centred), centred);
  g.output(g.reduceSum(g.mul(centred, centred), { keepdims: false }), 'trace');
  g.output(g.reduceSum(g.mul(product, product), { keepdims: false }), 'frobenius');
  return g.build();
}

/**
 * The PCA participation ratio PR = (Σᵢ λᵢ)² / Σᵢ λᵢ² of the covariance eigenvalues λ: between 1
 * (one direction carries all variance) and dim (isotropic). The covariance (dim × dim) or, when
 * dim > n, the Gram matrix (n × n, same non-zero spectrum) is computed on onnxruntime.
 *
 * @see P. Gao, E. Trautmann, B. Yu, et al., "A theory of multineuronal dimensionality, dynamics and measurement", bioRxiv 214262 (2017).
 * @example
 * ```ts
 * import { participationRatio } from '@mechint/topology';
 * await participationRatio([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]]); // 2
 * ```
 */
export async function participationRatio(points: PointCloud, options: OnBackend = {}): Promise<number> {
  const checked = readPoints(points, 2);
  const gram = checked.dim > checked.n;
  const backend = await backendOf(options);
  const session = await backend.session(() => spectrumModel(gram), { key: `@mechint/topology/participation/${gram ? 'gram' : 'covariance'}` });
  const out = await session.run({ x: rowsOf(checked, 0, checked.n) });
  const trace = (out['trace'] as Tensor<'float64'>).data[0]!;
  const frobenius = (out['frobenius'] as Tensor<'float64'>).data[0]!;
  return frobenius === 0 ? 0 : (trace * trace) / frobenius;
}
