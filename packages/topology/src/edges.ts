/**
 * The thresholded edge list of a point cloud or a distance matrix, collected block by block so
 * that no dense n × n matrix is ever held: only the edges within the threshold are kept, and
 * their number is bounded by `maxEdges` before anything large is allocated.
 */
import { MechintError, type Backend, type Tensor } from '@mechint/core';
import { Float64List, Int32List } from './growable.js';
import type { Points } from './inputs.js';
import { checkCosine, pairwiseSession, rowsOf, rowsPerBlock, type Metric } from './kernels.js';
import { NeighborGraph } from './neighbor-graph.js';
import type { Ticker } from './progress.js';

/** @internal How to threshold. */
export interface EdgeSettings {
  threshold: number;
  maxEdges: number;
  ticker: Ticker;
}

/** @internal The neighbour graph and the threshold it was cut at (the enclosing radius when none was given). */
export interface ThresholdedGraph {
  graph: NeighborGraph;
  threshold: number;
}

class EdgeCollector {
  readonly rows: Int32List;
  readonly cols: Int32List;
  readonly dists: Float64List;
  readonly #settings: EdgeSettings;
  readonly #n: number;
  readonly #rowMax: Float64Array | undefined;

  constructor(n: number, settings: EdgeSettings) {
    this.#n = n;
    this.#settings = settings;
    const all = (n * (n - 1)) / 2;
    const everything = settings.threshold === Infinity;
    if (everything && all > settings.maxEdges) {
      throw new MechintError(
        'INVALID_ARGUMENT',
        `Without a threshold, ${n} points need all ${all} edges (more than maxEdges = ${settings.maxEdges}); pass { threshold } (a scale above the features you care about) or raise maxEdges if the memory is there.`,
        { details: { n, edges: all, maxEdges: settings.maxEdges } },
      );
    }
    const capacity = everything ? all : Math.min(all, settings.maxEdges, 1 << 16);
    this.rows = new Int32List(capacity);
    this.cols = new Int32List(capacity);
    this.dists = new Float64List(capacity);
    this.#rowMax = everything ? new Float64Array(n) : undefined;
  }

  /** Adds edge (i, j), i > j, when within the threshold. */
  add(i: number, j: number, d: number): void {
    const rowMax = this.#rowMax;
    if (rowMax !== undefined) {
      if (d > rowMax[i]!) rowMax[i] = d;
      if (d > rowMax[j]!) rowMax[j] = d;
    }
    if (!(d <= this.#settings.threshold) || d === Infinity) return;
    if (this.rows.length >= this.#settings.maxEdges) {
      throw new MechintError(
        'INVALID_ARGUMENT',
        `More than maxEdges = ${this.#settings.maxEdges} edges are within threshold ${this.#settings.threshold}; lower the threshold or raise maxEdges if the memory is there.`,
        { details: { maxEdges: this.#settings.maxEdges, threshold: this.#settings.threshold } },
      );
    }
    this.rows.push(i);
    this.cols.push(j);
    this.dists.push(d);
  }

  /** The graph, cut at the enclosing radius when no threshold was given (Ripser's default). */
  finish(): ThresholdedGraph {
    let threshold = this.#settings.threshold;
    let rows = this.rows.view();
    let cols = this.cols.view();
    let dists = this.dists.view();
    if (this.#rowMax !== undefined) {
      let radius = Infinity;
      for (let i = 0; i < this.#n; i++) if (this.#rowMax[i]! < radius) radius = this.#rowMax[i]!;
      threshold = radius;
      if (radius < Infinity) {
        const keep = new Int32List(rows.length);
        for (let e = 0; e < rows.length; e++) if (dists[e]! <= radius) keep.push(e);
        const kept = keep.view();
        rows = Int32Array.from(kept, (e) => rows[e]!);
        cols = Int32Array.from(kept, (e) => cols[e]!);
        dists = Float64Array.from(kept, (e) => dists[e]!);
      }
    }
    return { graph: new NeighborGraph(this.#n, rows, cols, dists), threshold };
  }
}

/** @internal Edges of a point cloud, from the pairwise-distance kernel one block of rows at a time. */
export async function graphOfPoints(points: Points, metric: Metric, backend: Backend, settings: EdgeSettings): Promise<ThresholdedGraph> {
  checkCosine(points, metric);
  const { n } = points;
  const collector = new EdgeCollector(n, settings);
  const session = await pairwiseSession(backend, metric);
  const { ticker } = settings;
  ticker.report({ phase: 'distances', done: 0, total: n });
  const block = rowsPerBlock(n, points.dim);
  for (let start = 1; start < n; start += block) {
    const end = Math.min(n, start + block);
    const out = await session.run({ a: rowsOf(points, start, end), b: rowsOf(points, 0, end) });
    const d = (out['distances'] as Tensor<'float64'>).data;
    for (let i = start; i < end; i++) {
      const row = (i - start) * end;
      for (let j = 0; j < i; j++) collector.add(i, j, d[row + j]!);
    }
    if (ticker.due()) await ticker.tick({ phase: 'distances', done: end, total: n });
  }
  ticker.report({ phase: 'distances', done: n, total: n });
  return collector.finish();
}

/** @internal Edges of a (checked) distance matrix, read from its lower triangle. */
export function graphOfMatrix(n: number, data: Float64Array, settings: EdgeSettings): ThresholdedGraph {
  const collector = new EdgeCollector(n, settings);
  for (let i = 1; i < n; i++) for (let j = 0; j < i; j++) collector.add(i, j, data[i * n + j]!);
  return collector.finish();
}
