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
