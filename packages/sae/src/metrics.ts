/**
 * Reconstruction and sparsity metrics of an SAE on activations: L0, MSE, fraction of variance
 * explained, feature density, dead / dense latents and a density histogram.
 */
import { GraphBuilder, type Backend, type Tensor } from '@mechint/core';
import { checkActivations } from './batches.js';
import { sharedBackend, type SparseAutoencoder } from './sparse-autoencoder.js';

/** Options of {@link evaluateSae}. */
export interface EvaluateOptions {
  backend?: Backend;
  /** Density below which a latent counts as dead (default 1e-8, SAELens's dead_feature_threshold). */
  deadThreshold?: number;
  /** Density above which a latent counts as dense (default 0.1). */
  denseThreshold?: number;
  /** Bins of the log10-density histogram between −10 and 0 (default 20). */
  histogramBins?: number;
}

/** Metrics of an SAE on a set of activations. */
export interface SaeMetrics {
  /** Mean active latents per row. */
  l0: number;
  /** Mean over rows of the summed squared error (SAELens's MSE loss). */
  mse: number;
  /** 1 − Σ‖x − x̂‖² / Σ‖x − mean(x)‖². */
  fractionVarianceExplained: number;
  /** Fraction of rows on which each latent fires, [dSae]. */
  featureDensity: Float64Array;
  deadFeatures: number;
  denseFeatures: number;
  /** Counts of log10(density + 1e-10) in equal bins over [−10, 0]; `edges` has bins + 1 entries. */
  densityHistogram: { edges: number[]; counts: number[] };
}

/**
 * Encodes and reconstructs `x` [n, dIn] and measures the result; sums run as one ONNX graph.
 *
 * @example
 * ```ts
 * import { SparseAutoencoder, evaluateSae } from '@mechint/sae';
 * import { Tensor } from '@mechint/core';
 * const sae = new SparseAutoencoder({ dIn: 2, dSae: 4, architecture: 'topk', k: 1 });
 * const m = await evaluateSae(sae, Tensor.from([[1, 0], [0, 1]]));
 * m.l0; // 1
 * ```
 */
export async function evaluateSae(sae: SparseAutoencoder, x: Tensor, options: EvaluateOptions = {}): Promise<SaeMetrics> {
  const input = checkActivations(x, sae.cfg.dIn, 'activations');
  const backend = options.backend ?? (await sharedBackend());
  const { acts, reconstruction } = await sae.forward(input, { backend });
  const session = await backend.session(
    () => {
      const g = new GraphBuilder({ name: 'sae_metrics' });
      const xs = g.input('x', 'float32', ['n', 'd']);
      const r = g.input('reconstruction', 'float32', ['n', 'd']);
      const a = g.input('acts', 'float32', ['n', 's']);
      const err = g.sub(xs, r);
      const centred = g.sub(xs, g.reduceMean(xs, { axes: [0], keepdims: true }));
      g.output(g.reduceSum(g.mul(err, err), { keepdims: false }), 'sse');
      g.output(g.reduceSum(g.mul(centred, centred), { keepdims: false }), 'sst');
      g.output(g.reduceSum(g.cast(g.greater(a, 0), 'float32'), { axes: [0], keepdims: false }), 'fired');
      return g.build();
    },
    { key: 'sae-metrics' },
  );
  const out = await session.run({ x: input, reconstruction, acts });
  const n = input.shape[0]!;
  const sse = out['sse']!.data[0] as number;
  const sst = out['sst']!.data[0] as number;
  const fired = out['fired']!.data as Float32Array;
  const density = Float64Array.from(fired, (f) => f / n);
  const bins = options.histogramBins ?? 20;
  const edges = Array.from({ length: bins + 1 }, (_, i) => -10 + (10 * i) / bins);
  const counts = new Array<number>(bins).fill(0);
  for (const d of density) counts[Math.min(bins - 1, Math.max(0, Math.floor(((Math.log10(d + 1e-10) + 10) / 10) * bins)))]!++;
  return {
    l0: fired.reduce((s, f) => s + f, 0) / n,
    mse: sse / n,
    fractionVarianceExplained: 1 - sse / sst,
    featureDensity: density,
    deadFeatures: density.filter((d) => d < (options.deadThreshold ?? 1e-8)).length,
    denseFeatures: density.filter((d) => d > (options.denseThreshold ?? 0.1)).length,
    densityHistogram: { edges, counts },
  };
}
