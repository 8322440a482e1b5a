/**
 * Hopcroft–Karp maximum bipartite matching on adjacency lists in typed arrays.
 */

/** @internal Size of a maximum matching between `left` and `right` vertices; `adjacency(u)` lists u's right neighbours. */
export function maximumMatching(left: number, right: number, start: Int32Array, targets: Int32Array): number {
  const matchLeft = new Int32Array(left).fill(-1);
  const matchRight = new Int32Array(right).fill(-1);
  const layer = new Int32Array(left);
  const queue = new Int32Array(left);
  const iterator = new Int32Array(left);
  let matched = 0;
  for (;;) {
    let head = 0;
    let tail = 0;
    let found = false;
    for (let u = 0; u < left; u++) {
      if (matchLeft[u] === -1) {
        layer[u] = 0;
        queue[tail++] = u;
      } else layer[u] = -1;
    }
    while (head < tail) {
      const u = queue[head++]!;
      for (let e = start[u]!; e < start[u + 1]!; e++) {
        const w = matchRight[targets[e]!]!;
        if (w === -1) found = true;
        else if (layer[w] === -1) {
          layer[w] = layer[u]! + 1;
          queue[tail++] = w;
        }
      }
    }
    if (!found) return matched;
    for (let u = 0; u < left; u++) iterator[u] = start[u]!;
    const augment = (u: number): boolean => {
      for (; iterator[u]! < start[u + 1]!; iterator[u]!++) {
        const v = targets[iterator[u]!]!;
        const w = matchRight[v]!;
        if (w === -1 || (layer[w] === layer[u]! + 1 && augment(w))) {
          matchLeft[u] = v;
          matchRight[v] = u;
          iterator[u]!++;
          return true;
        }
      }
      layer[u] = -1;
      return false;
    };
    for (let u = 0; u < left; u++) if (matchLeft[u] === -1 && augment(u)) matched++;
  }
}
