/**
 * Integrated gradients (Captum's `IntegratedGradients`), with Captum's approximation methods.
 */
import type { HookedModel, Tensor } from '@mechint/core';
import type { Attributions } from './gradient.js';
import {
  checkBatching,
  checkInputs,
  dataOf,
  expandedGradients,
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

/** Captum's approximation methods of the path integral. */
export type IntegrationMethod = 'riemann_left' | 'riemann_right' | 'riemann_middle' | 'riemann_trapezoid' | 'gausslegendre';

/**
 * Nodes in [0, 1] and their weights, exactly as Captum's `approximation_parameters`
 * (Gauss–Legendre: numpy's `leggauss` nodes mapped to [0, 1], weights halved).
 *
 * @example
 * ```ts
 * import { approximation } from '@mechint/attribution';
 * console.log(approximation('riemann_trapezoid', 3)); // {"alphas":[0,0.5,1],"weights":[0.25,0.5,0.25]}
 * ```
 */
export function approximation(method: IntegrationMethod, nSteps: number): { alphas: number[]; weights: number[] } {
  ensure(Number.isInteger(nSteps) && nSteps >= 1, `nSteps must be an integer ≥ 1; got ${nSteps}.`);
  const n = nSteps;
  const lin = (a: number, b: number) => Array.from({ length: n }, (_, i) => (n === 1 ? a : a + ((b - a) * i) / (n - 1)));
  switch (method) {
    case 'riemann_left':
      return { alphas: lin(0, 1 - 1 / n), weights: new Array<number>(n).fill(1 / n) };
    case 'riemann_right':
      return { alphas: lin(1 / n, 1), weights: new Array<number>(n).fill(1 / n) };
    case 'riemann_middle':
      return { alphas: lin(1 / (2 * n), 1 - 1 / (2 * n)), weights: new Array<number>(n).fill(1 / n) };
    case 'riemann_trapezoid':
      ensure(n >= 2, `riemann_trapezoid needs nSteps ≥ 2; got ${n}.`);
      return { alphas: lin(0, 1), weights: Array.from({ length: n }, (_, i) => (i === 0 || i === n - 1 ? 1 / (2 * (n - 1)) : 1 / (n - 1))) };
    case 'gausslegendre': {
      const { nodes, weights } = gaussLegendre(n);
      return { alphas: nodes.map((x) => 0.5 * (1 + x)), weights: weights.map((w) => 0.5 * w) };
    }
    default:
      throw ensure(false, `Unknown method '${String(method)}'; use riemann_left, riemann_right, riemann_middle, riemann_trapezoid or gausslegendre.`) as never;
  }
}

/** Gauss–Legendre nodes (ascending, as numpy's `leggauss`) and weights on [−1, 1], by Newton's method. */
function gaussLegendre(n: number): { nodes: number[]; weights: number[] } {
  const nodes = new Array<number>(n);
  const weights = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k];
      if (n === 1) [p0, p1] = [1, x];
      dp = (n * (x * p1 - p0)) / (x * x - 1);
      const dx = p1 / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-15) break;
    }
    nodes[n - 1 - i] = x;
    weights[n - 1 - i] = 2 / ((1 - x * x) * dp * dp);
  }
  return { nodes, weights };
}

/** Options of {@link integratedGradients}. */
export interface IntegratedGradientsOptions extends AttributionOptions, BatchingOptions {
  /** Baselines by input name, or one for all (default 0, as Captum). */
  baselines?: Readonly<Record<string, Baseline>> | Baseline;
  /** Integration steps (default 50, as Captum). */
  nSteps?: number;
  /** Approximation of the integral (default `'gausslegendre'`, as Captum). */
  method?: IntegrationMethod;
  /** Also return the convergence delta (default `false`, as Captum). */
  returnConvergenceDelta?: boolean;
}

/** Attributions with Captum's convergence delta per batch item: Σ attributions − (f(x) − f(baseline)). */
export interface AttributionsWithDelta extends Attributions {
  /** Per batch item; present when `returnConvergenceDelta` is set. */
  delta?: Float32Array;
}

/**
 * Integrated gradients (Sundararajan et al., 2017): `(x − x′) ⊙ ∫₀¹ ∂f(x′ + α(x − x′))/∂x dα`,
 * the integral approximated by Captum's methods (default Gauss–Legendre, 50 steps). Every step
 * runs in batched session calls of `internalBatchSize` rows.
 *
 * @see https://arxiv.org/abs/1703.01365
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { integratedGradients } from '@mechint/attribution';
 * const model = await HookedModel.load('packages/core/test/fixtures/cnn.onnx');
 * const images = Tensor.from(new Float32Array(64).fill(0.5), [1, 1, 8, 8]);
 * const { attributions, delta } = await integratedGradients(model, { images }, { target: [0], returnConvergenceDelta: true });
 * console.log(attributions['images']!.shape, Math.abs(delta![0]!) < 0.05); // [1, 1, 8, 8] true
 * ```
 */
export async function integratedGradients(model: HookedModel, inputs: Inputs, options: IntegratedGradientsOptions): Promise<AttributionsWithDelta> {
  const { names, batch } = checkInputs(model, inputs);
  checkBatching(options);
  const { alphas, weights } = approximation(options.method ?? 'gausslegendre', options.nSteps ?? 50);
  const baselines = resolveBaselines(inputs, names, options.baselines);
  const output = outputOf(model, options.output);
  const seeds = await resolveTarget(model, output, inputs, batch, options.target);
  const { grads } = await expandedGradients(model, inputs, names, batch, seeds, {
    rows: alphas.length * batch,
    itemOf: (r) => r % batch,
    fill: (name, r, dst) => {
      const size = itemSize(inputs[name]!);
      const b = r % batch;
      const a = alphas[Math.floor(r / batch)]!;
      const x = dataOf(inputs[name]!);
      const base = baselines[name]!;
      for (let k = 0; k < size; k++) dst[k] = base[b * size + k]! + a * (x[b * size + k]! - base[b * size + k]!);
    },
  }, { ...options, output });
  const attributions: Record<string, Tensor<'float32'>> = {};
  for (const name of names) {
    const x = dataOf(inputs[name]!);
    const base = baselines[name]!;
    const total = x.length;
    const g = grads[name]!;
    const out = new Float32Array(total);
    weights.forEach((w, s) => {
      for (let i = 0; i < total; i++) out[i] = out[i]! + w * g[s * total + i]!;
    });
    for (let i = 0; i < total; i++) out[i] = out[i]! * (x[i]! - base[i]!);
    attributions[name] = shapedLike(out, inputs[name]!);
  }
  if (options.returnConvergenceDelta !== true) return { attributions };
  const delta = await convergenceDelta(model, inputs, names, batch, seeds, baselines, attributions, { ...options, output });
  return { attributions, delta };
}

/** Σ attributions − (f(x) − f(baseline)) per item, with both ends in one forward call. */
export async function convergenceDelta(
  model: HookedModel,
  inputs: Inputs,
  names: readonly string[],
  batch: number,
  seeds: Awaited<ReturnType<typeof resolveTarget>>,
  baselines: Record<string, Float32Array>,
  attributions: Record<string, Tensor<'float32'>>,
  options: BatchingOptions & { output: string },
): Promise<Float32Array> {
  const values = await expandedValues(model, inputs, names, batch, seeds, {
    rows: 2 * batch,
    itemOf: (r) => r % batch,
    fill: (name, r, dst) => {
      const size = itemSize(inputs[name]!);
      const b = r % batch;
      dst.set((r < batch ? dataOf(inputs[name]!) : baselines[name]!).subarray(b * size, (b + 1) * size));
    },
  }, options);
  return Float32Array.from({ length: batch }, (_, b) => {
    let sum = 0;
    for (const name of names) {
      const size = itemSize(inputs[name]!);
      const a = attributions[name]!.data;
      for (let k = 0; k < size; k++) sum += a[b * size + k]!;
    }
    return sum - (values[b]! - values[batch + b]!);
  });
}
