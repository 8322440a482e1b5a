/**
 * Breadth-first shortest-path distances and connected components.
 */
import { MechintError } from '@mechint/core';
import { toAdjacency, type GraphInput } from './graph-input.js';

/** Largest graph the all-pairs distance matrix is built for (N² 16-bit entries). @example `uvFlower(2, 2, 5).length <= MAX_BOX_COVERING_NODES` */
export const MAX_BOX_COVERING_NODES = 20_000;

/**
 * All-pairs hop distances of a connected graph, row-major N × N, and the diameter. Throws
 * `INVALID_ARGUMENT` when the graph is disconnected (names the component sizes) or too large.
 *
 * @internal
 * @example `allPairsDistances([[1], [0]]).diameter === 1`
 */
export function allPairsDistances(adjacency: readonly (readonly number[])[]): { distances: Uint16Array; diameter: number } {
  const n = adjacency.length;
  if (n > MAX_BOX_COVERING_NODES) {
    throw new MechintError('INVALID_ARGUMENT', `Box covering builds an N × N distance matrix and takes at most ${MAX_BOX_COVERING_NODES} nodes; got ${n}. Raise the weight threshold or take a subgraph.`);
  }
  const distances = new Uint16Array(n * n).fill(0xffff);
  const queue = new Int32Array(n);
  let diameter = 0;
  for (let s = 0; s < n; s++) {
    const row = s * n;
    distances[row + s] = 0;
    queue[0] = s;
    let head = 0;
    let tail = 1;
    while (head < tail) {
      const u = queue[head++]!;
      const d = distances[row + u]! + 1;
      for (const v of adjacency[u]!) {
        if (distances[row + v] === 0xffff) {
          distances[row + v] = d;
          queue[tail++] = v;
          if (d > diameter) diameter = d;
        }
      }
    }
    if (tail < n) {
      const sizes = connectedComponents(adjacency).map((c) => c.length);
      throw new MechintError('INVALID_ARGUMENT', `The graph is disconnected (${sizes.length} components of sizes ${sizes.slice(0, 5).join(', ')}${sizes.length > 5 ? ', …' : ''}); box covering needs a connected graph: pass largestComponent(graph).`, {
        details: { componentSizes: sizes },
      });
    }
  }
  return { distances, diameter };
}

/**
 * The connected components, largest first, each a sorted list of node indices.
 *
 * @internal
 * @example `connectedComponents([[1], [0], []])` is `[[0, 1], [2]]`
 */
export function connectedComponents(adjacency: readonly (readonly number[])[]): number[][] {
  const n = adjacency.length;
  const seen = new Uint8Array(n);
  const out: number[][] = [];
  for (let s = 0; s < n; s++) {
    if (seen[s]) continue;
    const component = [s];
    seen[s] = 1;
    for (let h = 0; h < component.length; h++) {
      for (const v of adjacency[component[h]!]!) {
        if (!seen[v]) {
          seen[v] = 1;
          component.push(v);
        }
      }
    }
    out.push(component.sort((a, b) => a - b));
  }
  return out.sort((a, b) => b.length - a.length);
}

/**
 * The largest connected component of a graph as an adjacency list renumbered 0..k−1, with
 * `nodes[i]`, the original index of new node i.
 *
 * @example
 * ```ts
 * import { largestComponent } from '@mechint/fractals';
 * largestComponent([[1], [0], []]); // { adjacency: [[1], [0]], nodes: [0, 1] }
 * ```
 */
export function largestComponent(graph: GraphInput): { adjacency: number[][]; nodes: number[] } {
  const adjacency = toAdjacency(graph);
  const nodes = connectedComponents(adjacency)[0]!;
  const index = new Map(nodes.map((v, i) => [v, i]));
  return { adjacency: nodes.map((v) => adjacency[v]!.map((w) => index.get(w)!)), nodes };
}
