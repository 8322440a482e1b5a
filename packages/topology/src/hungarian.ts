/**
 * The assignment problem (Kuhn–Munkres with potentials, O(N³)) on a dense square cost matrix.
 */

/** @internal The minimum total cost of a perfect assignment of an N × N cost matrix (row-major). */
export function minimumAssignment(cost: Float64Array, size: number): number {
  const u = new Float64Array(size + 1);
  const v = new Float64Array(size + 1);
  const match = new Int32Array(size + 1);
  const way = new Int32Array(size + 1);
  const minv = new Float64Array(size + 1);
  const used = new Uint8Array(size + 1);
  for (let i = 1; i <= size; i++) {
    match[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = match[j0]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= size; j++) {
        if (used[j]) continue;
        const current = cost[(i0 - 1) * size + j - 1]! - u[i0]! - v[j]!;
        if (current < minv[j]!) {
          minv[j] = current;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= size; j++) {
        if (used[j]) {
          u[match[j]!]! += delta;
          v[j]! -= delta;
        } else minv[j]! -= delta;
      }
      j0 = j1;
    } while (match[j0] !== 0);
    do {
      const j1 = way[j0]!;
      match[j0] = match[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  let total = 0;
  for (let j = 1; j <= size; j++) total += cost[(match[j]! - 1) * size + j - 1]!;
  return total;
}
