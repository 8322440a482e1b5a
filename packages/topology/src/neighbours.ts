/**
 * k nearest neighbours of every point, by the pairwise-distance kernel with `TopK` on
 * onnxruntime, one block of rows at a time (no n × n matrix is held).
 */
import { MechintError, Tensor } from '@mechint/core';
import { readPoints, type PointCloud, type Points } from './inputs.js';
import { backendOf, checkCosine, checkMetric, neighboursSession, rowsOf, rowsPerBlock, type Metric, type OnBackend } from './kernels.js';
import { Ticker, type LongRunning } from './progress.js';

/** Options of {@link nearestNeighbours}. @example `await nearestNeighbours(points, 10, { metric: 'cosine' })` */
export interface NeighbourOptions extends LongRunning, OnBackend {
  /** The point metric. Defaults to `'euclidean'`. */
  metric?: Metric;
}

/** The k nearest neighbours of each point, the point itself left out. @example `const { distances, indices } = await nearestNeighbours(points, 5)` */
export interface Neighbours {
  /** float64 `[n, k]`, ascending along each row. */
  distances: Tensor<'float64'>;
  /** int32 `[n, k]`: the neighbours' row numbers. */
  indices: Tensor<'int32'>;
}

/**
 * The `k` nearest neighbours of every point (the point itself left out; duplicates of it count
 * as neighbours at distance 0).
 *
 * @see J. H. Friedman, J. L. Bentley, R. A. Finkel, "An algorithm for finding best matches in logarithmic expected time", ACM TOMS 3 (1977).
 * @example
 * ```ts
 * import { nearestNeighbours } from '@mechint/topology';
 * const { distances, indices } = await nearestNeighbours([[0, 0], [1, 0], [3, 0]], 1);
 * distances.toArray(); // [[1], [1], [2]]
 * indices.toArray();   // [[1], [0], [1]]
 * ```
 */
export async function nearestNeighbours(points: PointCloud, k: number, options: NeighbourOptions = {}): Promise<Neighbours> {
  const checked = readPoints(points, 2);
  return neighboursOf(checked, k, options);
}

/** @internal {@link nearestNeighbours} on checked points. */
export async function neighboursOf(points: Points, k: number, options: NeighbourOptions): Promise<Neighbours> {
  const { n } = points;
  if (!Number.isInteger(k) || k < 1 || k >= n) {
    throw new MechintError('INVALID_ARGUMENT', `k must be an integer from 1 to n − 1 = ${n - 1}; got ${k}.`, { details: { k, n } });
  }
  const metric = checkMetric(options.metric ?? 'euclidean');
  checkCosine(points, metric);
  const ticker = new Ticker(options);
  const session = await neighboursSession(await backendOf(options), metric);
  const distances = new Float64Array(n * k);
  const indices = new Int32Array(n * k);
  const all = rowsOf(points, 0, n);
  const kPlusOne = new Tensor('int64', BigInt64Array.of(BigInt(k + 1)), [1]);
  const block = rowsPerBlock(n, points.dim);
  ticker.report({ phase: 'neighbours', done: 0, total: n });
  for (let start = 0; start < n; start += block) {
    const end = Math.min(n, start + block);
    const out = await session.run({ a: rowsOf(points, start, end), b: all, k: kPlusOne });
    const d = (out['distances'] as Tensor<'float64'>).data;
    const x = (out['indices'] as Tensor<'int64'>).data;
    for (let i = start; i < end; i++) {
      const row = (i - start) * (k + 1);
      let self = k;
      for (let j = 0; j <= k; j++) {
        if (Number(x[row + j]) === i) {
          self = j;
          break;
        }
      }
      for (let j = 0, o = 0; j <= k; j++) {
        if (j === self) continue;
        distances[i * k + o] = d[row + j]!;
        indices[i * k + o++] = Number(x[row + j]);
      }
    }
    if (ticker.due()) await ticker.tick({ phase: 'neighbours', done: end, total: n });
  }
  ticker.report({ phase: 'neighbours', done: n, total: n });
  return { distances: new Tensor('float64', distances, [n, k]), indices: new Tensor('int32', indices, [n, k]) };
}
