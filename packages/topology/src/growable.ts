/**
 * Growable typed arrays: amortised appends without boxing numbers in JavaScript arrays.
 */

/** @internal A `Float64Array` that doubles when full. */
export class Float64List {
  data: Float64Array;
  length = 0;

  constructor(capacity = 16) {
    this.data = new Float64Array(Math.max(1, capacity));
  }

  push(value: number): void {
    if (this.length === this.data.length) this.grow();
    this.data[this.length++] = value;
  }

  /** The filled part, as a view. */
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }

  private grow(): void {
    const next = new Float64Array(this.data.length * 2);
    next.set(this.data);
    this.data = next;
  }
}

/** @internal An `Int32Array` that doubles when full. */
export class Int32List {
  data: Int32Array;
  length = 0;

  constructor(capacity = 16) {
    this.data = new Int32Array(Math.max(1, capacity));
  }

  push(value: number): void {
    if (this.length === this.data.length) this.grow();
    this.data[this.length++] = value;
  }

  /** The filled part, as a view. */
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }

  private grow(): void {
    const next = new Int32Array(this.data.length * 2);
    next.set(this.data);
    this.data = next;
  }
}
