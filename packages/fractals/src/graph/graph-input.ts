/**
 * Graphs as this package reads them: adjacency lists, edge lists, and weight matrices thresholded
 * into graphs (e.g. a network layer's weights).
 */
import { MechintError, Tensor } from '@mechint/core';

/** An edge list over nodes 0..nodes−1 (undirected). @example `{ edges: [[0, 1], [1, 2]], nodes: 3 }` */
export interface EdgeListGraph {
  /** Undirected edges as pairs of node indices (from 0). */
  edges: readonly (readonly [number, number])[];
  /** Number of nodes. Defaults to 1 + the largest index in `edges`. */
  nodes?: number;
}

/**
 * A weight matrix thresholded into an undirected graph: an edge wherever |w| (or w, with
 * `absolute: false`) is at least `threshold`. A square matrix is read as the weights among n nodes
 * (recurrent weights; w[i][j] or w[j][i] makes the edge, self-loops dropped); a rectangular one, or
 * a square one with `bipartite: true`, as a layer's `[out, in]` weights: out nodes 0..r−1, in
 * nodes r..r+c−1.
 *
 * @example `{ weights: layerWeights, threshold: 0.1 }`
 */
export interface WeightGraph {
  /** The weight matrix. */
  weights: Tensor | readonly (readonly number[])[];
  /** The smallest weight (or |weight|) that makes an edge. */
  threshold: number;
  /** Compare |w| with the threshold. Defaults to true. */
  absolute?: boolean;
  /** Read a square matrix as a bipartite layer. Defaults to false. */
  bipartite?: boolean;
}

/**
 * Any graph the graph functions accept: an adjacency list (`graph[i]` lists i's neighbours), an
 * {@link EdgeListGraph} or a {@link WeightGraph}. Graphs are undirected; repeated edges and
 * self-loops are ignored.
 *
 * @example `[[1], [0, 2], [1]]` (a path of three nodes)
 */
export type GraphInput = readonly (readonly number[])[] | EdgeListGraph | WeightGraph;

/**
 * The graph as a symmetric, de-duplicated adjacency list without self-loops. Throws
 * `INVALID_ARGUMENT` for an empty graph, a node index out of range or not an integer, a ragged or
 * non-finite weight matrix, and a non-finite threshold.
 *
 * @example
 * ```ts
 * import { toAdjacency } from '@mechint/fractals';
 * toAdjacency({ edges: [[0, 1], [1, 2]] });                     // [[1], [0, 2], [1]]
 * toAdjacency({ weights: [[0, 0.9], [0.05, 0]], threshold: 0.5 }); // [[1], [0]]
 * ```
 */
export function toAdjacency(graph: GraphInput): number[][] {
  if (Array.isArray(graph)) return fromAdjacency(graph as readonly (readonly number[])[]);
  if (typeof graph === 'object' && graph !== null && 'edges' in graph) return fromEdges(graph);
  if (typeof graph === 'object' && graph !== null && 'weights' in graph) return fromWeights(graph);
  throw new MechintError('INVALID_ARGUMENT', 'A graph is an adjacency list (number[][]), { edges, nodes? } or { weights, threshold }.');
}

function fromAdjacency(list: readonly (readonly number[])[]): number[][] {
  const n = list.length;
  if (n === 0) throw new MechintError('INVALID_ARGUMENT', 'The graph is empty; pass at least one node.');
  const sets = Array.from({ length: n }, () => new Set<number>());
  list.forEach((neighbours, i) => {
    if (!Array.isArray(neighbours)) throw new MechintError('INVALID_ARGUMENT', `Adjacency list entry ${i} is not an array of node indices.`);
    for (const j of neighbours) {
      checkNode(j, n);
      if (j !== i) {
        sets[i]!.add(j);
        sets[j]!.add(i);
      }
    }
  });
  return sets.map((s) => [...s].sort((a, b) => a - b));
}

function fromEdges(graph: EdgeListGraph): number[][] {
  let n = graph.nodes ?? 0;
  if (graph.nodes === undefined) for (const [a, b] of graph.edges) n = Math.max(n, a + 1, b + 1);
  if (!Number.isInteger(n) || n <= 0) throw new MechintError('INVALID_ARGUMENT', 'The graph is empty; pass edges or nodes ≥ 1.');
  const list: number[][] = Array.from({ length: n }, () => []);
  for (const edge of graph.edges) {
    const [a, b] = edge;
    checkNode(a, n);
    checkNode(b, n);
    list[a]!.push(b);
  }
  return fromAdjacency(list);
}

function fromWeights(graph: WeightGraph): number[][] {
  const { rows, cols, at } = matrix(graph.weights);
  if (!Number.isFinite(graph.threshold)) throw new MechintError('INVALID_ARGUMENT', `threshold must be a finite number; got ${graph.threshold}.`);
  const absolute = graph.absolute ?? true;
  const bipartite = graph.bipartite === true || rows !== cols;
  const n = bipartite ? rows + cols : rows;
  const list: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const w = at(i, j);
      if (!Number.isFinite(w)) throw new MechintError('INVALID_ARGUMENT', `Weight [${i}, ${j}] is ${w}; weights must be finite.`);
      if ((absolute ? Math.abs(w) : w) >= graph.threshold) list[i]!.push(bipartite ? rows + j : j);
    }
  }
  return fromAdjacency(list);
}

function matrix(weights: WeightGraph['weights']): { rows: number; cols: number; at: (i: number, j: number) => number } {
  if (weights instanceof Tensor) {
    if (weights.rank !== 2) throw new MechintError('SHAPE_MISMATCH', `Weights must be a matrix [rows, cols]; got shape [${weights.shape.join(', ')}].`);
    const [rows, cols] = weights.shape as [number, number];
    const data = weights.data;
    if (typeof data[0] === 'bigint') throw new MechintError('DTYPE_MISMATCH', 'Weights must be a floating-point or 32-bit integer tensor.');
    const values = data as ArrayLike<number>;
    return { rows, cols, at: (i, j) => Number(values[i * cols + j]) };
  }
  const rows = weights.length;
  const cols = weights[0]?.length ?? 0;
  if (rows === 0 || cols === 0) throw new MechintError('INVALID_ARGUMENT', 'The weight matrix is empty; the graph needs at least one node.');
  if (weights.some((r) => r.length !== cols)) throw new MechintError('SHAPE_MISMATCH', 'The weight matrix is ragged; every row needs the same length.');
  return { rows, cols, at: (i, j) => weights[i]![j]! };
}

function checkNode(j: number, n: number): void {
  if (!Number.isInteger(j) || j < 0 || j >= n) {
    throw new MechintError('INVALID_ARGUMENT', `Node index ${j} is out of range for a graph of ${n} nodes; indices run from 0 to ${n - 1}.`);
  }
}
