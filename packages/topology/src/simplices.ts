/**
 * Implicit (co)boundaries of Rips simplices, as in Ripser: cofacets are enumerated from the
 * neighbour lists of the simplex's vertices, largest index first, without ever building a
 * boundary matrix; facets come from the vertices decoded out of the simplex's index.
 */
import type { Binomials } from './binomial.js';
import type { NeighborGraph } from './neighbor-graph.js';

/** @internal Enumerates the cofacets of one simplex in decreasing index order. */
export class CofacetEnumerator {
  readonly #graph: NeighborGraph;
  readonly #binomials: Binomials;
  readonly #modulus: number;
  readonly #vertices: Int32Array;
  readonly #cursor: Int32Array;
  #dim = 0;
  #below = 0;
  #above = 0;
  #position = 0;
  #k = 0;
  #simplexDiam = 0;
  #simplexCoef = 1;
  #x = 0;
  #xDiam = 0;
  /** The last cofacet returned by {@link CofacetEnumerator.next}. */
  diam = 0;
  index = 0;
  coef = 0;

  constructor(graph: NeighborGraph, binomials: Binomials, modulus: number, maxVertices: number) {
    this.#graph = graph;
    this.#binomials = binomials;
    this.#modulus = modulus;
    this.#vertices = new Int32Array(maxVertices);
    this.#cursor = new Int32Array(maxVertices);
  }

  /** Starts on the simplex (`index`, `diam`) of dimension `dim` with coefficient `coef`. */
  set(index: number, diam: number, coef: number, dim: number): void {
    this.#binomials.vertices(index, dim, this.#vertices);
    const start = this.#graph.start;
    for (let i = 0; i <= dim; i++) this.#cursor[i] = start[this.#vertices[i]! + 1]! - 1;
    this.#dim = dim;
    this.#below = index;
    this.#above = 0;
    this.#position = 0;
    this.#k = dim + 1;
    this.#simplexDiam = diam;
    this.#simplexCoef = coef;
  }

  /**
   * Moves to the next common neighbour of all vertices. With `all` false, only cofacets whose new
   * vertex is larger than every vertex of the simplex (each simplex is then listed once, from its
   * facet without its largest vertex).
   */
  hasNext(all: boolean): boolean {
    const { start, neighbor, distance } = this.#graph;
    const vertices = this.#vertices;
    const cursor = this.#cursor;
    const dim = this.#dim;
    const low0 = start[vertices[0]!]!;
    for (let p0 = cursor[0]!; p0 >= low0; p0 = --cursor[0]!) {
      const x = neighbor[p0]!;
      if (!all && x < vertices[0]!) return false;
      let xDiam = distance[p0]!;
      let common = true;
      for (let i = 1; i <= dim; i++) {
        const low = start[vertices[i]!]!;
        let p = cursor[i]!;
        while (p >= low && neighbor[p]! > x) p--;
        cursor[i] = p;
        if (p < low) return false;
        if (neighbor[p] !== x) {
          common = false;
          break;
        }
        const d = distance[p]!;
        if (d > xDiam) xDiam = d;
      }
      if (common) {
        this.#x = x;
        this.#xDiam = xDiam;
        return true;
      }
    }
    return false;
  }

  /** Computes the cofacet found by {@link CofacetEnumerator.hasNext} into `diam`, `index`, `coef`. */
  next(): void {
    this.#cursor[0]!--;
    const b = this.#binomials;
    const x = this.#x;
    const vertices = this.#vertices;
    while (this.#position <= this.#dim && vertices[this.#position]! > x) {
      const v = vertices[this.#position]!;
      this.#below -= b.get(v, this.#k);
      this.#above += b.get(v, this.#k + 1);
      this.#position++;
      this.#k--;
    }
    this.diam = this.#xDiam > this.#simplexDiam ? this.#xDiam : this.#simplexDiam;
    this.index = this.#above + b.get(x, this.#k + 1) + this.#below;
    this.coef = (this.#k & 1) === 1 ? this.#modulus - this.#simplexCoef : this.#simplexCoef;
  }
}

/** @internal Facets of a simplex: the first one with the simplex's own diameter (the pivot of its boundary). */
export class FacetFinder {
  readonly #graph: NeighborGraph;
  readonly #binomials: Binomials;
  readonly #modulus: number;
  readonly #vertices: Int32Array;
  readonly #pairwise: Float64Array;
  readonly #size: number;
  /** The facet found by {@link FacetFinder.zeroPivotFacet}. */
  index = 0;
  coef = 0;

  constructor(graph: NeighborGraph, binomials: Binomials, modulus: number, maxVertices: number) {
    this.#graph = graph;
    this.#binomials = binomials;
    this.#modulus = modulus;
    this.#size = maxVertices;
    this.#vertices = new Int32Array(maxVertices);
    this.#pairwise = new Float64Array(maxVertices * maxVertices);
  }

  /**
   * Finds the facet of the simplex (`index`, `diam`, dimension `dim` ≥ 1) that has the same
   * diameter and the smallest index, i.e. the pivot of its boundary column; false when none.
   */
  zeroPivotFacet(index: number, diam: number, coef: number, dim: number): boolean {
    const vertices = this.#vertices;
    const pairwise = this.#pairwise;
    const size = this.#size;
    const b = this.#binomials;
    b.vertices(index, dim, vertices);
    for (let i = 0; i <= dim; i++) {
      for (let j = 0; j < i; j++) {
        const d = this.#graph.between(vertices[i]!, vertices[j]!);
        pairwise[i * size + j] = d;
        pairwise[j * size + i] = d;
      }
    }
    for (let removed = 0; removed <= dim; removed++) {
      let facetDiam = 0;
      for (let i = 0; i <= dim; i++) {
        if (i === removed) continue;
        for (let j = 0; j < i; j++) {
          if (j === removed) continue;
          const d = pairwise[i * size + j]!;
          if (d > facetDiam) facetDiam = d;
        }
      }
      if (facetDiam !== diam) continue;
      let facet = 0;
      for (let l = 0; l <= dim; l++) {
        if (l < removed) facet += b.get(vertices[l]!, dim - l);
        else if (l > removed) facet += b.get(vertices[l]!, dim + 1 - l);
      }
      this.index = facet;
      this.coef = ((dim - removed) & 1) === 1 ? this.#modulus - coef : coef;
      return true;
    }
    return false;
  }
}
