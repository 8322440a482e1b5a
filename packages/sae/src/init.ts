/**
 * Initialisations of the decoder bias from a batch: the mean or the geometric median (Weiszfeld's
 * iterations, as SAELens's `compute_geometric_median`), each an ONNX graph.
 */
import { GraphBuilder, type Backend, type Tensor } from '@mechint/core';

/**
 * Column means of x [n, d] → [d].
 *
 * @example
 * ```ts
 * import { columnMean } from '@mechint/sae';
 * import { Backend, Tensor } from '@mechint/core';
 * const mean = await columnMean(Tensor.from([[0, 2], [2, 4]]) as Tensor<'float32'>, await Backend.create()); // [1, 3]
 * ```
 */
export async function columnMean(x: Tensor<'float32'>, backend: Backend): Promise<Tensor<'float32'>> {
  const session = await backend.session(
    () => {
      const g = new GraphBuilder({ name: 'sae_mean' });
      g.output(g.reduceMean(g.input('x', 'float32', ['n', 'd']), { axes: [0], keepdims: false }), 'mean');
      return g.build();
    },
    { key: 'sae-column-mean' },
  );
  return (await session.run({ x }))['mean'] as Tensor<'float32'>;
}

/**
 * The geometric median of the rows of x [n, d] (the point minimising the sum of Euclidean
 * distances), by `iterations` Weiszfeld steps from the mean: y ← Σ wᵢxᵢ / Σ wᵢ, wᵢ = 1 / max(‖xᵢ − y‖, eps).
 *
 * @example
 * ```ts
 * import { geometricMedian } from '@mechint/sae';
 * import { Backend, Tensor } from '@mechint/core';
 * const median = await geometricMedian(Tensor.from([[0, 0], [1, 0], [0, 1], [10, 10]]) as Tensor<'float32'>, await Backend.create());
 * ```
 */
export async function geometricMedian(x: Tensor<'float32'>, backend: Backend, iterations = 100, eps = 1e-8): Promise<Tensor<'float32'>> {
  const session = await backend.session(
    () => {
      const g = new GraphBuilder({ name: 'sae_weiszfeld' });
      const points = g.input('x', 'float32', ['n', 'd']);
      let y = g.reduceMean(points, { axes: [0], keepdims: true });
      for (let i = 0; i < iterations; i++) {
        const diff = g.sub(points, y);
        const w = g.reciprocal(g.max(g.sqrt(g.reduceSum(g.mul(diff, diff), { axes: [1], keepdims: true })), eps));
        y = g.div(g.reduceSum(g.mul(points, w), { axes: [0], keepdims: true }), g.reduceSum(w, { keepdims: true }));
      }
      g.output(g.reshape(y, [-1]), 'median');
      return g.build();
    },
    { key: `sae-geometric-median:${iterations}:${eps}` },
  );
  return (await session.run({ x }))['median'] as Tensor<'float32'>;
}
