/**
 * Polynomial detrending of windows, shared by DFA and MFDFA: an orthonormal polynomial basis per
 * window size, so a window's least-squares residual is two passes over its samples (the same fit as
 * `np.polyfit` / `np.polyval`, without forming a Vandermonde system).
 */

/**
 * Least-squares polynomial detrending of windows of one size: the mean squared residual of a
 * window after fitting a polynomial of degree `order` (the fit of `np.polyfit` / `np.polyval`).
 * Order 1 uses one pass of centred sums; other orders an orthonormal polynomial basis (modified
 * Gram-Schmidt on centred, scaled monomials, twice) and two passes.
 *
 * @internal
 * @example `new WindowDetrender(16, 2).residual(profile, 0)`
 */
export class WindowDetrender {
  readonly size: number;
  readonly #basis: Float64Array[] | undefined;

  constructor(size: number, order: number) {
    this.size = size;
    this.#basis = order === 1 ? undefined : polynomialBasis(size, order);
  }

  /** Mean squared residual `(1/n) Σ_t (y[start+t] − ŷ[t])²` of the window at `start`. */
  residual(y: Float64Array, start: number): number {
    const basis = this.#basis;
    if (basis === undefined) return linearResidual(y, start, this.size);
    const n = this.size;
    const coef = new Float64Array(basis.length);
    for (let p = 0; p < basis.length; p++) {
      const q = basis[p]!;
      let dot = 0;
      for (let t = 0; t < n; t++) dot += q[t]! * y[start + t]!;
      coef[p] = dot;
    }
    let sum = 0;
    for (let t = 0; t < n; t++) {
      let fit = 0;
      for (let p = 0; p < basis.length; p++) fit += coef[p]! * basis[p]![t]!;
      const r = y[start + t]! - fit;
      sum += r * r;
    }
    return sum / n;
  }
}

/**
 * Orthonormal basis of the polynomials of degree ≤ `order` sampled at t = 0..n−1, as `order + 1`
 * rows of length n.
 *
 * @internal
 * @example `polynomialBasis(8, 1).length === 2`
 */
export function polynomialBasis(n: number, order: number): Float64Array[] {
  const basis: Float64Array[] = [];
  const centre = (n - 1) / 2;
  const scale = Math.max(centre, 1);
  for (let p = 0; p <= order; p++) {
    const v = new Float64Array(n);
    for (let t = 0; t < n; t++) v[t] = ((t - centre) / scale) ** p;
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        let dot = 0;
        for (let t = 0; t < n; t++) dot += v[t]! * q[t]!;
        for (let t = 0; t < n; t++) v[t] = v[t]! - dot * q[t]!;
      }
    }
    let norm = 0;
    for (let t = 0; t < n; t++) norm += v[t]! * v[t]!;
    norm = Math.sqrt(norm);
    for (let t = 0; t < n; t++) v[t] = v[t]! / norm;
    basis.push(v);
  }
  return basis;
}

/**
 * Order-1 residual in one pass: with ỹ = y − y[start] (a local origin that keeps the sums small),
 * RSS = Σỹ² − (Σỹ)²/n − (Σ(t − t̄)ỹ)² / Σ(t − t̄)².
 */
function linearResidual(y: Float64Array, start: number, n: number): number {
  const centre = (n - 1) / 2;
  const stt = (n * (n * n - 1)) / 12;
  const origin = y[start]!;
  let sy = 0;
  let sty = 0;
  let syy = 0;
  for (let t = 0; t < n; t++) {
    const v = y[start + t]! - origin;
    sy += v;
    sty += (t - centre) * v;
    syy += v * v;
  }
  return Math.max(0, syy - (sy * sy) / n - (sty * sty) / stt) / n;
}

/**
 * Sums of a run of `len` samples about its first sample, with v_t = y[start + t] − y[start]:
 * `out[at] = Σ v_t`, `out[at + 1] = Σ t·v_t`, `out[at + 2] = Σ v_t²` (t = 0..len−1). The local
 * origin keeps the sums as small as the run's own excursion, so that combining runs (see
 * {@link LinearWindow.joined}) loses no more precision than summing a window directly.
 *
 * @internal
 * @example `centredSums(profile(x), 0, 16, sums, 0)`
 */
export function centredSums(y: Float64Array, start: number, len: number, out: Float64Array, at: number): void {
  const origin = y[start]!;
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  // Two interleaved sets of accumulators halve the floating-point add chains of this hot loop.
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  let t = 1;
  for (; t + 1 < len; t += 2) {
    const v = y[start + t]! - origin;
    const w = y[start + t + 1]! - origin;
    a0 += v;
    a1 += t * v;
    a2 += v * v;
    b0 += w;
    b1 += (t + 1) * w;
    b2 += w * w;
  }
  if (t < len) {
    const v = y[start + t]! - origin;
    a0 += v;
    a1 += t * v;
    a2 += v * v;
  }
  out[at] = a0 + b0;
  out[at + 1] = a1 + b1;
  out[at + 2] = a2 + b2;
}

/**
 * Sums of any run of a profile about its first sample (the {@link centredSums} of the run) in
 * time that grows with the logarithm of its length: the profile is cut into blocks of 8, 64, 512, …
 * samples whose centred sums are computed once, and a run is assembled from the largest aligned
 * blocks that fit, plus at most 7 single samples at each end (runs under ~70 samples, where a
 * plain loop is faster, are summed directly). Each block's sums are about its own
 * first sample and are shifted to the run's origin by d = y[block] − y[start], which is no larger
 * than the run's own excursion, so the result is as precise as summing the run directly.
 *
 * @internal
 * @example `new CentredBlockSums(profile(x)).runSums(100, 250, sums, 0)`
 */
export class CentredBlockSums {
  readonly #y: Float64Array;
  /** Per level ℓ, Σv, Σt·v, Σv² of each complete block of 8^(ℓ+1) samples about its first sample, interleaved. */
  readonly #sums: Float64Array[] = [];

  constructor(y: Float64Array) {
    this.#y = y;
    // Positions are handled with 32-bit bit operations: longer signals are summed directly.
    if (y.length >= 2 ** 30) return;
    for (let shift = 3; 1 << shift <= y.length; shift += 3) {
      const size = 1 << shift;
      const blocks = y.length >> shift;
      const sums = new Float64Array(3 * blocks);
      if (shift === 3) for (let b = 0; b < blocks; b++) centredSums(y, b * size, size, sums, 3 * b);
      else for (let b = 0; b < blocks; b++) this.#combine(b * size, b * size, b * size + size, sums, 3 * b, this.#sums.length - 1);
      this.#sums.push(sums);
    }
  }

  /** Writes Σv, Σt·v, Σv² of the run of `len` samples from `start` (about y[start]) at out[at..at+2]. */
  runSums(start: number, len: number, out: Float64Array, at: number): void {
    const end = start + len;
    const head = Math.min(end, (start + 7) & ~7);
    if (end - head < 64 || this.#sums.length === 0) {
      centredSums(this.#y, start, len, out, at);
      return;
    }
    centredSums(this.#y, start, head - start, out, at);
    const tail = head + ((end - head) & ~7);
    this.#combine(start, head, tail, out, at, this.#sums.length - 1);
    const y = this.#y;
    const origin = y[start]!;
    for (let p = tail; p < end; p++) {
      const v = y[p]! - origin;
      out[at] = out[at]! + v;
      out[at + 1] = out[at + 1]! + (p - start) * v;
      out[at + 2] = out[at + 2]! + v * v;
    }
  }

  /**
   * Adds the blocks covering [from, to) (both multiples of 8) to the sums at out[at..], which are
   * about y[start] with time origin `start`: at each position the largest aligned block that fits,
   * up to level `top`. A block of level ℓ has 8^(ℓ+1) samples, so alignment and indices are bit
   * operations. Each block's sums move to the run's origin by d = y[block] − y[start] and its
   * time by τ = block − start.
   */
  #combine(start: number, from: number, to: number, out: Float64Array, at: number, top: number): void {
    const y = this.#y;
    const origin = y[start]!;
    let a0 = out[at]!;
    let a1 = out[at + 1]!;
    let a2 = out[at + 2]!;
    let p = from;
    let level = 0;
    while (level >= 0) {
      const shift = 3 * level + 3;
      const size = 1 << shift;
      if (p + size > to) {
        level--;
        continue;
      }
      if (level < top && (p & ((size << 3) - 1)) === 0 && p + (size << 3) <= to) {
        level++;
        continue;
      }
      const sums = this.#sums[level]!;
      const i = 3 * (p >> shift);
      const d = y[p]! - origin;
      const tau = p - start;
      const t0 = sums[i]!;
      a0 += t0 + size * d;
      a1 += sums[i + 1]! + tau * t0 + d * ((size * (size - 1)) / 2 + tau * size);
      a2 += sums[i + 2]! + 2 * d * t0 + size * d * d;
      p += size;
    }
    out[at] = a0;
    out[at + 1] = a1;
    out[at + 2] = a2;
  }
}

/**
 * Order-1 detrending of windows of `size` samples from their sums about the window's first sample
 * (Σv, Σt·v, Σv², t = 0..size−1), with the window's constants computed once:
 * RSS = Σv² − (Σv)²/s − (Σ(t − t̄)v)² / Σ(t − t̄)².
 *
 * @internal
 * @example `new LinearWindow(16).residual(sums[0], sums[1], sums[2])`
 */
export class LinearWindow {
  readonly size: number;
  readonly #centre: number;
  readonly #inverseSize: number;
  /** 1 / Σ(t − t̄)² = 12 / (s (s² − 1)). */
  readonly #inverseStt: number;

  constructor(size: number) {
    this.size = size;
    this.#centre = (size - 1) / 2;
    this.#inverseSize = 1 / size;
    this.#inverseStt = 12 / (size * (size * size - 1));
  }

  /** Mean squared residual RSS / s (clamped at 0) from the window's centred sums. */
  residual(sy: number, sty: number, syy: number): number {
    const c = sty - this.#centre * sy;
    return Math.max(0, syy - sy * sy * this.#inverseSize - c * c * this.#inverseStt) * this.#inverseSize;
  }

  /**
   * Mean squared residual of the window made of two adjacent runs with {@link centredSums}: the
   * first (`len1` samples from `start`, sums at `sums[first..]`) and the rest of the window right
   * after it (sums at `sums[second..]`), whose sums are shifted to the window's origin y[start] and
   * time origin first.
   */
  joined(y: Float64Array, sums: Float64Array, first: number, second: number, start: number, len1: number): number {
    const len2 = this.size - len1;
    const d = y[start + len1]! - y[start]!;
    const q0 = sums[second]!;
    const sy = sums[first]! + q0 + len2 * d;
    const sty = sums[first + 1]! + sums[second + 1]! + len1 * q0 + d * (len1 * len2 + (len2 * (len2 - 1)) / 2);
    const syy = sums[first + 2]! + sums[second + 2]! + 2 * d * q0 + len2 * d * d;
    return this.residual(sy, sty, syy);
  }
}

/**
 * The profile `cumsum(x − mean(x))` of a signal.
 *
 * @internal
 * @example `profile(Float64Array.of(1, 2, 3))` is `[-1, -1, 0]`
 */
export function profile(x: Float64Array): Float64Array {
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i]!;
  mean /= x.length;
  const y = new Float64Array(x.length);
  let acc = 0;
  for (let i = 0; i < x.length; i++) {
    acc += x[i]! - mean;
    y[i] = acc;
  }
  return y;
}

/**
 * Mean over windows of the order-1 mean squared residual, for windows of `s` samples starting at
 * 0, h, 2h, … below N − s (h = ⌊s/2⌋, nolds's half overlap). Each sample is read once: sums over
 * blocks of h samples (about a local origin, the block's first sample) are shifted and combined
 * into each window's sums.
 *
 * @internal
 * @example `overlappingLinearResidual(profile(x), 16)`
 */
export function overlappingLinearResidual(y: Float64Array, s: number): number {
  const n = y.length;
  const h = Math.floor(s / 2);
  const blocks = Math.floor(n / h);
  const s0 = new Float64Array(blocks);
  const s1 = new Float64Array(blocks);
  const s2 = new Float64Array(blocks);
  for (let b = 0; b < blocks; b++) {
    const start = b * h;
    const origin = y[start]!;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    for (let t = 0; t < h; t++) {
      const v = y[start + t]! - origin;
      a0 += v;
      a1 += t * v;
      a2 += v * v;
    }
    s0[b] = a0;
    s1[b] = a1;
    s2[b] = a2;
  }
  const centre = (s - 1) / 2;
  const stt = (s * (s * s - 1)) / 12;
  const sumT = (h * (h - 1)) / 2;
  let total = 0;
  let windows = 0;
  for (let j = 0; j * h < n - s; j++) {
    const origin = y[j * h]!;
    const d = y[(j + 1) * h]! - origin;
    let sy = s0[j]! + s0[j + 1]! + h * d;
    let sty = s1[j]! + s1[j + 1]! + h * s0[j + 1]! + d * (sumT + h * h);
    let syy = s2[j]! + s2[j + 1]! + 2 * d * s0[j + 1]! + h * d * d;
    if (s % 2 === 1) {
      const v = y[j * h + 2 * h]! - origin;
      sy += v;
      sty += 2 * h * v;
      syy += v * v;
    }
    const c = sty - centre * sy;
    total += Math.max(0, syy - (sy * sy) / s - (c * c) / stt) / s;
    windows++;
  }
  return total / windows;
}
