/**
 * Training checkpoints: each one a folder `step_<n>` holding the SAE in SAELens's layout plus the
 * trainer state (Adam moments, dead-latent counters, data position). A checkpoint is written
 * under a temporary name and renamed into place, so a crash or an abort never leaves a partial
 * one, and the previous checkpoints stay as they were.
 */
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MechintError, Tensor, readSafetensors, writeSafetensors } from '@mechint/core';
import { saeToFiles, SAE_CFG_FILENAME, SAE_WEIGHTS_FILENAME, SPARSITY_FILENAME, loadSae } from './files.js';
import type { SparseAutoencoder } from './sparse-autoencoder.js';

/** Everything besides the SAE's weights that a resumed run needs. */
export interface TrainerState {
  /** Steps done. */
  step: number;
  /** Activation rows consumed. */
  rows: number;
  /** Tensors: Adam moments `m_<p>` / `v_<p>`, `steps_since_fired` [dSae], `window_fired` [dSae]. */
  tensors: Record<string, Tensor<'float32'>>;
  /** Scalars: window rows, BatchTopK threshold. */
  scalars: Record<string, number>;
}

const STATE_TENSORS = 'trainer_state.safetensors';
const STATE_JSON = 'trainer_state.json';

/** Folder name of the checkpoint after `step` steps. */
export function checkpointName(step: number): string {
  return `step_${String(step).padStart(9, '0')}`;
}

/** Writes a checkpoint atomically into `dir/step_<n>` and keeps the newest `keep` of them. */
export async function writeCheckpoint(dir: string, sae: SparseAutoencoder, state: TrainerState, keep: number): Promise<string> {
  await mkdir(dir, { recursive: true });
  const final = join(dir, checkpointName(state.step));
  const tmp = join(dir, `.tmp-${checkpointName(state.step)}-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp);
  const files = saeToFiles(sae);
  await writeFile(join(tmp, SAE_CFG_FILENAME), files['cfg.json']);
  await writeFile(join(tmp, SAE_WEIGHTS_FILENAME), files['sae_weights.safetensors']);
  if (files['sparsity.safetensors'] !== undefined) await writeFile(join(tmp, SPARSITY_FILENAME), files['sparsity.safetensors']);
  await writeFile(join(tmp, STATE_TENSORS), writeSafetensors(state.tensors));
  await writeFile(join(tmp, STATE_JSON), JSON.stringify({ step: state.step, rows: state.rows, scalars: state.scalars, architecture: sae.cfg.architecture }, null, 2));
  await rm(final, { recursive: true, force: true });
  await rename(tmp, final);
  const all = await listCheckpoints(dir);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) await rm(join(dir, old), { recursive: true, force: true });
  return final;
}

/** Complete checkpoints in `dir`, oldest first (temporary folders are ignored). */
export async function listCheckpoints(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => /^step_\d{9}$/.test(n)).sort();
}

/**
 * The newest complete checkpoint folder in `dir`, or undefined.
 *
 * @example
 * ```ts
 * import { latestCheckpoint } from '@mechint/sae';
 * const path = await latestCheckpoint('/tmp/sae-run'); // '/tmp/sae-run/step_000001000' or undefined
 * ```
 */
export async function latestCheckpoint(dir: string): Promise<string | undefined> {
  const all = await listCheckpoints(dir);
  return all.length === 0 ? undefined : join(dir, all[all.length - 1]!);
}

/**
 * Reads a checkpoint folder: the SAE and the trainer state. `INVALID_FILE` if it is not one.
 *
 * @example
 * ```ts
 * import { latestCheckpoint, readCheckpoint } from '@mechint/sae';
 * const { sae, state } = await readCheckpoint((await latestCheckpoint('/tmp/sae-run'))!);
 * console.log(state.step, sae.cfg.architecture);
 * ```
 */
export async function readCheckpoint(path: string): Promise<{ sae: SparseAutoencoder; state: TrainerState }> {
  const sae = await loadSae(path);
  let json: { step: number; rows: number; scalars: Record<string, number>; architecture: string };
  let tensors: Record<string, Tensor>;
  try {
    json = JSON.parse(await readFile(join(path, STATE_JSON), 'utf8')) as typeof json;
    tensors = readSafetensors(new Uint8Array(await readFile(join(path, STATE_TENSORS)))).tensors;
  } catch (cause) {
    throw new MechintError('INVALID_FILE', `${path} is not a training checkpoint (${(cause as Error).message}); pass a step_<n> folder written by SAETrainer.`, { cause });
  }
  return { sae, state: { step: json.step, rows: json.rows, scalars: json.scalars, tensors: tensors as Record<string, Tensor<'float32'>> } };
}

