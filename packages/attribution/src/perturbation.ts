/**
 * Perturbation methods: feature ablation, occlusion (Captum's `FeatureAblation`, `Occlusion`)
 * and Kernel SHAP (Captum's `KernelShap`).
 */
import { seededRandom, type HookedModel, type Tensor } from '@mechint/core';
import type { Attributions } from './gradient.js';
import { featureGroups } from './features.js';
import {
  checkBatching,
  checkInputs,
  dataOf,
  expandedValues,
  itemSize,
  outputOf,
  ensure,
  resolveBaselines,
  resolveTarget,
  shapedLike,
  type AttributionOptions,
  type Baseline,
  type BatchingOptions,
  type Inputs,
} from './internal.js';

/** Options of {@link featureAblation}. */
export interface FeatureAblationOptions extends AttributionOptions, BatchingOptions {
  /** Replacement values by input name, or one for all (default 0, as Captum). */
  baselines?: Readonly<Record<string, Baseline>> | Baseline;
  /** Integer feature ids per element, shared by all items (default: each element alone, as Captum). */
  featureMask?: Readonly<Record<string, Tensor>>;
}

/**
 * Evaluates, for every item, the target with each of `patterns` applied: pattern `p` replaces
 * element k of input `name` by the baseline where `off(p, name, k)`; row 0 of each item is the
 * unperturbed input. Returns values indexed `[pattern + 1][item]` (pattern −1 = original).
 */
async function perturbedValues(
  model: HookedModel,
  inputs: Inputs,
  options: AttributionOptions & BatchingOptions & { baselines?: Readonly<Record<string, Baseline>> | Baseline | undefined },
  patterns: number,
  off: (p: number, name: string, k: number) => boolean,
): Promise<{ values: Float32Array; batch: number; names: string[] }> {
  const { names, batch } = checkInputs(model, inputs);
  checkBatching(options);
  const baselines = resolveBaselines(inputs, names, options.baselines);
  const output = outputOf(model, options.output);
  const seeds = await resolveTarget(model, output, inputs, batch, options.target);
  const values = await expandedValues(model, inputs, names, batch, seeds, {
    rows: (patterns + 1) * batch,
    itemOf: (r) => r % batch,
    fill: (name, r, dst) => {
      const size = itemSize(inputs[name]!);
      const b = r % batch;
      const p = Math.floor(r / batch) - 1;
      const x = dataOf(inputs[name]!);
      const base = baselines[name]!;
      for (let k = 0; k < size; k++) dst[k] = p >= 0 && off(p, name, k) ? base[b * size + k]! : x[b * size + k]!;
    },
  }, { ...options, output });
  return { values, batch, names };
}

/**
 * Feature ablation (Captum's `FeatureAblation`): each feature group's attribution is
 * `f(x) − f(x with the group set to its baseline)`, given to every element of the group. All
 * ablations run in batched calls.
 *
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { featureAblation } from '@mechint/attribution';
 * const model = await HookedModel.load('packages/core/test/fixtures/cnn.onnx');
 * const images = Tensor.from(new Float32Array(64).fill(0.5), [1, 1, 8, 8]);
 * const quadrants = Tensor.from(Array.from({ length: 64 }, (_, i) => Math.floor(i / 32) * 2 + Math.floor((i % 8) / 4)), [1, 1, 8, 8]);
 * const { attributions } = await featureAblation(model, { images }, { target: [0], featureMask: { images: quadrants } });
 * console.log(attributions['images']!.shape); // [1, 1, 8, 8]
 * ```
 */
export async function featureAblation(model: HookedModel, inputs: Inputs, options: FeatureAblationOptions): Promise<Attributions> {
  const { names } = checkInputs(model, inputs);
  const groups = featureGroups(inputs, names, options.featureMask);
  const { values, batch } = await perturbedValues(model, inputs, options, groups.count, (p, name, k) => groups.ids[name]![k] === p);
  return {
    attributions: Object.fromEntries(
      names.map((name) => {
        const size = itemSize(inputs[name]!);
        const ids = groups.ids[name]!;
        return [name, shapedLike(Float32Array.from({ length: batch * size }, (_, i) => values[Math.floor(i / size)]! - values[(ids[i % size]! + 1) * batch + Math.floor(i / size)]!), inputs[name]!)];
      }),
    ),
  };
}

/** Options of {@link occlusion}. */
export interface OcclusionOptions extends AttributionOptions, BatchingOptions {
  /** Window shape over each input's item dims, e.g. `[1, 3, 3]` for `[channels, h, w]` (required, as Captum). */
  slidingWindowShapes: Readonly<Record<string, readonly number[]>>;
  /** Window steps per item dim (default 1 along every dim, as Captum). */
  strides?: Readonly<Record<string, readonly number[]>>;
  /** Values the window is replaced by (default 0, as Captum). */
  baselines?: Readonly<Record<string, Baseline>> | Baseline;
}

/**
 * Occlusion (Zeiler & Fergus, 2014; Captum's `Occlusion`): slides a window over each input,
 * replaces it by the baseline, and gives every element the mean of `f(x) − f(occluded)` over the
 * windows that covered it. Windows fit inside the input (Captum's shift counts).
 *
 * @see https://arxiv.org/abs/1311.2901
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { occlusion } from '@mechint/attribution';
 * const model = await HookedModel.load('packages/core/test/fixtures/cnn.onnx');
 * const images = Tensor.from(new Float32Array(64).fill(0.5), [1, 1, 8, 8]);
 * const { attributions } = await occlusion(model, { images }, { target: [0], slidingWindowShapes: { images: [1, 2, 2] }, strides: { images: [1, 2, 2] } });
 * console.log(attributions['images']!.shape); // [1, 1, 8, 8]
 * ```
 */
export async function occlusion(model: HookedModel, inputs: Inputs, options: OcclusionOptions): Promise<Attributions> {
  const { names } = checkInputs(model, inputs);
  const windows: { name: string; start: number[]; shape: readonly number[] }[] = [];
  for (const name of names) {
    const item = inputs[name]!.shape.slice(1);
    const shape = options.slidingWindowShapes[name];
    ensure(shape !== undefined && shape.length === item.length && shape.every((w, i) => Number.isInteger(w) && w >= 1 && w <= item[i]!), `slidingWindowShapes['${name}'] must give one window size in [1, dim] per item dim [${item.join(', ')}]; got ${JSON.stringify(shape)}.`);
    const strides = options.strides?.[name] ?? item.map(() => 1);
    ensure(strides.length === item.length && strides.every((s) => Number.isInteger(s) && s >= 1), `strides['${name}'] must give one positive step per item dim; got ${JSON.stringify(strides)}.`);
    const counts = item.map((d, i) => Math.floor((d - shape[i]!) / strides[i]!) + 1);
    const total = counts.reduce((a, b) => a * b, 1);
    for (let w = 0; w < total; w++) {
      let rest = w;
      const start = new Array<number>(item.length);
      for (let a = item.length - 1; a >= 0; a--) {
        start[a] = (rest % counts[a]!) * strides[a]!;
        rest = Math.floor(rest / counts[a]!);
      }
      windows.push({ name, start, shape });
    }
  }
  const coords = (name: string, k: number): number[] => {
    const item = inputs[name]!.shape.slice(1);
    const c = new Array<number>(item.length);
    for (let a = item.length - 1; a >= 0; a--) {
      c[a] = k % item[a]!;
      k = Math.floor(k / item[a]!);
    }
    return c;
  };
  const inside = (w: (typeof windows)[number], name: string, k: number) => w.name === name && coords(name, k).every((c, a) => c >= w.start[a]! && c < w.start[a]! + w.shape[a]!);
  const { values, batch } = await perturbedValues(model, inputs, options, windows.length, (p, name, k) => inside(windows[p]!, name, k));
  return {
    attributions: Object.fromEntries(
      names.map((name) => {
        const size = itemSize(inputs[name]!);
        const out = new Float32Array(batch * size);
        for (let k = 0; k < size; k++) {
          const covering = windows.flatMap((w, p) => (inside(w, name, k) ? [p] : []));
          for (let b = 0; b < batch; b++) {
            let sum = 0;
            for (const p of covering) sum += values[b]! - values[(p + 1) * batch + b]!;
            out[b * size + k] = covering.length > 0 ? sum / covering.length : 0;
          }
        }
        return [name, shapedLike(out, inputs[name]!)];
      }),
    ),
  };
}

/** Options of {@link kernelShap}. */
export interface KernelShapOptions extends FeatureAblationOptions {
  /**
   * Coalitions evaluated per item (default 25, as Captum). When 2^features fits in it, every
   * coalition is evaluated with the Shapley kernel weights and the result is exact; otherwise the
   * full and empty coalitions plus samples drawn from the Shapley kernel, as Captum.
   */
  nSamples?: number;
  /** Seed of the coalition sampler (default 0). */
  seed?: number;
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** Weighted least squares with intercept: coefficients of `rows` (0/1 coalitions) fitting `y`. */
function weightedLeastSquares(rows: readonly Uint8Array[], y: readonly number[], w: readonly number[], m: number): number[] {
  const n = m + 1;
  const a = Array.from({ length: n }, () => new Float64Array(n + 1));
  rows.forEach((z, s) => {
    const v = [1, ...Array.from(z)];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) a[i]![j] = a[i]![j]! + w[s]! * v[i]! * v[j]!;
      a[i]![n] = a[i]![n]! + w[s]! * v[i]! * y[s]!;
    }
  });
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[pivot]![c]!)) pivot = r;
    [a[c], a[pivot]] = [a[pivot]!, a[c]!];
    const d = a[c]![c]!;
    if (Math.abs(d) < 1e-12) continue;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r]![c]! / d;
      for (let j = c; j <= n; j++) a[r]![j] = a[r]![j]! - f * a[c]![j]!;
    }
  }
  return Array.from({ length: m }, (_, j) => (Math.abs(a[j + 1]![j + 1]!) < 1e-12 ? 0 : a[j + 1]![n]! / a[j + 1]![j + 1]!));
}

/**
 * Kernel SHAP (Lundberg & Lee, 2017; Captum's `KernelShap`): a weighted linear regression of the
 * target over feature coalitions (features present keep the input, absent ones take the baseline),
 * whose coefficients estimate the Shapley values. Captum's sampler (full and empty coalitions with
 * weight 10⁶, then sizes drawn ∝ (M − 1) / (k(M − k))) and linear regression with intercept; exact
 * enumeration when the budget covers every coalition. All coalitions of all items run batched.
 *
 * @see https://arxiv.org/abs/1705.07874
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { kernelShap } from '@mechint/attribution';
 * const model = await HookedModel.load('packages/core/test/fixtures/cnn.onnx');
 * const images = Tensor.from(new Float32Array(64).fill(0.5), [1, 1, 8, 8]);
 * const quadrants = Tensor.from(Array.from({ length: 64 }, (_, i) => Math.floor(i / 32) * 2 + Math.floor((i % 8) / 4)), [1, 1, 8, 8]);
 * const { attributions } = await kernelShap(model, { images }, { target: [0], featureMask: { images: quadrants }, nSamples: 16 });
 * console.log(attributions['images']!.shape); // [1, 1, 8, 8]
 * ```
 */
export async function kernelShap(model: HookedModel, inputs: Inputs, options: KernelShapOptions): Promise<Attributions> {
  const { names } = checkInputs(model, inputs);
  const nSamples = options.nSamples ?? 25;
  ensure(Number.isInteger(nSamples) && nSamples >= 2, `nSamples must be an integer ≥ 2; got ${nSamples}.`);
  const groups = featureGroups(inputs, names, options.featureMask);
  const m = groups.count;
  const coalitions: Uint8Array[] = [];
  const weights: number[] = [];
  if (m < 30 && 2 ** m <= nSamples) {
    for (let c = 0; c < 2 ** m; c++) {
      const z = Uint8Array.from({ length: m }, (_, j) => (c >> j) & 1);
      const k = z.reduce((s, v) => s + v, 0);
      coalitions.push(z);
      weights.push(k === 0 || k === m ? 1e6 : (m - 1) / (binomial(m, k) * k * (m - k)));
    }
  } else {
    const random = seededRandom(options.seed ?? 0);
    const sizes = Array.from({ length: m - 1 }, (_, i) => i + 1);
    const probs = sizes.map((k) => (m - 1) / (k * (m - k)));
    const total = probs.reduce((a, b) => a + b, 0);
    coalitions.push(new Uint8Array(m).fill(1), new Uint8Array(m));
    weights.push(1e6, 1e6);
    while (coalitions.length < nSamples) {
      let u = random() * total;
      let k = sizes[sizes.length - 1]!;
      for (let i = 0; i < sizes.length; i++) if ((u -= probs[i]!) <= 0) { k = sizes[i]!; break; }
      const order = Array.from({ length: m }, (_, i) => i);
      for (let i = m - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const z = new Uint8Array(m);
      for (let i = 0; i < k; i++) z[order[i]!] = 1;
      coalitions.push(z);
      weights.push(1);
    }
  }
  const { values, batch } = await perturbedValues(model, inputs, options, coalitions.length, (p, name, k) => coalitions[p]![groups.ids[name]![k]!] === 0);
  const phi = Array.from({ length: batch }, (_, b) => weightedLeastSquares(coalitions, coalitions.map((_, p) => values[(p + 1) * batch + b]!), weights, m));
  return {
    attributions: Object.fromEntries(
      names.map((name) => {
        const size = itemSize(inputs[name]!);
        return [name, shapedLike(Float32Array.from({ length: batch * size }, (_, i) => phi[Math.floor(i / size)]![groups.ids[name]![i % size]!]!), inputs[name]!)];
      }),
    ),
  };
}
