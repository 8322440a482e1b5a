/**
 * Sampling methods over gradients: SmoothGrad / noise tunnel (Captum's `NoiseTunnel`) and
 * GradientSHAP (Captum's `GradientShap`).
 */
import { seededNormal, seededRandom, type HookedModel, type Tensor } from '@mechint/core';
import type { Attributions } from './gradient.js';
import { baselineDistribution } from './deeplift.js';
import { checkBatching, checkInputs, dataOf, expandedGradients, itemSize, outputOf, ensure, resolveTarget, shapedLike, type AttributionOptions, type BatchingOptions, type Inputs } from './internal.js';

/** Captum's noise tunnel types. */
export type NoiseTunnelType = 'smoothgrad' | 'smoothgrad_sq' | 'vargrad';

/** Options of {@link smoothGrad}. */
export interface SmoothGradOptions extends AttributionOptions, BatchingOptions {
  /** The attribution under the tunnel: `'saliency'` (default) or `'inputXGradient'`. */
  method?: 'saliency' | 'inputXGradient';
  /** |gradient| for saliency (default `true`, as Captum's `Saliency`). */
  abs?: boolean;
  /** How samples combine (default `'smoothgrad'`, as Captum's `nt_type`). */
  ntType?: NoiseTunnelType;
  /** Noisy samples per item (default 5, as Captum's `nt_samples`). */
  nSamples?: number;
  /** Standard deviation of the Gaussian noise (default 1.0, as Captum's `stdevs`). */
  stdevs?: number;
  /** Seed of the noise (default 0). */
  seed?: number;
}

/**
 * SmoothGrad (Smilkov et al., 2017) as Captum's `NoiseTunnel`: the attribution of `nSamples`
 * copies of each input with Gaussian noise, combined by mean (`smoothgrad`), mean of squares
 * (`smoothgrad_sq`) or variance (`vargrad`). All samples run batched.
 *
 * @see https://arxiv.org/abs/1706.03825
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { smoothGrad } from '@mechint/attribution';
 * const model = await HookedModel.load('packages/core/test/fixtures/cnn.onnx');
 * const images = Tensor.from(new Float32Array(64).fill(0.5), [1, 1, 8, 8]);
 * const { attributions } = await smoothGrad(model, { images }, { target: [0], nSamples: 10, stdevs: 0.1 });
 * console.log(attributions['images']!.shape); // [1, 1, 8, 8]
 * ```
 */
export async function smoothGrad(model: HookedModel, inputs: Inputs, options: SmoothGradOptions): Promise<Attributions> {
  const { names, batch } = checkInputs(model, inputs);
  checkBatching(options);
  const { nSamples, stdevs } = sampling(options, 1.0);
  const output = outputOf(model, options.output);
  const seeds = await resolveTarget(model, output, inputs, batch, options.target);
  const normal = seededNormal(options.seed ?? 0);
  const noisy = noisyCopies(inputs, names, nSamples, stdevs, normal);
  const { grads } = await expandedGradients(model, inputs, names, batch, seeds, {
    rows: nSamples * batch,
    itemOf: (r) => r % batch,
    fill: (name, r, dst) => dst.set(noisy[name]!.subarray(r * itemSize(inputs[name]!), (r + 1) * itemSize(inputs[name]!))),
  }, { ...options, output });
  const type = options.ntType ?? 'smoothgrad';
  const method = options.method ?? 'saliency';
  const abs = options.abs ?? true;
  return {
    attributions: Object.fromEntries(
      names.map((name) => {
        const total = dataOf(inputs[name]!).length;
        const mean = new Float64Array(total);
        const square = new Float64Array(total);
        for (let s = 0; s < nSamples; s++) {
          for (let i = 0; i < total; i++) {
            const g = grads[name]![s * total + i]!;
            const a = method === 'saliency' ? (abs ? Math.abs(g) : g) : g * noisy[name]![s * total + i]!;
            mean[i] = mean[i]! + a / nSamples;
            square[i] = square[i]! + (a * a) / nSamples;
          }
        }
        const out = type === 'smoothgrad' ? mean : type === 'smoothgrad_sq' ? square : square.map((v, i) => v - mean[i]! * mean[i]!);
        return [name, shapedLike(Float32Array.from(out), inputs[name]!)];
      }),
    ),
  };
}

/** Options of {@link gradientShap}. */
export interface GradientShapOptions extends AttributionOptions, BatchingOptions {
  /** A distribution of baselines per input, `[K, ...item shape]` (required, as Captum). */
  baselines: Readonly<Record<string, Tensor>>;
  /** Samples per item (default 5, as Captum's `n_samples`). */
  nSamples?: number;
  /** Standard deviation of the Gaussian noise added to the inputs (default 0, as Captum). */
  stdevs?: number;
  /** Seed of the baseline, α and noise draws (default 0). */
  seed?: number;
}

/**
 * GradientSHAP (Lundberg & Lee, 2017; Captum's `GradientShap`): the expected gradient at
 * `x′ + α(x̃ − x′)` times `(x̃ − x′)`, with `x′` drawn from the baselines, `α ~ U(0, 1)` and `x̃` the
 * input with Gaussian noise of `stdevs`; the mean over `nSamples` draws, all batched.
 *
 * @see https://arxiv.org/abs/1705.07874
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { gradientShap } from '@mechint/attribution';
 * const model = await HookedModel.load('packages/core/test/fixtures/cnn.onnx');
 * const images = Tensor.from(new Float32Array(64).fill(0.5), [1, 1, 8, 8]);
 * const { attributions } = await gradientShap(model, { images }, { target: [0], baselines: { images: Tensor.zeros([2, 1, 8, 8]) }, nSamples: 20 });
 * console.log(attributions['images']!.shape); // [1, 1, 8, 8]
 * ```
 */
export async function gradientShap(model: HookedModel, inputs: Inputs, options: GradientShapOptions): Promise<Attributions> {
  const { names, batch } = checkInputs(model, inputs);
  checkBatching(options);
  const { nSamples, stdevs } = sampling(options, 0);
  const { refs, count } = baselineDistribution(inputs, names, options.baselines);
  const output = outputOf(model, options.output);
  const seeds = await resolveTarget(model, output, inputs, batch, options.target);
  const random = seededRandom(options.seed ?? 0);
  const normal = seededNormal((options.seed ?? 0) + 1);
  const rows = nSamples * batch;
  const pick = Int32Array.from({ length: rows }, () => Math.min(count - 1, Math.floor(random() * count)));
  const alpha = Float32Array.from({ length: rows }, () => random());
  const noisy = noisyCopies(inputs, names, nSamples, stdevs, normal);
  const diff = (name: string, r: number, k: number) => {
    const size = itemSize(inputs[name]!);
    return noisy[name]![r * size + k]! - refs[name]![pick[r]! * size + k]!;
  };
  const { grads } = await expandedGradients(model, inputs, names, batch, seeds, {
    rows,
    itemOf: (r) => r % batch,
    fill: (name, r, dst) => {
      const size = itemSize(inputs[name]!);
      for (let k = 0; k < size; k++) dst[k] = refs[name]![pick[r]! * size + k]! + alpha[r]! * diff(name, r, k);
    },
  }, { ...options, output });
  return {
    attributions: Object.fromEntries(
      names.map((name) => {
        const size = itemSize(inputs[name]!);
        const out = new Float32Array(batch * size);
        for (let r = 0; r < rows; r++) for (let k = 0; k < size; k++) out[(r % batch) * size + k] = out[(r % batch) * size + k]! + (grads[name]![r * size + k]! * diff(name, r, k)) / nSamples;
        return [name, shapedLike(out, inputs[name]!)];
      }),
    ),
  };
}

/** The sample count (default 5) and noise level (default `defaultStdevs`) of a sampling method, checked. */
function sampling(options: { nSamples?: number; stdevs?: number }, defaultStdevs: number): { nSamples: number; stdevs: number } {
  const nSamples = options.nSamples ?? 5;
  const stdevs = options.stdevs ?? defaultStdevs;
  ensure(Number.isInteger(nSamples) && nSamples >= 1, `nSamples must be an integer ≥ 1; got ${nSamples}.`);
  ensure(Number.isFinite(stdevs) && stdevs >= 0, `stdevs must be ≥ 0; got ${stdevs}.`);
  return { nSamples, stdevs };
}

/** `copies` stacked copies of every input, each value plus Gaussian noise of standard deviation `stdevs` (none drawn at 0). */
function noisyCopies(inputs: Inputs, names: readonly string[], copies: number, stdevs: number, normal: () => number): Record<string, Float32Array> {
  return Object.fromEntries(
    names.map((name) => {
      const x = dataOf(inputs[name]!);
      return [name, Float32Array.from({ length: copies * x.length }, (_, i) => x[i % x.length]! + (stdevs > 0 ? stdevs * normal() : 0))];
    }),
  );
}
