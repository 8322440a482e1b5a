/**
 * SAELens's on-disk format: `cfg.json`, `sae_weights.safetensors` (W_enc [d_in, d_sae], b_enc,
 * W_dec [d_sae, d_in], b_dec, threshold for JumpReLU) and `sparsity.safetensors` (log10 feature
 * density). Bytes in and out here; `saveSae` / `loadSae` add the Node file system.
 */
import { mkdir, readFile, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { MechintError, Tensor, readSafetensors, writeSafetensors } from '@mechint/core';
import { ARCHITECTURES, checkNormalizeActivations, type Architecture, type SparseAutoencoderOptions } from './config.js';
import { SparseAutoencoder, type SaeParameters } from './sparse-autoencoder.js';

/** The three files of an SAE, as SAELens names them. */
export interface SaeFiles {
  'cfg.json': string;
  'sae_weights.safetensors': Uint8Array;
  'sparsity.safetensors'?: Uint8Array;
}

/**
 * File names SAELens uses.
 *
 * @example
 * ```ts
 * import { SAE_CFG_FILENAME, SAE_WEIGHTS_FILENAME } from '@mechint/sae';
 * console.log(SAE_CFG_FILENAME, SAE_WEIGHTS_FILENAME); // cfg.json sae_weights.safetensors
 * ```
 */
export const SAE_CFG_FILENAME = 'cfg.json';
/** The weights file's name (see {@link SAE_CFG_FILENAME}). */
export const SAE_WEIGHTS_FILENAME = 'sae_weights.safetensors';
/** The feature-density file's name (see {@link SAE_CFG_FILENAME}). */
export const SPARSITY_FILENAME = 'sparsity.safetensors';

/** The layer number in a TransformerLens hook name (`blocks.3.hook_resid_post` → 3), else 0. */
function hookLayer(hookName: string): number {
  const m = /^blocks\.(\d+)\./.exec(hookName);
  return m === null ? 0 : Number(m[1]);
}

/**
 * The SAE as SAELens's files. BatchTopK and Matryoshka SAEs are written as `jumprelu` with their
 * learned threshold, as SAELens saves them for inference.
 *
 * @example
 * ```ts
 * import { SparseAutoencoder, saeToFiles, saeFromFiles } from '@mechint/sae';
 * const sae = new SparseAutoencoder({ dIn: 4, dSae: 8, architecture: 'topk', k: 2, hookName: 'blocks.0.hook_resid_post' });
 * const copy = saeFromFiles(saeToFiles(sae));
 * copy.cfg.k; // 2
 * ```
 */
export function saeToFiles(sae: SparseAutoencoder): SaeFiles {
  const { cfg } = sae;
  const saved: Architecture = cfg.architecture === 'batchtopk' || cfg.architecture === 'matryoshka' ? 'jumprelu' : cfg.architecture;
  const json: Record<string, unknown> = {
    ...cfg.extra,
    architecture: saved,
    d_in: cfg.dIn,
    d_sae: cfg.dSae,
    dtype: 'float32',
    device: 'cpu',
    apply_b_dec_to_input: cfg.applyBDecToInput,
    normalize_activations: cfg.normalizeActivations,
    hook_name: cfg.hookName,
    hook_layer: hookLayer(cfg.hookName),
    hook_head_index: null,
    activation_fn_str: saved === 'topk' ? 'topk' : 'relu',
    activation_fn_kwargs: saved === 'topk' ? { k: cfg.k } : {},
    finetuning_scaling_factor: false,
    reshape_activations: 'none',
    metadata: { ...((cfg.extra['metadata'] as Record<string, unknown> | undefined) ?? {}), hook_name: cfg.hookName },
  };
  if (saved === 'topk') json['k'] = cfg.k;
  const p = sae.parameters();
  const weights: Record<string, Tensor> = { W_enc: p.W_enc, b_enc: p.b_enc, W_dec: p.W_dec, b_dec: p.b_dec };
  if (saved === 'jumprelu') weights['threshold'] = p.threshold ?? Tensor.zeros([cfg.dSae]);
  const files: SaeFiles = { 'cfg.json': JSON.stringify(json, null, 2), 'sae_weights.safetensors': writeSafetensors(weights, { format: 'pt' }) };
  if (sae.logSparsity !== undefined) files['sparsity.safetensors'] = writeSafetensors({ sparsity: sae.logSparsity }, { format: 'pt' });
  return files;
}

function invalid(message: string): MechintError {
  return new MechintError('INVALID_FILE', message);
}

/**
 * Reads an SAE from SAELens's files (any SAELens version's `cfg.json`: hook name at the top level
 * or under `metadata`, TopK's k as `k` or `activation_fn_kwargs.k`; `normalize_activations`
 * `constant_norm_rescale` and `layer_norm` are applied by encode / decode as SAELens does).
 * Throws `INVALID_FILE` for a malformed config (an unknown `normalize_activations` included),
 * missing tensors or wrong shapes, naming what is wrong.
 *
 * @example
 * ```ts
 * import { saeFromFiles } from '@mechint/sae';
 * import { readFileSync } from 'node:fs';
 * const dir = 'packages/sae/test/fixtures/saelens_topk';
 * const sae = saeFromFiles({ 'cfg.json': readFileSync(`${dir}/cfg.json`, 'utf8'), 'sae_weights.safetensors': readFileSync(`${dir}/sae_weights.safetensors`) });
 * sae.W_enc.shape; // [16, 32]
 * ```
 */
export function saeFromFiles(files: SaeFiles): SparseAutoencoder {
  let raw: unknown;
  try {
    raw = JSON.parse(files['cfg.json']);
  } catch (cause) {
    throw new MechintError('INVALID_FILE', `cfg.json is not valid JSON: ${(cause as Error).message}.`, { cause });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid('cfg.json must hold a JSON object with architecture, d_in and d_sae.');
  const json = raw as Record<string, unknown>;
  const metadata = (typeof json['metadata'] === 'object' && json['metadata'] !== null ? json['metadata'] : {}) as Record<string, unknown>;
  const dIn = json['d_in'];
  const dSae = json['d_sae'];
  if (typeof dIn !== 'number' || typeof dSae !== 'number') throw invalid('cfg.json needs integer d_in and d_sae.');
  let architecture = (json['architecture'] ?? 'standard') as Architecture;
  const kwargs = (json['activation_fn_kwargs'] ?? {}) as Record<string, unknown>;
  if (json['activation_fn_str'] === 'topk') architecture = 'topk';
  if (!ARCHITECTURES.includes(architecture)) throw invalid(`cfg.json names architecture '${String(json['architecture'])}'; this package reads ${ARCHITECTURES.join(', ')}.`);
  const k = (json['k'] ?? kwargs['k']) as number | undefined;
  if (architecture === 'topk' && typeof k !== 'number') throw invalid('A topk cfg.json needs k (or activation_fn_kwargs.k).');
  const dtype = json['dtype'] ?? 'float32';
  if (!['float32', 'torch.float32', 'float16', 'torch.float16', 'bfloat16', 'torch.bfloat16'].includes(String(dtype))) throw invalid(`cfg.json dtype '${String(dtype)}' is not supported; use float32, float16 or bfloat16.`);
  // SAELens's handle_config_defaulting reads a missing normalize_activations as 'none'.
  const normalizeActivations = checkNormalizeActivations(json['normalize_activations'] ?? 'none', 'cfg.json normalize_activations', 'INVALID_FILE');
  const known = new Set(['architecture', 'd_in', 'd_sae', 'k', 'hook_name', 'apply_b_dec_to_input', 'normalize_activations', 'dtype', 'device', 'hook_layer', 'hook_head_index', 'activation_fn_str', 'activation_fn_kwargs', 'finetuning_scaling_factor', 'reshape_activations']);
  const extra = Object.fromEntries(Object.entries(json).filter(([key]) => !known.has(key)));
  const options: SparseAutoencoderOptions = {
    dIn,
    dSae,
    architecture,
    hookName: String(json['hook_name'] ?? metadata['hook_name'] ?? ''),
    applyBDecToInput: json['apply_b_dec_to_input'] !== false,
    normalizeActivations,
    extra,
  };
  if (k !== undefined) options.k = k;
  let tensors: Record<string, Tensor>;
  try {
    tensors = readSafetensors(files['sae_weights.safetensors']).tensors;
  } catch (cause) {
    throw new MechintError('INVALID_FILE', `sae_weights.safetensors could not be read: ${(cause as Error).message}`, { cause });
  }
  const want: Record<string, number[]> = { W_enc: [dIn, dSae], b_enc: [dSae], W_dec: [dSae, dIn], b_dec: [dIn] };
  if (architecture === 'jumprelu') want['threshold'] = [dSae];
  for (const [name, shape] of Object.entries(want)) {
    const t = tensors[name];
    if (t === undefined) throw invalid(`sae_weights.safetensors has no tensor '${name}' (it has ${Object.keys(tensors).join(', ') || 'none'}); a ${architecture} SAE needs ${Object.keys(want).join(', ')}.`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw invalid(`sae_weights.safetensors: '${name}' has shape [${t.shape.join(', ')}], but cfg.json (d_in ${dIn}, d_sae ${dSae}) needs [${shape.join(', ')}].`);
    }
  }
  const f32 = (t: Tensor): Tensor<'float32'> => (t.dtype === 'float32' ? (t as Tensor<'float32'>) : (t.clone('float32') as Tensor<'float32'>));
  const params: SaeParameters = { W_enc: f32(tensors['W_enc']!), b_enc: f32(tensors['b_enc']!), W_dec: f32(tensors['W_dec']!), b_dec: f32(tensors['b_dec']!) };
  if (tensors['threshold'] !== undefined) params.threshold = f32(tensors['threshold']);
  const sae = new SparseAutoencoder(options, params);
  const sparsity = files['sparsity.safetensors'];
  if (sparsity !== undefined) {
    const s = readSafetensors(sparsity).tensors['sparsity'];
    if (s === undefined || s.shape.length !== 1 || s.shape[0] !== dSae) throw invalid(`sparsity.safetensors must hold 'sparsity' of shape [${dSae}].`);
    sae.logSparsity = f32(s);
  }
  return sae;
}

/**
 * Writes the SAE to `dir` in SAELens's layout (Node).
 *
 * @example
 * ```ts
 * import { SparseAutoencoder, saveSae, loadSae } from '@mechint/sae';
 * const sae = new SparseAutoencoder({ dIn: 4, dSae: 8 });
 * await saveSae(sae, '/tmp/my-sae');
 * const again = await loadSae('/tmp/my-sae');
 * ```
 */
export async function saveSae(sae: SparseAutoencoder, dir: string): Promise<void> {
  const files = saeToFiles(sae);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, SAE_CFG_FILENAME), files['cfg.json']);
  await writeFile(join(dir, SAE_WEIGHTS_FILENAME), files['sae_weights.safetensors']);
  if (files['sparsity.safetensors'] !== undefined) await writeFile(join(dir, SPARSITY_FILENAME), files['sparsity.safetensors']);
}

/**
 * Reads an SAE from a folder in SAELens's layout (Node): `cfg.json`, `sae_weights.safetensors`,
 * and `sparsity.safetensors` when present. `INVALID_FILE` when a required file is missing.
 *
 * @example
 * ```ts
 * import { loadSae } from '@mechint/sae';
 * const sae = await loadSae('packages/sae/test/fixtures/saelens_topk');
 * sae.cfg.hookName; // 'blocks.0.hook_resid_post'
 * ```
 */
export async function loadSae(dir: string): Promise<SparseAutoencoder> {
  const read = async (name: string): Promise<Buffer> => {
    try {
      return await readFile(join(dir, name));
    } catch (cause) {
      throw new MechintError('INVALID_FILE', `${join(dir, name)} cannot be read (${(cause as Error).message}); an SAE folder holds cfg.json and sae_weights.safetensors.`, { cause });
    }
  };
  const files: SaeFiles = { 'cfg.json': (await read(SAE_CFG_FILENAME)).toString('utf8'), 'sae_weights.safetensors': new Uint8Array(await read(SAE_WEIGHTS_FILENAME)) };
  const hasSparsity = await access(join(dir, SPARSITY_FILENAME)).then(() => true, () => false);
  if (hasSparsity) files['sparsity.safetensors'] = new Uint8Array(await read(SPARSITY_FILENAME));
  return saeFromFiles(files);
}
