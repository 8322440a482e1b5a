/**
 * The pairing that the homology side (representative cycles) looks lows up in: which column
 * simplex kills a row simplex. Vertices are paired by the elder rule; higher simplices through the
 * pivots of the cohomology reduction, or as apparent pairs, which never became columns.
 */
import type { PairLookup } from './cycle-reducer.js';

/**
 * @internal H0 pairs by the elder rule. Vertices enter in decreasing index order, so a
 * component's oldest vertex is its largest; a merging edge kills the younger of the two.
 */
export class VertexPairs {
  readonly #oldest: Int32Array;
  readonly #killer: Float64Array;

  constructor(n: number) {
    this.#oldest = Int32Array.from({ length: n }, (_, i) => i);
    this.#killer = new Float64Array(n).fill(-1);
  }

  /** Records the edge `edge` merging the components rooted at `u` and `v` into `root`. */
  merge(u: number, v: number, root: number, edge: number): void {
    const a = this.#oldest[u]!;
    const b = this.#oldest[v]!;
    this.#killer[Math.min(a, b)] = edge;
    this.#oldest[root] = Math.max(a, b);
  }

  readonly lookup: PairLookup = (index) => this.#killer[index]!;
}

/**
 * @internal The pairing of one dimension's simplices: the reduced columns `columns` through the
 * pivot table (cofacet → column · modulus + coefficient), the others through `apparent`.
 */
export function columnPairs(pivots: Map<number, number>, columns: Float64Array, modulus: number, apparent: PairLookup): PairLookup {
  const killer = new Map<number, number>();
  for (const [cofacet, slot] of pivots) killer.set(columns[Math.floor(slot / modulus)]!, cofacet);
  return (index, diam) => killer.get(index) ?? apparent(index, diam);
}
