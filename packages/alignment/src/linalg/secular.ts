/**
 * The eigenproblem of a diagonal matrix plus a rank-one term, `D + ρ z zᵀ` (`ρ > 0`, poles `D`
 * strictly increasing, no zero weight): roots of the secular equation by a safeguarded rational
 * (two-pole) model, and eigenvectors by Gu and Eisenstat's recomputed weights, which keeps them
 * numerically orthogonal however close the roots are.
 */

/** Roots and eigenvectors of `D + ρ z zᵀ`. @internal */
export interface RankOneEigen {
  /** The `k` eigenvalues, ascending (`values[i]` lies between poles `i` and `i + 1`). */
  readonly values: Float64Array;
  /** Row-major `k × k`: column `i` is the unit eigenvector of `values[i]`. */
  readonly vectors: Float64Array;
}

const EPS = 2 ** -52;

/**
 * Solves `D + ρ z zᵀ` for poles `poles` (strictly increasing), weights `z` (`‖z‖` need not be 1)
 * and `rho > 0`.
 *
 * @see Gu & Eisenstat (1994), A stable and efficient algorithm for the rank-one modification of
 * the symmetric eigenproblem; Li (1993), Solving secular equations stably and efficiently.
 * @example
 * ```ts
 * rankOneEigen(new Float64Array([0, 1]), new Float64Array([Math.SQRT1_2, Math.SQRT1_2]), 1);
 * // values ≈ [0.382, 2.618] (eigenvalues of [[0.5, 0.5], [0.5, 1.5]])
 * ```
 * @internal
 */
export function rankOneEigen(poles: Float64Array, z: Float64Array, rho: number): RankOneEigen {
  const k = poles.length;
  let weight = 0;
  for (let j = 0; j < k; j++) weight += z[j]! * z[j]!;
  const z2 = new Float64Array(k);
  for (let j = 0; j < k; j++) z2[j] = z[j]! * z[j]!;
  const values = new Float64Array(k);
  // delta[i * k + j] = poles[j] − values[i], computed from the root's nearer pole.
  const delta = new Float64Array(k * k);
  const shifted = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let origin = i;
    let lo: number;
    let hi: number;
    if (i < k - 1) {
      const half = (poles[i + 1]! - poles[i]!) / 2;
      let w = 1 / rho;
      for (let j = 0; j < k; j++) w += z2[j]! / (poles[j]! - poles[i]! - half);
      if (w >= 0) {
        lo = 0;
        hi = half;
      } else {
        origin = i + 1;
        lo = poles[i]! - poles[i + 1]! + half;
        hi = 0;
      }
    } else {
      lo = 0;
      hi = rho * weight;
    }
    const base = poles[origin]!;
    for (let j = 0; j < k; j++) shifted[j] = poles[j]! - base;
    const tau = secularRoot(shifted, z2, rho, i, origin, lo, hi);
    values[i] = base + tau;
    const row = i * k;
    for (let j = 0; j < k; j++) delta[row + j] = shifted[j]! - tau;
  }
  // Gu–Eisenstat: the weights ẑ for which the computed roots are exact, ẑⱼ² = −Πᵢ (dⱼ − λᵢ) / Π_{i≠j} (dⱼ − dᵢ).
  const zHat = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let w = -delta[j * k + j]!;
    for (let i = 0; i < k; i++) if (i !== j) w *= delta[i * k + j]! / (poles[j]! - poles[i]!);
    zHat[j] = (z[j]! >= 0 ? 1 : -1) * Math.sqrt(Math.max(w, 0));
  }
  const vectors = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    const row = i * k;
    let norm = 0;
    for (let j = 0; j < k; j++) {
      const u = zHat[j]! / delta[row + j]!;
      delta[row + j] = u;
      norm += u * u;
    }
    const scale = 1 / Math.sqrt(norm);
    for (let j = 0; j < k; j++) vectors[j * k + i] = delta[row + j]! * scale;
  }
  return { values, vectors };
}

/**
 * The root `τ` in `(lo, hi)` of `1/ρ + Σⱼ zⱼ² / (sⱼ − τ)` (poles `s` shifted so that pole `origin`
 * is 0; root `i` lies between poles `i` and `i + 1`). Each step fits `a/(sₙ − x) + b/(s_f − x) + c`
 * to the poles left and right of the root at the current point (value and slope of each side)
 * and takes the model's root in the bracket; a step outside the bracket bisects instead.
 */
function secularRoot(s: Float64Array, z2: Float64Array, rho: number, i: number, origin: number, lo: number, hi: number): number {
  const k = s.length;
  const last = i === k - 1;
  let tau = (lo + hi) / 2;
  for (let iteration = 0; iteration < 200; iteration++) {
    let psi = 0;
    let dpsi = 0;
    let absolute = 0;
    for (let j = 0; j <= i; j++) {
      const r = 1 / (s[j]! - tau);
      const t = z2[j]! * r;
      psi += t;
      dpsi += t * r;
      absolute -= t;
    }
    let phi = 0;
    let dphi = 0;
    for (let j = i + 1; j < k; j++) {
      const r = 1 / (s[j]! - tau);
      const t = z2[j]! * r;
      phi += t;
      dphi += t * r;
      absolute += t;
    }
    const w = 1 / rho + psi + phi;
    if (w === 0) return tau;
    if (w < 0) lo = tau;
    else hi = tau;
    if (Math.abs(w) <= EPS * (8 * (1 / rho + absolute) + Math.abs(tau) * (dpsi + dphi))) return tau;
    if (hi - lo <= 2 * EPS * Math.max(Math.abs(lo), Math.abs(hi))) return (lo + hi) / 2;
    // Left side modelled by a pole at s[i], right side by a pole at s[i + 1].
    const left = s[i]! - tau;
    const a = dpsi * left * left;
    const c0 = 1 / rho + (psi - dpsi * left);
    let next: number;
    if (last) {
      next = c0 > 0 ? s[i]! + a / c0 : NaN;
    } else {
      const right = s[i + 1]! - tau;
      const b = dphi * right * right;
      const c = c0 + (phi - dphi * right);
      next = origin === i ? s[i]! + modelRoot(c, a, b, s[i + 1]! - s[i]!) : s[i + 1]! - modelRoot(-c, b, a, s[i + 1]! - s[i]!);
    }
    tau = next > lo && next < hi ? next : (lo + hi) / 2;
  }
  return tau;
}

/**
 * The root in `(0, gap)` of `c + near/(0 − x) + far/(gap − x)` (`near, far ≥ 0`, `gap > 0`), i.e.
 * of `c x² − (c·gap + near + far) x + near·gap`, in the form without cancellation.
 */
function modelRoot(c: number, near: number, far: number, gap: number): number {
  const b = c * gap + near + far;
  const disc = Math.max(b * b - 4 * c * near * gap, 0);
  return (2 * near * gap) / (b + Math.sqrt(disc));
}
