/**
 * The configuration of a sparse autoencoder: architecture, sizes, and the SAELens fields that
 * travel with it in `cfg.json`.
 */
import { MechintError } from '@mechint/core';

/**
 * SAE architectures.
 * - `standard`: ReLU encoder, L1 penalty weighted by each latent's decoder norm (Anthropic, April 2024 update).
 * - `topk`: the k largest pre-activations per input, ReLU'd (Gao et al. 2024), with the AuxK loss for dead latents.
 * - `batchtopk`: the k·batch largest ReLU'd pre-activations over the whole batch (Bussmann et al. 2024).
 * - `jumprelu`: `z · H(z − θ)` with a learned threshold per latent and an L0 penalty, trained with
 *   straight-through estimators (Rajamanoharan et al. 2024).
 * - `matryoshka`: BatchTopK latents whose nested prefixes each reconstruct the input (Bussmann et al. 2025).
 */
export type Architecture = 'standard' | 'topk' | 'batchtopk' | 'jumprelu' | 'matryoshka';

/**
 * Every architecture, in the order of {@link Architecture}.
 *
 * @example
 * ```ts
 * import { ARCHITECTURES } from '@mechint/sae';
 * ARCHITECTURES.includes('topk'); // true
 * ```
 */
export const ARCHITECTURES: readonly Architecture[] = ['standard', 'topk', 'batchtopk', 'jumprelu', 'matryoshka'];

/**
 * SAELens's activation normalisations (`SAEConfig.normalize_activations`,
 * sae_lens/saes/sae.py):
 * - `none`: the SAE reads the activations as they are.
 * - `expected_average_only_in` (Anthropic, April 2024 update): training only. One factor
 *   s = √d_in / mean‖x‖, estimated over a few batches, scales the training data; at the end it is
 *   folded into the weights (`fold_activation_norm_scaling_factor`) and the config says `none`.
 *   At inference the SAE applies nothing, as SAELens.
 * - `constant_norm_rescale` (Anthropic, February 2024 update): each input row is scaled by
 *   c = √d_in / ‖x‖ before encoding; the reconstruction is divided by c.
 * - `layer_norm`: each input row becomes (x − μ) / (σ + 1e-5), σ the unbiased (torch `std`)
 *   standard deviation of the centred row; the reconstruction is multiplied by σ and μ is added back.
 */
export type NormalizeActivations = 'none' | 'expected_average_only_in' | 'constant_norm_rescale' | 'layer_norm';

/**
 * Every value of {@link NormalizeActivations}, in SAELens's order.
 *
 * @example
 * ```ts
 * import { NORMALIZE_ACTIVATIONS } from '@mechint/sae';
 * NORMALIZE_ACTIVATIONS.includes('layer_norm'); // true
 * ```
 */
export const NORMALIZE_ACTIVATIONS: readonly NormalizeActivations[] = ['none', 'expected_average_only_in', 'constant_norm_rescale', 'layer_norm'];

/**
 * Checks a `normalizeActivations` value; `INVALID_ARGUMENT` (options) or `INVALID_FILE` (a
 * cfg.json) listing the accepted values otherwise.
 *
 * @example
 * ```ts
 * import { checkNormalizeActivations } from '@mechint/sae';
 * checkNormalizeActivations('layer_norm', 'normalizeActivations'); // 'layer_norm'
 * ```
 */
export function checkNormalizeActivations(value: unknown, name: string, code: 'INVALID_ARGUMENT' | 'INVALID_FILE' = 'INVALID_ARGUMENT'): NormalizeActivations {
  if (!NORMALIZE_ACTIVATIONS.includes(value as NormalizeActivations)) {
    throw new MechintError(code, `${name} '${String(value)}' is not an activation normalisation; use one of ${NORMALIZE_ACTIVATIONS.join(', ')}.`, { details: { got: value, accepted: [...NORMALIZE_ACTIVATIONS] } });
  }
  return value as NormalizeActivations;
}

/**
 * Whether the SAE normalises each input row itself at run time (`constant_norm_rescale`,
 * `layer_norm`), so its encode / decode / forward graphs carry the normalisation.
 *
 * @example
 * ```ts
 * import { resolveConfig, runTimeNormalization } from '@mechint/sae';
 * runTimeNormalization(resolveConfig({ dIn: 4, dSae: 8, normalizeActivations: 'layer_norm' })); // true
 * ```
 */
export function runTimeNormalization(cfg: Pick<SaeConfig, 'normalizeActivations'>): boolean {
  return cfg.normalizeActivations === 'constant_norm_rescale' || cfg.normalizeActivations === 'layer_norm';
}

/**
 * Options of `new SparseAutoencoder(...)`. Defaults follow SAELens.
 *
 * @example
 * ```ts
 * import type { SparseAutoencoderOptions } from '@mechint/sae';
 * const options: SparseAutoencoderOptions = { dIn: 64, dSae: 512, architecture: 'topk', k: 16, hookName: 'blocks.0.hook_resid_post' };
 * ```
 */
export interface SparseAutoencoderOptions {
  /** Width of the activations (the hook's last dimension). */
  dIn: number;
  /** Number of latents (dictionary size). */
  dSae: number;
  /** Default `'standard'`, as SAELens. */
  architecture?: Architecture;
  /** Active latents per input for `topk`, `batchtopk`, `matryoshka` (default 100, SAELens's TopK default). */
  k?: number;
  /** The hook the SAE reads, in TransformerLens names (`blocks.0.hook_resid_post`); default `''`. */
  hookName?: string;
  /** Subtract `b_dec` from the input before encoding (default `true`, SAELens's `apply_b_dec_to_input`). */
  applyBDecToInput?: boolean;
  /**
   * Nested dictionary widths of `matryoshka`, increasing, the last equal to `dSae`
   * (default: `dSae/8, dSae/4, dSae/2, dSae`).
   */
  matryoshkaWidths?: readonly number[];
  /**
   * Activation normalisation, SAELens's `normalize_activations` (default `'none'`, as SAELens);
   * see {@link NormalizeActivations}.
   */
  normalizeActivations?: NormalizeActivations;
  /** Seed of the weight initialisation (default 0). */
  seed?: number;
  /** Any further SAELens `cfg.json` fields to keep (model_name, context_size, …); written back as they are. */
  extra?: Readonly<Record<string, unknown>>;
}

/** A checked configuration: every option resolved. */
export interface SaeConfig {
  readonly dIn: number;
  readonly dSae: number;
  readonly architecture: Architecture;
  readonly k: number;
  readonly hookName: string;
  readonly applyBDecToInput: boolean;
  readonly matryoshkaWidths: readonly number[];
  readonly normalizeActivations: NormalizeActivations;
  readonly seed: number;
  readonly extra: Readonly<Record<string, unknown>>;
}

function positiveInt(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new MechintError('INVALID_ARGUMENT', `${name} must be a positive integer; got ${String(value)}.`);
  }
  return value;
}

/**
 * Resolves and checks options; throws `INVALID_ARGUMENT` naming the bad field.
 *
 * @example
 * ```ts
 * import { resolveConfig } from '@mechint/sae';
 * resolveConfig({ dIn: 64, dSae: 512, architecture: 'topk' }).k; // 100
 * ```
 */
export function resolveConfig(options: SparseAutoencoderOptions): SaeConfig {
  if (typeof options !== 'object' || options === null) throw new MechintError('INVALID_ARGUMENT', 'Pass an options object: new SparseAutoencoder({ dIn, dSae, architecture }).');
  const dIn = positiveInt(options.dIn, 'dIn');
  const dSae = positiveInt(options.dSae, 'dSae');
  const architecture = options.architecture ?? 'standard';
  if (!ARCHITECTURES.includes(architecture)) {
    throw new MechintError('INVALID_ARGUMENT', `Unknown architecture '${String(architecture)}'; use one of ${ARCHITECTURES.join(', ')}.`);
  }
  const k = positiveInt(options.k ?? Math.min(100, dSae), 'k');
  if (k > dSae) throw new MechintError('INVALID_ARGUMENT', `k (${k}) cannot exceed dSae (${dSae}); pick k ≤ dSae.`);
  const widths = options.matryoshkaWidths ?? [dSae / 8, dSae / 4, dSae / 2, dSae].map(Math.floor).filter((w, i, all) => w >= 1 && all.indexOf(w) === i);
  widths.forEach((w, i) => {
    positiveInt(w, `matryoshkaWidths[${i}]`);
    if (i > 0 && w <= widths[i - 1]!) throw new MechintError('INVALID_ARGUMENT', `matryoshkaWidths must increase; got ${widths.join(', ')}.`);
  });
  if (widths[widths.length - 1] !== dSae) throw new MechintError('INVALID_ARGUMENT', `The last matryoshka width must equal dSae (${dSae}); got ${widths.join(', ')}.`);
  const normalizeActivations = checkNormalizeActivations(options.normalizeActivations ?? 'none', 'normalizeActivations');
  if (normalizeActivations === 'layer_norm' && dIn < 2) throw new MechintError('INVALID_ARGUMENT', `layer_norm needs dIn ≥ 2 (the standard deviation of one value is undefined); got dIn ${dIn}.`);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new MechintError('INVALID_ARGUMENT', `seed must be an integer; got ${String(seed)}.`);
  return {
    dIn,
    dSae,
    architecture,
    k,
    hookName: options.hookName ?? '',
    applyBDecToInput: options.applyBDecToInput ?? true,
    matryoshkaWidths: widths,
    normalizeActivations,
    seed,
    extra: { ...(options.extra ?? {}) },
  };
}
