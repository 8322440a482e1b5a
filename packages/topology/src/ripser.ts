/**
 * The persistence computation of Ripser (Bauer 2021), on a thresholded neighbour graph:
 * H0 by union-find over the edges in filtration order; higher dimensions by reducing the
 * coboundary matrix column by column (cohomology), with clearing (columns already paired as
 * pivots are skipped), apparent and emergent pairs found without any reduction, and the
 * coboundaries enumerated implicitly from the combinatorial number system. Only the columns,
 * the pivots and the reduction matrix are stored; never the coboundary matrix. Representative
 * cycles, when asked for, come from the pairs afterwards (see `cycle-reducer.ts`).
 */
import { Binomials } from './binomial.js';
import { BoundaryLister } from './boundary.js';
import { CycleReducer, type PairLookup, type RawChain } from './cycle-reducer.js';
import { EntryHeap, getPivot, popPivot, type PivotSlot } from './entry-heap.js';
import { Float64List, Int32List } from './growable.js';
import type { NeighborGraph } from './neighbor-graph.js';
import { columnPairs, VertexPairs } from './pair-lookup.js';
import type { Ticker } from './progress.js';
import { CofacetEnumerator, FacetFinder } from './simplices.js';
import { sortSimplices } from './sort-columns.js';
import { UnionFind } from './union-find.js';

/** @internal A representative cocycle: simplex indices (combinatorial number system) and coefficients. */
export interface RawCocycle {
  simplices: Float64Array;
  coefficients: Int32Array;
}

/** @internal Pairs of one dimension, with their cocycles and cycles when asked for. */
export interface RawDiagram {
  births: Float64List;
  deaths: Float64List;
  cocycles: RawCocycle[];
  /** With cycles: the death simplex of each pair, or the birth simplex of an essential one. */
  representatives: Float64List;
  cycles: RawChain[];
}

/** @internal Settings of {@link computePersistence}. */
export interface EngineSettings {
  maxDim: number;
  modulus: number;
  cocycles: boolean;
  cycles: boolean;
  ticker: Ticker;
}

/** @internal Multiplicative inverses mod a prime `p`. */
function inverses(p: number): Int32Array {
  const inverse = new Int32Array(p);
  inverse[1] = 1;
  for (let a = 2; a < p; a++) inverse[a] = p - ((inverse[p % a]! * Math.floor(p / a)) % p);
  return inverse;
}

/** @internal Runs the whole computation; returns one raw diagram per dimension 0 … maxDim. */
export async function computePersistence(graph: NeighborGraph, settings: EngineSettings): Promise<RawDiagram[]> {
  return new Engine(graph, settings).run();
}

class Engine {
  readonly #graph: NeighborGraph;
  readonly #settings: EngineSettings;
  readonly #modulus: number;
  readonly #inverse: Int32Array;
  readonly #binomials: Binomials;
  readonly #main: CofacetEnumerator;
  readonly #probe: CofacetEnumerator;
  readonly #facets: FacetFinder;
  readonly #lister: BoundaryLister;
  readonly #coboundary = new EntryHeap();
  readonly #reduction = new EntryHeap();
  readonly #pivot: PivotSlot = { diam: 0, index: 0, coef: 0 };
  readonly #entry: PivotSlot = { diam: 0, index: 0, coef: 0 };
  readonly #bufferDiam = new Float64List(64);
  readonly #bufferIndex = new Float64List(64);
  readonly #bufferCoef = new Int32List(64);

  constructor(graph: NeighborGraph, settings: EngineSettings) {
    this.#graph = graph;
    this.#settings = settings;
    this.#modulus = settings.modulus;
    this.#inverse = inverses(settings.modulus);
    const vertices = settings.maxDim + 2;
    this.#binomials = new Binomials(graph.n, vertices);
    this.#main = new CofacetEnumerator(graph, this.#binomials, settings.modulus, vertices);
    this.#probe = new CofacetEnumerator(graph, this.#binomials, settings.modulus, vertices);
    this.#facets = new FacetFinder(graph, this.#binomials, settings.modulus, vertices);
    this.#lister = new BoundaryLister(graph, this.#binomials, settings.modulus, vertices);
  }

  async run(): Promise<RawDiagram[]> {
    const { maxDim } = this.#settings;
    const diagrams: RawDiagram[] = [];
    for (let d = 0; d <= maxDim; d++) diagrams.push({ births: new Float64List(), deaths: new Float64List(), cocycles: [], representatives: new Float64List(), cycles: [] });
    const vertexPairs = this.#settings.cycles ? new VertexPairs(this.#graph.n) : undefined;
    let { simplices, columns } = await this.dimension0(diagrams[0]!, vertexPairs);
    let facetPairs = vertexPairs?.lookup;
    for (let dim = 1; dim <= maxDim; dim++) {
      const pivots = await this.reduce(columns, dim, diagrams[dim]!);
      if (facetPairs !== undefined) {
        const pairs = columnPairs(pivots, columns.index, this.#modulus, (index, diam) => this.apparentCofacet(index, diam, dim));
        await this.representCycles(diagrams[dim]!, dim, pairs, facetPairs);
        facetPairs = pairs;
      }
      if (dim < maxDim) ({ simplices, columns } = await this.assemble(simplices, pivots, dim + 1));
    }
    return diagrams;
  }

  /** H0 with union-find (recording its pairs in `vertexPairs`); returns all edges and the edges left to reduce for H1. */
  private async dimension0(out: RawDiagram, vertexPairs: VertexPairs | undefined): Promise<{ simplices: Simplices; columns: Simplices }> {
    const graph = this.#graph;
    const n = graph.n;
    const b = this.#binomials;
    const ticker = this.#settings.ticker;
    const m = graph.edgeCount;
    ticker.report({ phase: 'H0', done: 0, total: m });
    const diam = new Float64Array(m);
    const index = new Float64Array(m);
    let e = 0;
    for (let i = 0; i < n; i++) {
      for (let p = graph.start[i]!; p < graph.start[i + 1]!; p++) {
        const j = graph.neighbor[p]!;
        if (j >= i) break;
        diam[e] = graph.distance[p]!;
        index[e++] = b.get(i, 2) + j;
      }
    }
    sortSimplices(diam, index, true);
    const sets = new UnionFind(n);
    const members = this.#settings.cocycles ? new Members(n) : undefined;
    const columnDiam = new Float64List();
    const columnIndex = new Float64List();
    const ends = new Int32Array(2);
    for (let k = 0; k < m; k++) {
      if ((k & 1023) === 0 && ticker.due()) await ticker.tick({ phase: 'H0', done: k, total: m });
      b.vertices(index[k]!, 1, ends);
      const u = sets.find(ends[0]!);
      const v = sets.find(ends[1]!);
      if (u !== v) {
        if (diam[k] !== 0) {
          out.births.push(0);
          out.deaths.push(diam[k]!);
          if (members !== undefined) out.cocycles.push(members.smaller(u, v));
        }
        const root = sets.link(u, v);
        members?.merge(u, v, root);
        vertexPairs?.merge(u, v, root, index[k]!);
      } else if (this.apparentCofacet(index[k]!, diam[k]!, 1) < 0) {
        columnDiam.push(diam[k]!);
        columnIndex.push(index[k]!);
      }
    }
    for (let v = 0; v < n; v++) {
      if (sets.find(v) !== v) continue;
      out.births.push(0);
      out.deaths.push(Infinity);
      if (members !== undefined) out.cocycles.push(members.of(v));
    }
    ticker.report({ phase: 'H0', done: m, total: m });
    const columns = { diam: columnDiam.view().slice().reverse(), index: columnIndex.view().slice().reverse() };
    return { simplices: { diam, index }, columns };
  }

  /** Reduces the coboundary columns of dimension `dim`; returns the pivot table (cofacet → column, coefficient). */
  private async reduce(columns: Simplices, dim: number, out: RawDiagram): Promise<Map<number, number>> {
    const modulus = this.#modulus;
    const ticker = this.#settings.ticker;
    const m = columns.diam.length;
    const pivots = new Map<number, number>();
    const reductionIndex = new Float64List();
    const reductionDiam = new Float64List();
    const reductionCoef = new Int32List();
    const bounds = new Float64Array(m + 1);
    const pivot = this.#pivot;
    ticker.report({ phase: 'reduce', dim, done: 0, total: m });
    for (let c = 0; c < m; c++) {
      if ((c & 255) === 0 && ticker.due()) await ticker.tick({ phase: 'reduce', dim, done: c, total: m });
      const diam = columns.diam[c]!;
      const index = columns.index[c]!;
      this.#coboundary.clear();
      this.#reduction.clear();
      let found = this.initCoboundary(index, diam, dim, pivots);
      for (;;) {
        if (!found) {
          out.births.push(diam);
          out.deaths.push(Infinity);
          if (this.#settings.cocycles) out.cocycles.push(this.drainCocycle(index));
          if (this.#settings.cycles) out.representatives.push(index);
          break;
        }
        const hit = pivots.get(pivot.index);
        if (hit !== undefined) {
          const other = Math.floor(hit / modulus);
          const factor = modulus - ((pivot.coef * this.#inverse[hit % modulus]!) % modulus);
          this.addSimplexCoboundary(columns.index[other]!, columns.diam[other]!, factor, dim);
          for (let r = bounds[other]!; r < bounds[other + 1]!; r++) {
            this.addSimplexCoboundary(reductionIndex.data[r]!, reductionDiam.data[r]!, (reductionCoef.data[r]! * factor) % modulus, dim);
          }
          found = getPivot(this.#coboundary, modulus, pivot);
        } else if (this.#facets.zeroPivotFacet(pivot.index, pivot.diam, pivot.coef, dim + 1) && this.isPivotCofacet(this.#facets.index, pivot.diam, pivot.index, dim)) {
          this.addSimplexCoboundary(this.#facets.index, pivot.diam, modulus - this.#facets.coef, dim);
          found = getPivot(this.#coboundary, modulus, pivot);
        } else {
          pivots.set(pivot.index, c * modulus + pivot.coef);
          const keep = pivot.diam > diam;
          if (keep) {
            out.births.push(diam);
            out.deaths.push(pivot.diam);
            if (this.#settings.cycles) out.representatives.push(pivot.index);
          }
          const entry = this.#entry;
          const cocycle = keep && this.#settings.cocycles ? [index] : undefined;
          const coefficients = cocycle === undefined ? undefined : [1];
          while (popPivot(this.#reduction, modulus, entry)) {
            reductionIndex.push(entry.index);
            reductionDiam.push(entry.diam);
            reductionCoef.push(entry.coef);
            cocycle?.push(entry.index);
            coefficients?.push(entry.coef);
          }
          if (cocycle !== undefined && coefficients !== undefined) {
            out.cocycles.push({ simplices: Float64Array.from(cocycle), coefficients: Int32Array.from(coefficients) });
          }
          break;
        }
      }
      bounds[c + 1] = reductionIndex.length;
    }
    ticker.report({ phase: 'reduce', dim, done: m, total: m });
    return pivots;
  }

  /** The cocycle of an essential class: the column's simplex plus its reduction entries. */
  private drainCocycle(index: number): RawCocycle {
    const simplices = [index];
    const coefficients = [1];
    const entry = this.#entry;
    while (popPivot(this.#reduction, this.#modulus, entry)) {
      simplices.push(entry.index);
      coefficients.push(entry.coef);
    }
    return { simplices: Float64Array.from(simplices), coefficients: Int32Array.from(coefficients) };
  }

  /**
   * Fills the working coboundary with the column's cofacets and returns its pivot, unless the
   * column forms an emergent pair: its first cofacet of equal diameter is not yet a pivot and not
   * in an apparent pair, so it is the pivot with no reduction at all.
   */
  private initCoboundary(index: number, diam: number, dim: number, pivots: Map<number, number>): boolean {
    const cofacets = this.#main;
    const bufferDiam = this.#bufferDiam;
    const bufferIndex = this.#bufferIndex;
    const bufferCoef = this.#bufferCoef;
    bufferDiam.length = 0;
    bufferIndex.length = 0;
    bufferCoef.length = 0;
    let emergent = true;
    cofacets.set(index, diam, 1, dim);
    while (cofacets.hasNext(true)) {
      cofacets.next();
      bufferDiam.push(cofacets.diam);
      bufferIndex.push(cofacets.index);
      bufferCoef.push(cofacets.coef);
      if (emergent && cofacets.diam === diam) {
        if (!pivots.has(cofacets.index) && !this.zeroApparentFacet(cofacets.index, cofacets.diam, dim + 1)) {
          this.#pivot.diam = cofacets.diam;
          this.#pivot.index = cofacets.index;
          this.#pivot.coef = cofacets.coef;
          return true;
        }
        emergent = false;
      }
    }
    const heap = this.#coboundary;
    for (let i = 0; i < bufferDiam.length; i++) heap.push(bufferDiam.data[i]!, bufferIndex.data[i]!, bufferCoef.data[i]!);
    return getPivot(heap, this.#modulus, this.#pivot);
  }

  /** Adds a simplex to the working reduction column and its coboundary to the working coboundary. */
  private addSimplexCoboundary(index: number, diam: number, coef: number, dim: number): void {
    this.#reduction.push(diam, index, coef);
    const cofacets = this.#main;
    const heap = this.#coboundary;
    cofacets.set(index, diam, coef, dim);
    while (cofacets.hasNext(true)) {
      cofacets.next();
      heap.push(cofacets.diam, cofacets.index, cofacets.coef);
    }
  }

  /** Whether `cofacet` is the first cofacet of equal diameter of the simplex `index` (dimension `dim`). */
  private isPivotCofacet(index: number, diam: number, cofacet: number, dim: number): boolean {
    const probe = this.#probe;
    probe.set(index, diam, 1, dim);
    while (probe.hasNext(true)) {
      probe.next();
      if (probe.diam === diam) return probe.index === cofacet;
    }
    return false;
  }

  /** The simplex (dimension `dim`) and its zero-persistence pivot facet pivot each other. */
  private zeroApparentFacet(index: number, diam: number, dim: number): boolean {
    return this.#facets.zeroPivotFacet(index, diam, 1, dim) && this.isPivotCofacet(this.#facets.index, diam, index, dim - 1);
  }

  /** The zero-persistence pivot cofacet of the simplex (dimension `dim`) when the two pivot each other, else −1. */
  private apparentCofacet(index: number, diam: number, dim: number): number {
    const probe = this.#probe;
    probe.set(index, diam, 1, dim);
    while (probe.hasNext(true)) {
      probe.next();
      if (probe.diam === diam) return this.#facets.zeroPivotFacet(probe.index, diam, 1, dim + 1) && this.#facets.index === index ? probe.index : -1;
    }
    return -1;
  }

  /**
   * Representative cycles of one dimension's pairs (involuted homology): `pairs` pairs the
   * simplices of `dim` (the lows of the death simplices' boundaries), `facetPairs` those of dim − 1
   * (the lows of an essential birth simplex's boundary).
   */
  private async representCycles(out: RawDiagram, dim: number, pairs: PairLookup, facetPairs: PairLookup): Promise<void> {
    const ticker = this.#settings.ticker;
    const finite = new CycleReducer(this.#lister, this.#modulus, this.#inverse, dim + 1, pairs);
    const essential = new CycleReducer(this.#lister, this.#modulus, this.#inverse, dim, facetPairs);
    const total = out.births.length;
    ticker.report({ phase: 'cycles', dim, done: 0, total });
    for (let i = 0; i < total; i++) {
      if ((i & 15) === 0 && ticker.due()) await ticker.tick({ phase: 'cycles', dim, done: i, total });
      const simplex = out.representatives.data[i]!;
      out.cycles.push(out.deaths.data[i] === Infinity ? essential.essential(simplex) : finite.cycle(simplex));
    }
    ticker.report({ phase: 'cycles', dim, done: total, total });
  }

  /** Lists the simplices of dimension `dim` and the columns among them left to reduce. */
  private async assemble(previous: Simplices, pivots: Map<number, number>, dim: number): Promise<{ simplices: Simplices; columns: Simplices }> {
    const ticker = this.#settings.ticker;
    const keepAll = dim < this.#settings.maxDim;
    const allDiam = new Float64List();
    const allIndex = new Float64List();
    const columnDiam = new Float64List();
    const columnIndex = new Float64List();
    const cofacets = this.#main;
    const total = previous.diam.length;
    ticker.report({ phase: 'assemble', dim, done: 0, total });
    for (let s = 0; s < total; s++) {
      if ((s & 255) === 0 && ticker.due()) await ticker.tick({ phase: 'assemble', dim, done: s, total });
      cofacets.set(previous.index[s]!, previous.diam[s]!, 1, dim - 1);
      while (cofacets.hasNext(false)) {
        cofacets.next();
        const { diam, index } = cofacets;
        if (keepAll) {
          allDiam.push(diam);
          allIndex.push(index);
        }
        if (pivots.has(index) || this.apparentCofacet(index, diam, dim) >= 0 || this.zeroApparentFacet(index, diam, dim)) continue;
        columnDiam.push(diam);
        columnIndex.push(index);
      }
    }
    const columns = { diam: columnDiam.view().slice(), index: columnIndex.view().slice() };
    sortSimplices(columns.diam, columns.index);
    ticker.report({ phase: 'assemble', dim, done: total, total });
    return { simplices: { diam: allDiam.view().slice(), index: allIndex.view().slice() }, columns };
  }
}

/** Simplices as parallel (diameter, index) arrays. */
interface Simplices {
  diam: Float64Array;
  index: Float64Array;
}

/** Vertex lists of the union-find components, for H0 representatives. */
class Members {
  readonly #next: Int32Array;
  readonly #tail: Int32Array;
  readonly #size: Int32Array;

  constructor(n: number) {
    this.#next = new Int32Array(n).fill(-1);
    this.#tail = Int32Array.from({ length: n }, (_, i) => i);
    this.#size = new Int32Array(n).fill(1);
  }

  /** The vertices of the smaller of the components rooted at `u` and `v` (0-simplices). */
  smaller(u: number, v: number): RawCocycle {
    return this.of(this.#size[u]! <= this.#size[v]! ? u : v);
  }

  /** The vertices of the component rooted at `root`. */
  of(root: number): RawCocycle {
    const simplices = new Float64Array(this.#size[root]!);
    for (let v = root, i = 0; v !== -1; v = this.#next[v]!) simplices[i++] = v;
    return { simplices, coefficients: new Int32Array(simplices.length).fill(1) };
  }

  merge(u: number, v: number, root: number): void {
    const other = root === u ? v : u;
    this.#next[this.#tail[root]!] = other;
    this.#tail[root] = this.#tail[other]!;
    this.#size[root]! += this.#size[other]!;
  }
}
