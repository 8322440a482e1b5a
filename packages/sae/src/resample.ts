/**
 * Dead-latent resampling (Bricken et al. 2023, "Towards Monosemanticity", as SAELens's legacy
 * `resample_neurons`): each dead latent is pointed at an input the SAE reconstructs badly.
 */
import { seededRandom, type Tensor } from '@mechint/core';

/** The parameters and Adam moments resampling edits in place (training layout, W_encT [dSae, dIn]). */
export interface ResampleTarget {
  params: Record<string, Tensor<'float32'>>;
  moments: Record<string, Tensor<'float32'>>;
}

/**
 * Resamples the latents in `dead`: picks batch rows with probability ∝ their squared
 * reconstruction error, sets the latent's decoder row to the row minus b_dec, normalised, its
 * encoder row to that direction times 0.2 × the mean norm of the living encoder rows, its encoder
 * bias to 0, and clears those rows' Adam moments. Returns how many latents were resampled.
 * `SAETrainer` calls it with `resampleDeadEvery`.
 *
 * @example
 * ```ts
 * import { SAETrainer, SparseAutoencoder } from '@mechint/sae';
 * declare const activations: import('@mechint/core').Tensor;
 * const sae = new SparseAutoencoder({ dIn: 64, dSae: 512 });
 * await new SAETrainer(sae, { resampleDeadEvery: 2500 }).train(activations, { steps: 10_000 });
 * ```
 */
export function resampleDead(target: ResampleTarget, dead: readonly number[], x: Tensor<'float32'>, rowSse: Float32Array, seed: number): number {
  if (dead.length === 0) return 0;
  const { W_encT, W_dec, b_enc, b_dec } = target.params as Record<'W_encT' | 'W_dec' | 'b_enc' | 'b_dec', Tensor<'float32'>>;
  const dIn = x.shape[1]!;
  const dSae = W_dec.shape[0]!;
  const isDead = new Uint8Array(dSae);
  for (const j of dead) isDead[j] = 1;
  let aliveNorm = 0;
  let alive = 0;
  for (let j = 0; j < dSae; j++) {
    if (isDead[j] === 1) continue;
    let sq = 0;
    for (let i = 0; i < dIn; i++) sq += W_encT.data[j * dIn + i]! ** 2;
    aliveNorm += Math.sqrt(sq);
    alive++;
  }
  const encScale = 0.2 * (alive > 0 ? aliveNorm / alive : 1);
  const cumulative = new Float64Array(rowSse.length);
  let total = 0;
  rowSse.forEach((e, r) => (cumulative[r] = total += e));
  const rand = seededRandom(seed);
  for (const j of dead) {
    const u = rand() * total;
    let r = cumulative.findIndex((c) => c >= u);
    if (r < 0 || total === 0) r = Math.floor(rand() * rowSse.length);
    const v = Float64Array.from({ length: dIn }, (_, i) => x.data[r * dIn + i]! - b_dec.data[i]!);
    const norm = Math.hypot(...v) || 1;
    for (let i = 0; i < dIn; i++) {
      W_dec.data[j * dIn + i] = v[i]! / norm;
      W_encT.data[j * dIn + i] = (encScale * v[i]!) / norm;
    }
    b_enc.data[j] = 0;
    for (const name of ['W_encT', 'W_dec', 'b_enc']) {
      for (const kind of ['m', 'v']) {
        const t = target.moments[`${kind}_${name}`]!;
        if (name === 'b_enc') t.data[j] = 0;
        else t.data.fill(0, j * dIn, (j + 1) * dIn);
      }
    }
  }
  return dead.length;
}
