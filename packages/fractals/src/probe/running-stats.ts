/**
 * Bounded-memory statistics of a stream: Welford's running mean and variance, and a ring buffer of
 * the latest values.
 */

/** Count, mean and standard deviation of every value seen. @example `{ count: 3, mean: 1.9, std: 0.05 }` */
export interface RunningSummary {
  /** Number of values seen. */
  count: number;
  /** Their mean. */
  mean: number;
  /** Sample standard deviation (NaN below two values). */
  std: number;
}

/**
 * Welford's running mean and variance plus the last `capacity` values with their steps.
 *
 * @internal
 * @example `const s = new RunningSeries(100); s.push(0, 1.9);`
 */
export class RunningSeries {
  readonly #steps: Float64Array;
  readonly #values: Float64Array;
  #next = 0;
  #count = 0;
  #mean = 0;
  #m2 = 0;

  constructor(capacity: number) {
    this.#steps = new Float64Array(capacity);
    this.#values = new Float64Array(capacity);
  }

  /** Records `value` at `step`. */
  push(step: number, value: number): void {
    const at = this.#next % this.#values.length;
    this.#steps[at] = step;
    this.#values[at] = value;
    this.#next++;
    this.#count++;
    const delta = value - this.#mean;
    this.#mean += delta / this.#count;
    this.#m2 += delta * (value - this.#mean);
  }

  /** The retained `(step, value)` pairs, oldest first. */
  history(): { steps: number[]; values: number[] } {
    const size = Math.min(this.#next, this.#values.length);
    const first = this.#next - size;
    const steps: number[] = [];
    const values: number[] = [];
    for (let i = first; i < this.#next; i++) {
      steps.push(this.#steps[i % this.#values.length]!);
      values.push(this.#values[i % this.#values.length]!);
    }
    return { steps, values };
  }

  /** Summary over every value pushed. */
  summary(): RunningSummary {
    return { count: this.#count, mean: this.#count ? this.#mean : NaN, std: this.#count > 1 ? Math.sqrt(this.#m2 / (this.#count - 1)) : NaN };
  }
}
