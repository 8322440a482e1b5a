/**
 * The O(n²·dim) part as ONNX graphs on onnxruntime: pairwise distances between a block of rows
 * and the points, and the k nearest neighbours of each row, written with core's `GraphBuilder`
 * in float64 (each distance is computed from coordinate differences, never through a Gram
 * matrix, so it matches GUDHI's and numpy's to the last bits).
 */
import { Backend, GraphBuilder, MechintError, Tensor, type ModelIR, type Session, type Value } from '@mechint/core';
import type { Points } from './inputs.js';

/**
 * The dissimilarity between points: `'euclidean'` (Ripser's and GUDHI's default),
 * `'manhattan'` (L1), `'chebyshev'` (L∞) or `'cosine'` (1 − cos θ, for directions).
 *
 * @example
 * ```ts
 * import type { Metric } from '@mechint/topology';
 * const metric: Metric = 'cosine';
 * ```
 */
export type Metric = 'euclidean' | 'manhattan' | 'chebyshev' | 'cosine';

/** Backend option shared by the functions that run on onnxruntime. @example `await twoNN(points, { backend: await Backend.create({ ep: 'cuda' }) })` */
export interface OnBackend {
  /** The backend whose sessions run the distance kernels. Defaults to one CPU backend shared by this package. */
  backend?: Backend;
}

const METRICS: readonly Metric[] = ['euclidean', 'manhattan', 'chebyshev', 'cosine'];
/** Elements of the [dim, rows, points] difference tensor of one block (16 MiB of float64). */
const BLOCK_ELEMENTS = 1 << 21;
let shared: Promise<Backend> | undefined;

/** @internal The caller's backend, or the package's shared CPU backend. */
export function backendOf(options: OnBackend): Promise<Backend> {
  if (options.backend !== undefined) return Promise.resolve(options.backend);
  shared ??= Backend.create({ ep: 'cpu' });
  return shared;
}

/** @internal Checks a metric name. */
export function checkMetric(metric: string): Metric {
  if (!(METRICS as readonly string[]).includes(metric)) {
    throw new MechintError('INVALID_ARGUMENT', `Unknown metric '${metric}'; use one of ${METRICS.join(', ')}, or pass a { distanceMatrix }.`);
  }
  return metric as Metric;
}

function distanceGraph(g: GraphBuilder, metric: Metric): Value<'float64'> {
  let a = g.input('a', 'float64', ['rows', 'dim']);
  let b = g.input('b', 'float64', ['points', 'dim']);
  if (metric === 'cosine') {
    a = g.div(a, g.sqrt(g.reduceSum(g.mul(a, a), { axes: [1] })));
    b = g.div(b, g.sqrt(g.reduceSum(g.mul(b, b), { axes: [1] })));
  }
  // Coordinates outermost, [dim, rows, points]: the broadcast runs along the long contiguous axis.
  const diff = g.sub(g.unsqueeze(g.transpose(a), [2]), g.unsqueeze(g.transpose(b), [1]));
  switch (metric) {
    case 'euclidean':
      return g.sqrt(g.reduceSum(g.mul(diff, diff), { axes: [0], keepdims: false }));
    case 'manhattan':
      return g.reduceSum(g.abs(diff), { axes: [0], keepdims: false });
    case 'chebyshev':
      return g.reduceMax(g.abs(diff), { axes: [0], keepdims: false });
    case 'cosine':
      // 1 − â·b̂ = |â − b̂|² / 2, without the cancellation of the dot-product form.
      return g.mul(g.reduceSum(g.mul(diff, diff), { axes: [0], keepdims: false }), 0.5);
  }
}

function pairwiseModel(metric: Metric): ModelIR {
  const g = new GraphBuilder({ name: `topology-pairwise-${metric}` });
  g.output(distanceGraph(g, metric), 'distances');
  return g.build();
}

function neighboursModel(metric: Metric): ModelIR {
  const g = new GraphBuilder({ name: `topology-knn-${metric}` });
  const k = g.input('k', 'int64', [1]);
  const [values, indices] = g.topK(distanceGraph(g, metric), k, { axis: -1, largest: false, sorted: true });
  g.output(values, 'distances');
  g.output(indices, 'indices');
  return g.build();
}

/** @internal The pairwise-distance session of `metric`, built once per backend. */
export function pairwiseSession(backend: Backend, metric: Metric): Promise<Session> {
  return backend.session(() => pairwiseModel(metric), { key: `@mechint/topology/pairwise/${metric}` });
}

/** @internal The k-nearest-neighbour session of `metric`, built once per backend. */
export function neighboursSession(backend: Backend, metric: Metric): Promise<Session> {
  return backend.session(() => neighboursModel(metric), { key: `@mechint/topology/knn/${metric}` });
}

/** @internal Rows per block so that a block's difference tensor stays near 16 MiB. */
export function rowsPerBlock(points: number, dim: number): number {
  return Math.max(1, Math.floor(BLOCK_ELEMENTS / Math.max(1, points * dim)));
}

/** @internal Rows `[start, end)` of the points as a tensor (no copy). */
export function rowsOf(points: Points, start: number, end: number): Tensor<'float64'> {
  return new Tensor('float64', points.data.subarray(start * points.dim, end * points.dim), [end - start, points.dim]);
}

/** @internal Throws when the cosine metric meets a zero vector. */
export function checkCosine(points: Points, metric: Metric): void {
  if (metric !== 'cosine') return;
  for (let i = 0; i < points.n; i++) {
    let norm = 0;
    for (let j = 0; j < points.dim; j++) norm += points.data[i * points.dim + j]! ** 2;
    if (norm === 0) throw new MechintError('INVALID_ARGUMENT', `Point ${i} is the zero vector, which has no cosine distance; drop it or use another metric.`, { details: { point: i } });
  }
}
