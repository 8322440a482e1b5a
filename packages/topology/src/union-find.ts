/**
 * Disjoint sets with path compression and union by rank, on typed arrays.
 */

/** @internal Union-find over `n` elements. */
export class UnionFind {
  readonly #parent: Int32Array;
  readonly #rank: Uint8Array;

  constructor(n: number) {
    this.#parent = new Int32Array(n);
    for (let i = 0; i < n; i++) this.#parent[i] = i;
    this.#rank = new Uint8Array(n);
  }

  find(x: number): number {
    const parent = this.#parent;
    let root = x;
    while (parent[root] !== root) root = parent[root]!;
    while (parent[x] !== root) {
      const next = parent[x]!;
      parent[x] = root;
      x = next;
    }
    return root;
  }

  /** Links the roots `a` and `b` (both must be roots) and returns the new root. */
  link(a: number, b: number): number {
    const rank = this.#rank;
    if (rank[a]! > rank[b]!) {
      this.#parent[b] = a;
      return a;
    }
    this.#parent[a] = b;
    if (rank[a] === rank[b]) rank[b]!++;
    return b;
  }
}
