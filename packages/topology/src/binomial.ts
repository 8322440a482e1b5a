/**
 * The combinatorial number system: a k-simplex with vertices v₀ > v₁ > … > v_k is the integer
 * Σᵢ C(vᵢ, k + 1 − i), so simplices are numbers, never arrays (Ripser's encoding).
 */
import { MechintError } from '@mechint/core';

/** @internal Binomial coefficients C(v, k) for v ≤ n and k ≤ kMax, with simplex encoding helpers. */
export class Binomials {
  readonly #table: Float64Array;
  readonly #stride: number;
  readonly n: number;

  constructor(n: number, kMax: number) {
    this.n = n;
    this.#stride = kMax + 1;
    const table = new Float64Array((n + 1) * this.#stride);
    for (let i = 0; i <= n; i++) {
      for (let j = 0; j <= Math.min(i, kMax); j++) {
        table[i * this.#stride + j] = j === 0 || j === i ? 1 : table[(i - 1) * this.#stride + j - 1]! + table[(i - 1) * this.#stride + j]!;
      }
    }
    if (table[n * this.#stride + kMax]! > Number.MAX_SAFE_INTEGER) {
      throw new MechintError(
        'INVALID_ARGUMENT',
        `${n} points have C(${n}, ${kMax}) simplices of dimension ${kMax - 1}, more than the 2^53 that JavaScript numbers index exactly; lower maxDim or subsample the points.`,
        { details: { n, maxDim: kMax - 2 } },
      );
    }
    this.#table = table;
  }

  /** C(v, k); zero when k > v. */
  get(v: number, k: number): number {
    return this.#table[v * this.#stride + k]!;
  }

  /** The largest vertex v < `below` with C(v, k) ≤ idx. */
  maxVertex(idx: number, k: number, below: number): number {
    let lo = k - 1;
    let hi = below - 1;
    if (this.get(hi, k) <= idx) return hi;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (this.get(mid, k) <= idx) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  /** Writes the vertices of simplex `idx` of dimension `dim` into `out`, largest first. */
  vertices(idx: number, dim: number, out: Int32Array): void {
    let v = this.n;
    let rest = idx;
    for (let k = dim + 1, i = 0; k > 0; k--, i++) {
      v = this.maxVertex(rest, k, v);
      out[i] = v;
      rest -= this.get(v, k);
    }
  }
}
