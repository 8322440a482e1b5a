/**
 * A plain-JavaScript float64 reference of every architecture's forward pass and loss (SAELens's
 * definitions), written independently of the graphs under test, with central-difference gradients
 * and the straight-through JumpReLU threshold gradient in closed form.
 */
import type { Architecture } from '../src/index.js';

export interface RefParams {
  W_encT: Float64Array; // [dSae, dIn]
  b_enc: Float64Array;
  W_dec: Float64Array; // [dSae, dIn]
  b_dec: Float64Array;
  log_threshold?: Float64Array;
}

export interface RefSetup {
  arch: Architecture;
  dIn: number;
  dSae: number;
  k: number;
  widths: number[];
  x: Float64Array; // [n, dIn]
  n: number;
  l1: number;
  l0: number;
  bandwidth: number;
  /** SAELens's run-time normalisation of the input rows (sae_lens/saes/sae.py). */
  normalize?: 'constant_norm_rescale' | 'layer_norm';
  /** AuxK: dead mask, k_aux, scale, and the (detached) residual. */
  aux?: { dead: boolean[]; kAux: number; scale: number; residual?: Float64Array };
}

export interface RefOut {
  loss: number;
  mse: number;
  extra: number;
  acts: Float64Array; // [n, dSae]
  recon: Float64Array; // [n, dIn]
  pre: Float64Array;
}

function decode(acts: Float64Array, p: RefParams, n: number, dIn: number, dSae: number, upTo = dSae): Float64Array {
  const out = new Float64Array(n * dIn);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < dIn; i++) {
      let s = p.b_dec[i]!;
      for (let j = 0; j < upTo; j++) s += acts[r * dSae + j]! * p.W_dec[j * dIn + i]!;
      out[r * dIn + i] = s;
    }
  }
  return out;
}

function sse(a: Float64Array, b: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / n;
}

/** Indices of the `k` largest entries of `values`. */
function topIndices(values: readonly number[], k: number): number[] {
  return values.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).slice(0, k).map(([, i]) => i);
}

/**
 * The normalised rows of x and the map back: constant_norm_rescale scales row r by
 * c = √d / ‖x_r‖ and divides decoder outputs by c; layer_norm maps x_r to (x_r − μ) / (σ + 1e-5),
 * σ² = Σ(x − μ)² / (d − 1), and decoder outputs to x̂ · σ + μ.
 */
function normalizeRows(s: RefSetup): { xn: Float64Array; restore: (r: Float64Array) => Float64Array } {
  const { n, dIn, x } = s;
  if (s.normalize === undefined) return { xn: x, restore: (r) => r };
  const scale = new Float64Array(n);
  const shift = new Float64Array(n);
  const xn = new Float64Array(x.length);
  for (let r = 0; r < n; r++) {
    const row = x.slice(r * dIn, (r + 1) * dIn);
    if (s.normalize === 'constant_norm_rescale') {
      const c = Math.sqrt(dIn) / Math.hypot(...row);
      scale[r] = 1 / c;
      for (let i = 0; i < dIn; i++) xn[r * dIn + i] = row[i]! * c;
    } else {
      const mu = row.reduce((a, b) => a + b, 0) / dIn;
      const sigma = Math.sqrt(row.reduce((a, b) => a + (b - mu) ** 2, 0) / (dIn - 1));
      scale[r] = sigma;
      shift[r] = mu;
      for (let i = 0; i < dIn; i++) xn[r * dIn + i] = (row[i]! - mu) / (sigma + 1e-5);
    }
  }
  return { xn, restore: (out) => out.map((v, i) => v * scale[Math.floor(i / dIn)]! + shift[Math.floor(i / dIn)]!) };
}

export function refForward(s: RefSetup, p: RefParams): RefOut {
  const { n, dIn, dSae } = s;
  const { xn: x, restore } = normalizeRows(s);
  const pre = new Float64Array(n * dSae);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < dSae; j++) {
      let v = p.b_enc[j]!;
      for (let i = 0; i < dIn; i++) v += (x[r * dIn + i]! - p.b_dec[i]!) * p.W_encT[j * dIn + i]!;
      pre[r * dSae + j] = v;
    }
  }
  const acts = new Float64Array(n * dSae);
  let extra = 0;
  if (s.arch === 'standard') {
    for (let i = 0; i < pre.length; i++) acts[i] = Math.max(0, pre[i]!);
    const norms = Array.from({ length: dSae }, (_, j) => Math.hypot(...p.W_dec.slice(j * dIn, (j + 1) * dIn)));
    for (let r = 0; r < n; r++) for (let j = 0; j < dSae; j++) extra += (s.l1 * acts[r * dSae + j]! * norms[j]!) / n;
  } else if (s.arch === 'topk') {
    for (let r = 0; r < n; r++) {
      const row = Array.from(pre.slice(r * dSae, (r + 1) * dSae));
      for (const j of topIndices(row, s.k)) acts[r * dSae + j] = Math.max(0, row[j]!);
    }
  } else if (s.arch === 'jumprelu') {
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < dSae; j++) {
        const z = pre[r * dSae + j]!;
        const on = z > Math.exp(p.log_threshold![j]!) ? 1 : 0;
        acts[r * dSae + j] = z * on;
        extra += (s.l0 * on) / n;
      }
    }
  } else {
    const relu = Array.from(pre, (v) => Math.max(0, v));
    const threshold = [...relu].sort((a, b) => b - a)[s.k * n - 1]!;
    for (let i = 0; i < relu.length; i++) acts[i] = relu[i]! >= threshold && relu[i]! > 0 ? relu[i]! : 0;
  }
  const recon = restore(decode(acts, p, n, dIn, dSae));
  const mse = sse(recon, s.x, n);
  if (s.arch === 'matryoshka') {
    for (const w of s.widths.slice(0, -1)) extra += sse(restore(decode(acts, p, n, dIn, dSae, w)), s.x, n);
  }
  if (s.aux !== undefined) {
    const residual = s.aux.residual ?? Float64Array.from(s.x, (v, i) => v - recon[i]!);
    const auxActs = new Float64Array(n * dSae);
    for (let r = 0; r < n; r++) {
      const row = Array.from(pre.slice(r * dSae, (r + 1) * dSae), (v, j) => (s.aux!.dead[j] ? v : -Infinity));
      for (const j of topIndices(row, s.aux.kAux)) auxActs[r * dSae + j] = pre[r * dSae + j]!;
    }
    extra += s.aux.scale * sse(restore(decode(auxActs, p, n, dIn, dSae)), residual, n);
  }
  return { loss: mse + extra, mse, extra, acts, recon, pre };
}

/** Central-difference gradient of the loss with respect to every entry of `p[name]`. */
export function refGradient(s: RefSetup, p: RefParams, name: keyof RefParams, h = 1e-6): Float64Array {
  const target = p[name]!;
  const g = new Float64Array(target.length);
  for (let i = 0; i < target.length; i++) {
    const keep = target[i]!;
    target[i] = keep + h;
    const up = refForward(s, p).loss;
    target[i] = keep - h;
    const down = refForward(s, p).loss;
    target[i] = keep;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

/**
 * JumpReLU's threshold gradient by the straight-through estimators of Rajamanoharan et al. (2024)
 * as SAELens implements them, with respect to log θ: Σ_rows [−(θ/ε)·K·∂L/∂acts − (1/ε)·K·∂L/∂L0] · θ,
 * K = 1[|z − θ| < ε/2]; ∂L/∂acts is the reconstruction's gradient 2(x̂ − x)·W_decᵀ / n.
 */
export function refJumpReluThresholdGrad(s: RefSetup, p: RefParams): Float64Array {
  const { n, dIn, dSae } = s;
  const out = refForward(s, p);
  const g = new Float64Array(dSae);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < dSae; j++) {
      const theta = Math.exp(p.log_threshold![j]!);
      const z = out.pre[r * dSae + j]!;
      if (Math.abs(z - theta) >= s.bandwidth / 2) continue;
      let dActs = 0;
      for (let i = 0; i < dIn; i++) dActs += (2 * (out.recon[r * dIn + i]! - s.x[r * dIn + i]!) * p.W_dec[j * dIn + i]!) / n;
      g[j]! += (-(theta / s.bandwidth) * dActs - (1 / s.bandwidth) * (s.l0 / n)) * theta;
    }
  }
  return g;
}
