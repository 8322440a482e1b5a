/**
 * SAELens's activation normalisations as graph ops: the run-time `constant_norm_rescale` and
 * `layer_norm` (`SAE._setup_activation_normalization`, sae_lens/saes/sae.py), the
 * `expected_average_only_in` scaling-factor estimate (`ActivationScaler.estimate_scaling_factor`,
 * sae_lens/training/activation_scaler.py) and its folding into the weights
 * (`SAE.fold_activation_norm_scaling_factor`).
 */
import { GraphBuilder, type Backend, type ModelIR, type Tensor, type Value } from '@mechint/core';
import type { SaeConfig } from './config.js';

/**
 * SAELens's `eps` of `layer_norm`, added to the standard deviation (not the variance).
 *
 * @example
 * ```ts
 * import { LAYER_NORM_EPS } from '@mechint/sae';
 * LAYER_NORM_EPS; // 1e-5
 * ```
 */
export const LAYER_NORM_EPS = 1e-5;

/** The normalised input rows and the map taking a reconstruction back to the input's units. */
export interface RunTimeNormalization {
  /** What the encoder reads (before b_dec is subtracted). */
  readonly input: Value<'float32'>;
  /** Applied to every decoder output (SAELens's `run_time_activation_norm_fn_out`). */
  restore(reconstruction: Value<'float32'>): Value<'float32'>;
}

/**
 * The run-time normalisation of the rows of `x` [n, dIn] for `cfg.normalizeActivations`, as
 * SAELens computes it:
 * - `constant_norm_rescale`: c = √d_in / ‖x‖ per row; in: x · c; out: x̂ / c.
 * - `layer_norm`: μ = mean(x), σ = std(x − μ) (unbiased, torch's default); in: (x − μ) / (σ + 1e-5);
 *   out: x̂ · σ + μ (SAELens restores without the eps).
 * - otherwise the identity (`expected_average_only_in` is a training-data scale, see the trainer).
 * The statistics depend on `x` only, so no gradient flows through them.
 *
 * @example
 * ```ts
 * import { GraphBuilder } from '@mechint/core';
 * import { resolveConfig, runTimeNormalizationOps } from '@mechint/sae';
 * const g = new GraphBuilder({ name: 'demo' });
 * const x = g.input('x', 'float32', ['n', 4]);
 * const norm = runTimeNormalizationOps(g, resolveConfig({ dIn: 4, dSae: 8, normalizeActivations: 'layer_norm' }), x);
 * g.output(norm.restore(norm.input), 'roundTrip');
 * ```
 */
export function runTimeNormalizationOps(g: GraphBuilder, cfg: SaeConfig, x: Value<'float32'>): RunTimeNormalization {
  if (cfg.normalizeActivations === 'constant_norm_rescale') {
    const norm = g.sqrt(g.reduceSum(g.mul(x, x), { axes: [1], keepdims: true }));
    const coeff = g.div(Math.sqrt(cfg.dIn), norm);
    return { input: g.mul(x, coeff), restore: (r) => g.div(r, coeff) };
  }
  if (cfg.normalizeActivations === 'layer_norm') {
    const mu = g.reduceMean(x, { axes: [1], keepdims: true });
    const centred = g.sub(x, mu);
    const std = g.sqrt(g.div(g.reduceSum(g.mul(centred, centred), { axes: [1], keepdims: true }), cfg.dIn - 1));
    return { input: g.div(centred, g.add(std, LAYER_NORM_EPS)), restore: (r) => g.add(g.mul(r, std), mu) };
  }
  return { input: x, restore: (r) => r };
}

/** A graph: the mean Euclidean norm of the rows of `x` [n, d] (`acts.norm(dim=-1).mean()`). */
function meanRowNormGraph(): ModelIR {
  const g = new GraphBuilder({ name: 'sae_mean_row_norm' });
  const x = g.input('x', 'float32', ['n', 'd']);
  g.output(g.reduceMean(g.sqrt(g.reduceSum(g.mul(x, x), { axes: [1], keepdims: false })), { keepdims: false }), 'mean_norm');
  return g.build();
}

/**
 * The mean Euclidean norm of the rows of `x` [n, d], as an ONNX graph.
 *
 * @example
 * ```ts
 * import { Backend, Tensor } from '@mechint/core';
 * import { meanRowNorm } from '@mechint/sae';
 * await meanRowNorm(Tensor.from([[3, 4], [0, 1]]) as Tensor<'float32'>, await Backend.create()); // 3
 * ```
 */
export async function meanRowNorm(x: Tensor<'float32'>, backend: Backend): Promise<number> {
  const session = await backend.session(meanRowNormGraph, { key: 'sae-mean-row-norm' });
  return (await session.run({ x }))['mean_norm']!.data[0] as number;
}

/**
 * SAELens's `expected_average_only_in` factor from per-batch mean row norms:
 * √d_in / mean(per-batch mean ‖x‖).
 *
 * @example
 * ```ts
 * import { normScalingFactor } from '@mechint/sae';
 * normScalingFactor(16, [2, 6]); // 1
 * ```
 */
export function normScalingFactor(dIn: number, batchMeanNorms: readonly number[]): number {
  const mean = batchMeanNorms.reduce((s, v) => s + v, 0) / batchMeanNorms.length;
  return Math.sqrt(dIn) / mean;
}

/** A graph folding a scaling factor into SAELens-layout weights: W_enc · s, W_dec / s, b_dec / s. */
export function foldGraph(): ModelIR {
  const g = new GraphBuilder({ name: 'sae_fold_norm_scaling' });
  const s = g.input('scale', 'float32', [1]);
  g.output(g.mul(g.input('W_enc', 'float32', ['d', 'm']), s), 'W_enc_folded');
  g.output(g.div(g.input('W_dec', 'float32', ['m', 'd']), s), 'W_dec_folded');
  g.output(g.div(g.input('b_dec', 'float32', ['d']), s), 'b_dec_folded');
  return g.build();
}
