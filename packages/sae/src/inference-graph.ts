/**
 * Encode / decode / forward graphs of a trained SAE, in SAELens's parameter layout.
 */
import { GraphBuilder, type ModelIR, type Value } from '@mechint/core';
import { runTimeNormalization, type SaeConfig } from './config.js';
import { runTimeNormalizationOps } from './normalization.js';

/** Which inference graph. */
export type InferenceKind = 'encode' | 'decode' | 'forward';

/** Whether an architecture encodes with a per-latent threshold at inference (JumpReLU form, as SAELens saves BatchTopK and Matryoshka). */
export function usesThreshold(cfg: SaeConfig): boolean {
  return cfg.architecture === 'jumprelu' || cfg.architecture === 'batchtopk' || cfg.architecture === 'matryoshka';
}

/**
 * The session cache key of an inference graph: equal keys build equal graphs.
 *
 * @example
 * ```ts
 * import { inferenceKey, resolveConfig } from '@mechint/sae';
 * inferenceKey(resolveConfig({ dIn: 4, dSae: 8, normalizeActivations: 'layer_norm' }), 'forward'); // 'sae-forward:standard:4:8:8:true:layer_norm'
 * ```
 */
export function inferenceKey(cfg: SaeConfig, kind: InferenceKind): string {
  return `sae-${kind}:${cfg.architecture}:${cfg.dIn}:${cfg.dSae}:${cfg.k}:${cfg.applyBDecToInput}:${runTimeNormalization(cfg) ? cfg.normalizeActivations : 'none'}`;
}

/**
 * Builds an inference graph. Feeds: `x` [n, dIn] (encode, forward; decode too when the SAE
 * normalises at run time, whose reconstruction goes back to the units of the input it was
 * encoded from) and `acts` [n, dSae] (decode), `W_enc` [dIn, dSae], `b_enc`, `W_dec` [dSae, dIn],
 * `b_dec`, and `threshold` [dSae] for threshold architectures. Outputs `acts` and / or
 * `reconstruction`. As SAELens's `encode` / `decode`: the input is normalised
 * (`constant_norm_rescale`, `layer_norm`), b_dec subtracted, encoded; the decoder output is
 * taken back through the normalisation's inverse.
 *
 * @example
 * ```ts
 * import { buildInferenceGraph, resolveConfig } from '@mechint/sae';
 * const { model } = buildInferenceGraph(resolveConfig({ dIn: 4, dSae: 8 }), 'encode');
 * ```
 */
export function buildInferenceGraph(cfg: SaeConfig, kind: InferenceKind): { model: ModelIR; key: string } {
  const g = new GraphBuilder({ name: `sae_${kind}` });
  const W_dec = kind === 'encode' ? undefined : g.input('W_dec', 'float32', [cfg.dSae, cfg.dIn]);
  const b_dec = g.input('b_dec', 'float32', [cfg.dIn]);
  const x = kind !== 'decode' || runTimeNormalization(cfg) ? g.input('x', 'float32', ['n', cfg.dIn]) : undefined;
  const norm = x === undefined ? undefined : runTimeNormalizationOps(g, cfg, x);
  let acts: Value<'float32'>;
  if (kind === 'decode') {
    acts = g.input('acts', 'float32', ['n', cfg.dSae]);
  } else {
    const xn = norm!.input;
    const W_enc = g.input('W_enc', 'float32', [cfg.dIn, cfg.dSae]);
    const b_enc = g.input('b_enc', 'float32', [cfg.dSae]);
    const pre = g.gemm(cfg.applyBDecToInput ? g.sub(xn, b_dec) : xn, W_enc, b_enc);
    if (cfg.architecture === 'topk') {
      const [vals, idx] = g.topK(pre, cfg.k);
      acts = g.scatterElements(g.mul(pre, 0), idx, g.relu(vals), { axis: 1 });
    } else if (usesThreshold(cfg)) {
      const threshold = g.input('threshold', 'float32', [cfg.dSae]);
      acts = g.where(g.greater(pre, threshold), g.relu(pre), 0);
    } else {
      acts = g.relu(pre);
    }
    g.output(acts, 'acts');
  }
  if (W_dec !== undefined) {
    const recon = g.add(g.matmul(acts, W_dec), b_dec);
    g.output(norm === undefined ? recon : norm.restore(recon), 'reconstruction');
  }
  return { model: g.build(), key: inferenceKey(cfg, kind) };
}

/** A graph transposing a 2-D float tensor (`t`), for switching between SAELens's and the training layout. */
export function transposeGraph(): { model: ModelIR; key: string } {
  const g = new GraphBuilder({ name: 'sae_transpose' });
  g.output(g.transpose(g.input('t', 'float32', ['r', 'c'])), 'out');
  return { model: g.build(), key: 'sae-transpose' };
}

