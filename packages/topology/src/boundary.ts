/**
 * Boundaries of Rips simplices for the homology side (representative cycles): all facets of a
 * simplex, with their diameters and signs, decoded from the simplex's index in the combinatorial
 * number system.
 */
import type { Binomials } from './binomial.js';
import type { NeighborGraph } from './neighbor-graph.js';

/** @internal Lists the facets of one simplex at a time into its public arrays. */
export class BoundaryLister {
  readonly #graph: NeighborGraph;
  readonly #binomials: Binomials;
  readonly #modulus: number;
  readonly #vertices: Int32Array;
  readonly #pairwise: Float64Array;
  readonly #size: number;
  /** Facet `f` of the last listed simplex: `index[f]`, `diam[f]` and its sign `coef[f]` (1 or p − 1). */
  readonly index: Float64Array;
  readonly diam: Float64Array;
  readonly coef: Int32Array;

  constructor(graph: NeighborGraph, binomials: Binomials, modulus: number, maxVertices: number) {
    this.#graph = graph;
    this.#binomials = binomials;
    this.#modulus = modulus;
    this.#size = maxVertices;
    this.#vertices = new Int32Array(maxVertices);
    this.#pairwise = new Float64Array(maxVertices * maxVertices);
    this.index = new Float64Array(maxVertices);
    this.diam = new Float64Array(maxVertices);
    this.coef = new Int32Array(maxVertices);
  }

  /**
   * Lists the `dim + 1` facets of the simplex `index` of dimension `dim` ≥ 1, signed for the
   * ascending vertex order: dropping the i-th smallest vertex gives (−1)^i.
   */
  list(index: number, dim: number): number {
    const vertices = this.#vertices;
    const b = this.#binomials;
    this.decode(index, dim);
    for (let removed = 0; removed <= dim; removed++) {
      let facet = 0;
      for (let l = 0; l <= dim; l++) {
        if (l < removed) facet += b.get(vertices[l]!, dim - l);
        else if (l > removed) facet += b.get(vertices[l]!, dim + 1 - l);
      }
      this.index[removed] = facet;
      this.diam[removed] = this.spread(dim, removed);
      this.coef[removed] = ((dim - removed) & 1) === 1 ? this.#modulus - 1 : 1;
    }
    return dim + 1;
  }

  /** The diameter of the simplex `index` of dimension `dim`. */
  diameter(index: number, dim: number): number {
    this.decode(index, dim);
    return this.spread(dim, -1);
  }

  /** Decodes the vertices (largest first) and their pairwise distances. */
  private decode(index: number, dim: number): void {
    const vertices = this.#vertices;
    const pairwise = this.#pairwise;
    const size = this.#size;
    this.#binomials.vertices(index, dim, vertices);
    for (let i = 0; i <= dim; i++) {
      for (let j = 0; j < i; j++) pairwise[i * size + j] = this.#graph.between(vertices[i]!, vertices[j]!);
    }
  }

  /** The largest pairwise distance among the decoded vertices but the one at `removed`. */
  private spread(dim: number, removed: number): number {
    const pairwise = this.#pairwise;
    let diam = 0;
    for (let i = 0; i <= dim; i++) {
      if (i === removed) continue;
      for (let j = 0; j < i; j++) {
        const d = pairwise[i * this.#size + j]!;
        if (j !== removed && d > diam) diam = d;
      }
    }
    return diam;
  }
}
