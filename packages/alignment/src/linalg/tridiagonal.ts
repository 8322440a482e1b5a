/**
 * Blocked Householder reduction of a symmetric matrix to tridiagonal form (LAPACK's `dsytrd` with
 * `dlatrd` panels, lower variant): each panel of `b` columns runs on the host with one pass over
 * the trailing matrix per column (a symmetric matrix–vector product), and the trailing matrix is
 * then updated once by the rank-2b product on onnxruntime.
 */
import type { BackendOption } from '../backend.js';
import { subtractProduct } from './graphs.js';

/** `A = Q T Qᵀ` with `T` tridiagonal and `Q = H₀ H₁ ⋯ H_{n−2}`, `Hᵢ = I − τᵢ vᵢ vᵢᵀ`. @internal */
export interface Tridiagonal {
  readonly n: number;
  /** Diagonal of `T`. */
  readonly d: Float64Array;
  /** Subdiagonal of `T`: `e[i]` couples rows `i − 1` and `i`; `e[0] = 0`. */
  readonly e: Float64Array;
  /** Row-major `n × n`; row `i` holds `vᵢ` in columns `i + 1 …` (`vᵢ[i + 1] = 1`, zero before). */
  readonly reflectors: Float64Array;
  /** `τᵢ` of each reflector (the last one is always 0). */
  readonly tau: Float64Array;
}

/**
 * Reduces the symmetric `n × n` matrix `a` (row-major, both triangles filled; not modified) to
 * tridiagonal form, in panels of `block` columns.
 *
 * @example
 * ```ts
 * const { d, e } = await tridiagonalize(new Float64Array([2, 1, 1, 2]), 2, {}); // already tridiagonal: d = [2, 2], e = [0, 1]
 * ```
 * @internal
 */
export async function tridiagonalize(a: Float64Array, n: number, options: BackendOption, block = 32): Promise<Tridiagonal> {
  const w = a.slice(0, n * n);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const tau = new Float64Array(n);
  const vs = new Float64Array(block * n);
  const ws = new Float64Array(block * n);
  const y = new Float64Array(n);
  for (let i0 = 0; i0 < n; i0 += block) {
    const nb = Math.min(block, n - i0);
    vs.fill(0);
    ws.fill(0);
    for (let k = 0; k < nb; k++) panelStep(w, n, i0 + k, k, vs, ws, d, e, tau, y);
    const rest = i0 + nb;
    const m = n - rest;
    if (m > 0) await updateTrailing(w, n, rest, nb, vs, ws, options);
  }
  return { n, d, e, reflectors: w, tau };
}

/**
 * Column `i` of the panel (its `k`-th): brings row `i` up to date with the panel's earlier
 * reflectors, reads off `d[i]`, generates reflector `i` from the rest of the row, and stores it in
 * `vs` row `k` with its `w = τ(A − VWᵀ − WVᵀ)v − ½τ²(vᵀ(…)v) v` in `ws` row `k`.
 */
function panelStep(a: Float64Array, n: number, i: number, k: number, vs: Float64Array, ws: Float64Array, d: Float64Array, e: Float64Array, tau: Float64Array, y: Float64Array): void {
  const row = i * n;
  for (let t = 0; t < k; t++) {
    const vt = t * n;
    const fw = ws[vt + i]!;
    const fv = vs[vt + i]!;
    for (let j = i; j < n; j++) a[row + j] = a[row + j]! - (vs[vt + j]! * fw + ws[vt + j]! * fv);
  }
  d[i] = a[row + i]!;
  if (i === n - 1) return;
  const alpha = a[row + i + 1]!;
  const xnorm = norm(a, row + i + 2, row + n);
  const vk = k * n;
  if (xnorm === 0) {
    // Nothing to annihilate: Hᵢ = I, stored as vᵢ = e_{i+1} with τᵢ = 0.
    e[i + 1] = alpha;
    a[row + i + 1] = 1;
    vs[vk + i + 1] = 1;
    return;
  }
  const beta = -(alpha >= 0 ? 1 : -1) * Math.hypot(alpha, xnorm);
  const t = (beta - alpha) / beta;
  const scale = 1 / (alpha - beta);
  e[i + 1] = beta;
  tau[i] = t;
  a[row + i + 1] = 1;
  for (let j = i + 2; j < n; j++) a[row + j] = a[row + j]! * scale;
  vs.set(a.subarray(row + i + 1, row + n), vk + i + 1);
  const v = vs.subarray(vk, vk + n);
  symmetricProduct(a, n, i + 1, v, y);
  for (let s = 0; s < k; s++) {
    const st = s * n;
    let wv = 0;
    let vv = 0;
    for (let j = i + 1; j < n; j++) {
      wv += ws[st + j]! * v[j]!;
      vv += vs[st + j]! * v[j]!;
    }
    for (let j = i + 1; j < n; j++) y[j] = y[j]! - (vs[st + j]! * wv + ws[st + j]! * vv);
  }
  let yv = 0;
  for (let j = i + 1; j < n; j++) {
    y[j] = t * y[j]!;
    yv += y[j]! * v[j]!;
  }
  const shift = -0.5 * t * yv;
  for (let j = i + 1; j < n; j++) ws[vk + j] = y[j]! + shift * v[j]!;
}

/**
 * `y = A v` on rows and columns `from …` of the symmetric row-major `n × n` matrix `a`, reading
 * only its lower triangle: each row below the diagonal gives a dot product (into `y[r]`) and an
 * axpy (into `y[from:r]`) in one pass, four rows at a time to share the loads of `v` and `y`.
 */
function symmetricProduct(a: Float64Array, n: number, from: number, v: Float64Array, y: Float64Array): void {
  y.fill(0, from, n);
  let r = from;
  for (; r < from + ((n - from) % 4); r++) {
    const row = r * n;
    const vr = v[r]!;
    let s = 0;
    for (let c = from; c < r; c++) {
      const x = a[row + c]!;
      s += x * v[c]!;
      y[c] = y[c]! + x * vr;
    }
    y[r] = s + a[row + r]! * vr;
  }
  for (; r < n; r += 4) {
    const r0 = r * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    const v0 = v[r]!;
    const v1 = v[r + 1]!;
    const v2 = v[r + 2]!;
    const v3 = v[r + 3]!;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let c = from; c < r; c++) {
      const x = v[c]!;
      const a0 = a[r0 + c]!;
      const a1 = a[r1 + c]!;
      const a2 = a[r2 + c]!;
      const a3 = a[r3 + c]!;
      s0 += a0 * x;
      s1 += a1 * x;
      s2 += a2 * x;
      s3 += a3 * x;
      y[c] = y[c]! + (a0 * v0 + a1 * v1) + (a2 * v2 + a3 * v3);
    }
    // The 4 × 4 diagonal block, from its lower triangle.
    const a10 = a[r1 + r]!;
    const a20 = a[r2 + r]!;
    const a21 = a[r2 + r + 1]!;
    const a30 = a[r3 + r]!;
    const a31 = a[r3 + r + 1]!;
    const a32 = a[r3 + r + 2]!;
    y[r] = s0 + a[r0 + r]! * v0 + a10 * v1 + a20 * v2 + a30 * v3;
    y[r + 1] = s1 + a10 * v0 + a[r1 + r + 1]! * v1 + a21 * v2 + a31 * v3;
    y[r + 2] = s2 + a20 * v0 + a21 * v1 + a[r2 + r + 2]! * v2 + a32 * v3;
    y[r + 3] = s3 + a30 * v0 + a31 * v1 + a32 * v2 + a[r3 + r + 3]! * v3;
  }
}

/** `‖a[from:to]‖₂`, scaled so that neither overflow nor underflow spoils it. */
function norm(a: Float64Array, from: number, to: number): number {
  let largest = 0;
  for (let j = from; j < to; j++) largest = Math.max(largest, Math.abs(a[j]!));
  if (largest === 0 || !Number.isFinite(largest)) return largest;
  let s = 0;
  for (let j = from; j < to; j++) {
    const x = a[j]! / largest;
    s += x * x;
  }
  return largest * Math.sqrt(s);
}

/** `A₂₂ ← A₂₂ − V Wᵀ − W Vᵀ` on the trailing `m × m` block from row and column `rest`, on onnxruntime. */
async function updateTrailing(a: Float64Array, n: number, rest: number, nb: number, vs: Float64Array, ws: Float64Array, options: BackendOption): Promise<void> {
  const m = n - rest;
  const k = 2 * nb;
  const x = new Float64Array(m * k);
  const y = new Float64Array(m * k);
  for (let r = 0; r < m; r++) {
    for (let t = 0; t < nb; t++) {
      const v = vs[t * n + rest + r]!;
      const w = ws[t * n + rest + r]!;
      x[r * k + t] = v;
      x[r * k + nb + t] = w;
      y[r * k + t] = w;
      y[r * k + nb + t] = v;
    }
  }
  const trailing = new Float64Array(m * m);
  for (let r = 0; r < m; r++) trailing.set(a.subarray((rest + r) * n + rest, (rest + r + 1) * n), r * m);
  const updated = await subtractProduct(trailing, x, y, m, m, k, options);
  for (let r = 0; r < m; r++) a.set(updated.subarray(r * m, (r + 1) * m), (rest + r) * n + rest);
}
