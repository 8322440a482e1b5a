/**
 * Reconstruction and sparsity of a trained SAE on a set of activations, and its most used
 * latents with the tokens that drive them.
 */
import type { Tensor } from '@mechint/core';
import type { SparseAutoencoder } from '@mechint/sae';

/** How well an SAE reconstructs `x` and how sparse its code is. */
export interface SaeEvaluation {
  readonly rows: number;
  /** Mean squared error per element. */
  readonly mse: number;
  /** 1 − Σ‖x − x̂‖² / Σ‖x − x̄‖² (SAELens's explained variance). */
  readonly explainedVariance: number;
  /** Mean number of active latents per row. */
  readonly l0: number;
  /** Latents that never fire on `x`. */
  readonly deadFeatures: number;
  /** Firing frequency of every latent. */
  readonly frequency: Float64Array;
}

/** Evaluates `sae` on `x` `[rows, dIn]`; also returns the latent activations `[rows, dSae]`. */
export async function evaluateSae(sae: SparseAutoencoder, x: Tensor<'float32'>): Promise<{ evaluation: SaeEvaluation; acts: Tensor<'float32'> }> {
  const { acts, reconstruction } = await sae.forward(x);
  const [rows, dIn] = x.shape as [number, number];
  const dSae = acts.shape[1]!;
  const xs = x.data as Float32Array;
  const rs = reconstruction.data as Float32Array;
  const mean = new Float64Array(dIn);
  for (let i = 0; i < rows; i++) for (let j = 0; j < dIn; j++) mean[j]! += xs[i * dIn + j]! / rows;
  let residual = 0;
  let total = 0;
  for (let i = 0; i < rows * dIn; i++) {
    residual += (xs[i]! - rs[i]!) ** 2;
    total += (xs[i]! - mean[i % dIn]!) ** 2;
  }
  const a = acts.data as Float32Array;
  const fired = new Float64Array(dSae);
  let active = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < dSae; j++) {
      if (a[i * dSae + j]! > 0) {
        fired[j]! += 1;
        active++;
      }
    }
  }
  const frequency = fired.map((f) => f / rows);
  return {
    evaluation: { rows, mse: residual / (rows * dIn), explainedVariance: 1 - residual / total, l0: active / rows, deadFeatures: frequency.filter((f) => f === 0).length, frequency },
    acts,
  };
}

/** One latent: how often it fires and the rows that drive it most. */
export interface FeatureSummary {
  readonly feature: number;
  readonly frequency: number;
  /** Top rows: their activation and what the caller says they are (token, position). */
  readonly top: readonly { row: number; activation: number; label: string }[];
}

/** The `count` most frequent latents (excluding dead ones), each with its `examples` strongest rows. */
export function topFeatures(acts: Tensor<'float32'>, frequency: Float64Array, count: number, examples: number, label: (row: number) => string): FeatureSummary[] {
  const [rows, dSae] = acts.shape as [number, number];
  const a = acts.data as Float32Array;
  const order = Array.from(frequency.keys()).filter((j) => frequency[j]! > 0).sort((x, y) => frequency[y]! - frequency[x]! || x - y).slice(0, count);
  return order.map((feature) => {
    const column = Array.from({ length: rows }, (_, i) => [i, a[i * dSae + feature]!] as const).filter(([, v]) => v > 0);
    column.sort((x, y) => y[1] - x[1] || x[0] - y[0]);
    return { feature, frequency: frequency[feature]!, top: column.slice(0, examples).map(([row, activation]) => ({ row, activation, label: label(row) })) };
  });
}
