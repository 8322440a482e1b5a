/**
 * Representative cycles by involuted persistent homology (Čufar & Virk 2021). Cohomology has
 * already paired the simplices, so the boundary matrix never needs reducing as a whole: the
 * boundary of a death simplex is reduced against the columns of the other death simplices only,
 * each found through the pairing of the working column's low (its last simplex in filtration
 * order: largest diameter, then smallest index). Columns are reduced on demand, depth first, and
 * only their reduction chains (which death simplices were added) are kept, as Ripser keeps its
 * reduction matrix; a column whose boundary is already reduced (an apparent pair) is never stored.
 */
import type { BoundaryLister } from './boundary.js';
import { EntryHeap, getPivot, popPivot, type PivotSlot } from './entry-heap.js';
import { Float64List, Int32List } from './growable.js';

/** @internal The column simplex (one dimension up) paired with the row simplex (`index`, `diam`), or −1. */
export type PairLookup = (index: number, diam: number) => number;

/** @internal A chain: simplex indices (combinatorial number system), diameters and coefficients. */
export interface RawChain {
  simplices: Float64Array;
  diams: Float64Array;
  coefficients: Int32Array;
}

/** A reduced column: the other columns added to it (with coefficients) and the coefficient of its low. */
interface Reduced {
  simplices: Float64Array;
  coefficients: Int32Array;
  lowCoef: number;
}

/** A column being reduced: its working boundary (keys negated, so the heap pops the low first) and chain. */
interface Frame {
  index: number;
  boundary: EntryHeap;
  chain: EntryHeap;
}

const NOTHING = { simplices: new Float64Array(0), coefficients: new Int32Array(0) };

/** @internal Reduces boundary columns of one dimension given the pairing of their rows. */
export class CycleReducer {
  readonly #lister: BoundaryLister;
  readonly #modulus: number;
  readonly #inverse: Int32Array;
  readonly #dim: number;
  readonly #pairOf: PairLookup;
  readonly #reduced = new Map<number, Reduced>();
  readonly #low: PivotSlot = { diam: 0, index: 0, coef: 0 };

  /** Columns are simplices of dimension `dim` ≥ 1; `pairOf` pairs their facets. */
  constructor(lister: BoundaryLister, modulus: number, inverse: Int32Array, dim: number, pairOf: PairLookup) {
    this.#lister = lister;
    this.#modulus = modulus;
    this.#inverse = inverse;
    this.#dim = dim;
    this.#pairOf = pairOf;
  }

  /** The reduced boundary of the death simplex `death`: a cycle whose last simplex is its pair's birth. */
  cycle(death: number): RawChain {
    const heap = new EntryHeap();
    this.addColumn(heap, undefined, death, 1, this.reduce(death));
    const simplices = new Float64List();
    const diams = new Float64List();
    const coefficients = new Int32List();
    const entry = this.#low;
    while (popPivot(heap, this.#modulus, entry)) {
      simplices.push(-entry.index);
      diams.push(-entry.diam);
      coefficients.push(entry.coef);
    }
    return { simplices: simplices.view().slice(), diams: diams.view().slice(), coefficients: coefficients.view().slice() };
  }

  /** A cycle whose last simplex is the unpaired `birth` (an essential class): `birth` plus its reduction chain. */
  essential(birth: number): RawChain {
    const reduced = this.reduce(birth);
    const simplices = new Float64Array(reduced.simplices.length + 1);
    const coefficients = new Int32Array(simplices.length);
    simplices[0] = birth;
    simplices.set(reduced.simplices, 1);
    coefficients[0] = 1;
    coefficients.set(reduced.coefficients, 1);
    const diams = simplices.map((index) => this.#lister.diameter(index, this.#dim));
    return { simplices, diams, coefficients };
  }

  /** Reduces the column `target` (and, first, every column it needs) until its low is its own pair or it is zero. */
  private reduce(target: number): Reduced {
    const stack = this.#reduced.has(target) ? [] : [this.frame(target)];
    const modulus = this.#modulus;
    const low = this.#low;
    while (stack.length > 0) {
      const top = stack.at(-1)!;
      const found = getPivot(top.boundary, modulus, low);
      const other = found ? this.#pairOf(-low.index, -low.diam) : top.index;
      if (other === top.index) {
        this.#reduced.set(top.index, this.finish(top.chain, found ? low.coef : 0));
        stack.pop();
        continue;
      }
      if (other < 0) throw new Error(`Internal error: simplex ${-low.index} (dimension ${this.#dim - 1}) is a low but has no pair.`);
      const coef = low.coef;
      const column = this.#reduced.get(other) ?? this.apparent(other);
      if (column === undefined) {
        stack.push(this.frame(other));
        continue;
      }
      const factor = modulus - ((coef * this.#inverse[column.lowCoef]!) % modulus);
      this.addColumn(top.boundary, top.chain, other, factor, column);
    }
    return this.#reduced.get(target)!;
  }

  /** The column `index` when its boundary is already reduced (its low is paired with it), else undefined. */
  private apparent(index: number): Reduced | undefined {
    const lister = this.#lister;
    const count = lister.list(index, this.#dim);
    let best = 0;
    for (let f = 1; f < count; f++) {
      if (lister.diam[f]! > lister.diam[best]! || (lister.diam[f] === lister.diam[best] && lister.index[f]! < lister.index[best]!)) best = f;
    }
    if (this.#pairOf(lister.index[best]!, lister.diam[best]!) !== index) return undefined;
    return { ...NOTHING, lowCoef: lister.coef[best]! };
  }

  private frame(index: number): Frame {
    const boundary = new EntryHeap();
    this.pushBoundary(boundary, index, 1);
    return { index, boundary, chain: new EntryHeap() };
  }

  /** Adds `factor` times the reduced column `index` to a working boundary and, if given, chain. */
  private addColumn(boundary: EntryHeap, chain: EntryHeap | undefined, index: number, factor: number, column: Reduced): void {
    const modulus = this.#modulus;
    this.pushBoundary(boundary, index, factor);
    chain?.push(0, index, factor);
    for (let r = 0; r < column.simplices.length; r++) {
      const coef = (column.coefficients[r]! * factor) % modulus;
      this.pushBoundary(boundary, column.simplices[r]!, coef);
      chain?.push(0, column.simplices[r]!, coef);
    }
  }

  private pushBoundary(heap: EntryHeap, index: number, coef: number): void {
    const lister = this.#lister;
    const count = lister.list(index, this.#dim);
    for (let f = 0; f < count; f++) heap.push(-lister.diam[f]!, -lister.index[f]!, (lister.coef[f]! * coef) % this.#modulus);
  }

  private finish(chain: EntryHeap, lowCoef: number): Reduced {
    const simplices = new Float64List();
    const coefficients = new Int32List();
    const entry = this.#low;
    while (popPivot(chain, this.#modulus, entry)) {
      simplices.push(entry.index);
      coefficients.push(entry.coef);
    }
    return { simplices: simplices.view().slice(), coefficients: coefficients.view().slice(), lowCoef };
  }
}
