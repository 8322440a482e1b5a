/**
 * The thresholded distances as Ripser's sparse distance matrix: for each vertex, its neighbours
 * within the threshold sorted by index, in compressed-sparse-row typed arrays.
 */

/** @internal Neighbour lists of a thresholded distance matrix. */
export class NeighborGraph {
  /** Number of vertices. */
  readonly n: number;
  /** Vertex v's neighbours are `neighbor[start[v]] … neighbor[start[v + 1] - 1]`, ascending. */
  readonly start: Int32Array;
  readonly neighbor: Int32Array;
  readonly distance: Float64Array;

  /**
   * Builds the lists from edges given row by row: `rows[e] > cols[e]`, rows ascending and, within a
   * row, columns ascending (the order a lower triangle is read in).
   */
  constructor(n: number, rows: Int32Array, cols: Int32Array, dists: Float64Array) {
    this.n = n;
    const start = new Int32Array(n + 1);
    for (let e = 0; e < rows.length; e++) {
      start[rows[e]! + 1]!++;
      start[cols[e]! + 1]!++;
    }
    for (let v = 0; v < n; v++) start[v + 1]! += start[v]!;
    const fill = start.slice(0, n);
    const neighbor = new Int32Array(2 * rows.length);
    const distance = new Float64Array(2 * rows.length);
    // Row i's lower neighbours arrive before any higher one (rows ascend), each group ascending.
    for (let e = 0; e < rows.length; e++) {
      const i = rows[e]!;
      const j = cols[e]!;
      const d = dists[e]!;
      let p = fill[i]!++;
      neighbor[p] = j;
      distance[p] = d;
      p = fill[j]!++;
      neighbor[p] = i;
      distance[p] = d;
    }
    this.start = start;
    this.neighbor = neighbor;
    this.distance = distance;
  }

  /** Number of edges. */
  get edgeCount(): number {
    return this.neighbor.length / 2;
  }

  /** The distance between `i` and `j`, or Infinity when they are not neighbours. */
  between(i: number, j: number): number {
    let lo = this.start[i]!;
    let hi = this.start[i + 1]! - 1;
    const neighbor = this.neighbor;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = neighbor[mid]!;
      if (v === j) return this.distance[mid]!;
      if (v < j) lo = mid + 1;
      else hi = mid - 1;
    }
    return Infinity;
  }
}
