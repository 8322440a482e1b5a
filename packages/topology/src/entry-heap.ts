/**
 * A binary heap of (diameter, simplex index, coefficient) entries in parallel typed arrays, ordered
 * as Ripser orders the coboundary column: smallest diameter first, ties by the largest index.
 */

/** @internal The working column of the reduction. */
export class EntryHeap {
  #diam = new Float64Array(64);
  #index = new Float64Array(64);
  #coef = new Int32Array(64);
  size = 0;

  clear(): void {
    this.size = 0;
  }

  push(diam: number, index: number, coef: number): void {
    if (this.size === this.#diam.length) this.grow();
    const d = this.#diam;
    const x = this.#index;
    const c = this.#coef;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pd = d[parent]!;
      if (pd < diam || (pd === diam && x[parent]! > index)) break;
      d[i] = pd;
      x[i] = x[parent]!;
      c[i] = c[parent]!;
      i = parent;
    }
    d[i] = diam;
    x[i] = index;
    c[i] = coef;
  }

  topDiam(): number {
    return this.#diam[0]!;
  }

  topIndex(): number {
    return this.#index[0]!;
  }

  topCoef(): number {
    return this.#coef[0]!;
  }

  pop(): void {
    const n = --this.size;
    if (n === 0) return;
    const d = this.#diam;
    const x = this.#index;
    const c = this.#coef;
    const diam = d[n]!;
    const index = x[n]!;
    const coef = c[n]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && (d[right]! < d[child]! || (d[right] === d[child] && x[right]! > x[child]!))) child = right;
      const cd = d[child]!;
      if (diam < cd || (diam === cd && index > x[child]!)) break;
      d[i] = cd;
      x[i] = x[child]!;
      c[i] = c[child]!;
      i = child;
    }
    d[i] = diam;
    x[i] = index;
    c[i] = coef;
  }

  private grow(): void {
    const size = this.#diam.length * 2;
    const d = new Float64Array(size);
    d.set(this.#diam);
    const x = new Float64Array(size);
    x.set(this.#index);
    const c = new Int32Array(size);
    c.set(this.#coef);
    this.#diam = d;
    this.#index = x;
    this.#coef = c;
  }
}

/**
 * @internal The pivot of a heap column (summing the coefficients of equal indices mod `modulus`),
 * popped from the heap into `out`; returns false when the column is zero.
 */
export function popPivot(heap: EntryHeap, modulus: number, out: PivotSlot): boolean {
  let coef = 0;
  let index = -1;
  let diam = 0;
  while (heap.size > 0) {
    if (coef === 0) {
      diam = heap.topDiam();
      index = heap.topIndex();
      coef = heap.topCoef();
    } else if (heap.topIndex() !== index) {
      break;
    } else {
      coef = (coef + heap.topCoef()) % modulus;
    }
    heap.pop();
  }
  if (coef === 0) return false;
  out.diam = diam;
  out.index = index;
  out.coef = coef;
  return true;
}

/** @internal Like {@link popPivot} but leaves the pivot on the heap. */
export function getPivot(heap: EntryHeap, modulus: number, out: PivotSlot): boolean {
  if (!popPivot(heap, modulus, out)) return false;
  heap.push(out.diam, out.index, out.coef);
  return true;
}

/** @internal A mutable (diameter, index, coefficient) triple. */
export interface PivotSlot {
  diam: number;
  index: number;
  coef: number;
}
