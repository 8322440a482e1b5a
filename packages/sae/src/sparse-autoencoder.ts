/**
 * `SparseAutoencoder`: the parameters of one SAE in SAELens's layout, and its encode / decode /
 * forward graphs.
 */
import { Backend, MechintError, Tensor, seededNormal } from '@mechint/core';
import { checkNormalizeActivations, resolveConfig, runTimeNormalization, type NormalizeActivations, type SaeConfig, type SparseAutoencoderOptions } from './config.js';
import { buildInferenceGraph, inferenceKey, transposeGraph, usesThreshold, type InferenceKind } from './inference-graph.js';
import { foldGraph } from './normalization.js';

/** The parameters of an SAE, SAELens names and orientation. */
export interface SaeParameters {
  /** [dIn, dSae] */
  W_enc: Tensor<'float32'>;
  /** [dSae] */
  b_enc: Tensor<'float32'>;
  /** [dSae, dIn] */
  W_dec: Tensor<'float32'>;
  /** [dIn] */
  b_dec: Tensor<'float32'>;
  /** [dSae], JumpReLU-form architectures (jumprelu, batchtopk, matryoshka). */
  threshold?: Tensor<'float32'>;
}

/** Options of the graph-running methods. */
export interface SaeRunOptions {
  /** Backend to run on (default: a shared CPU backend). */
  backend?: Backend;
}

/** Options of {@link SparseAutoencoder.decode}. */
export interface SaeDecodeOptions extends SaeRunOptions {
  /**
   * The activations [n, dIn] the latents were encoded from. Needed when the SAE normalises at run
   * time (`constant_norm_rescale`, `layer_norm`): the reconstruction is returned in the units of
   * this input, as SAELens's `decode` undoes the normalisation its preceding `encode` applied.
   */
  input?: Tensor;
}

let defaultBackend: Promise<Backend> | undefined;

/** The shared CPU backend used when no backend is given. */
export function sharedBackend(): Promise<Backend> {
  defaultBackend ??= Backend.create({ ep: 'cpu' });
  return defaultBackend;
}

/**
 * A sparse autoencoder. Weights start as SAELens initialises them: decoder rows random unit
 * directions scaled to 0.1 (standard, jumprelu) or 1 (topk, batchtopk, matryoshka), the encoder
 * the decoder's transpose, biases zero, JumpReLU thresholds 0.001.
 *
 * @example
 * ```ts
 * import { SparseAutoencoder } from '@mechint/sae';
 * import { Tensor } from '@mechint/core';
 * const sae = new SparseAutoencoder({ dIn: 4, dSae: 16, architecture: 'topk', k: 2 });
 * const codes = await sae.encode(Tensor.from([[1, 0, 0, 0]]));
 * codes.shape; // [1, 16]
 * ```
 */
export class SparseAutoencoder {
  #cfg: SaeConfig;
  #params: SaeParameters;
  /** log10 feature density from training (SAELens's `sparsity.safetensors`), if known. */
  logSparsity: Tensor<'float32'> | undefined;

  constructor(options: SparseAutoencoderOptions, parameters?: SaeParameters) {
    this.#cfg = resolveConfig(options);
    this.#params = parameters === undefined ? initialParameters(this.#cfg) : checkParameters(this.#cfg, parameters);
  }

  /** The resolved configuration. */
  get cfg(): SaeConfig {
    return this.#cfg;
  }

  /** Encoder weights [dIn, dSae]. */
  get W_enc(): Tensor<'float32'> {
    return this.#params.W_enc;
  }
  /** Encoder bias [dSae]. */
  get b_enc(): Tensor<'float32'> {
    return this.#params.b_enc;
  }
  /** Decoder weights [dSae, dIn]. */
  get W_dec(): Tensor<'float32'> {
    return this.#params.W_dec;
  }
  /** Decoder bias [dIn]. */
  get b_dec(): Tensor<'float32'> {
    return this.#params.b_dec;
  }
  /** Per-latent thresholds [dSae] (JumpReLU form), or undefined. */
  get threshold(): Tensor<'float32'> | undefined {
    return this.#params.threshold;
  }

  /** A copy of the parameters object (the tensors are shared). */
  parameters(): SaeParameters {
    return { ...this.#params };
  }

  /** Replaces the parameters (shapes checked; `SHAPE_MISMATCH` otherwise). */
  setParameters(parameters: SaeParameters): void {
    this.#params = checkParameters(this.cfg, parameters);
  }

  /** Latent activations [n, dSae] of inputs `x` [n, dIn]. */
  async encode(x: Tensor, options: SaeRunOptions = {}): Promise<Tensor<'float32'>> {
    return (await this.run('encode', { x: this.checkInput(x, 'x', this.cfg.dIn) }, options))['acts']!;
  }

  /**
   * Reconstructions [n, dIn] of latent activations `acts` [n, dSae]. An SAE that normalises at run
   * time needs `options.input`, the activations the latents came from (`INVALID_ARGUMENT` otherwise).
   *
   * @example
   * ```ts
   * import { SparseAutoencoder } from '@mechint/sae';
   * import { Tensor } from '@mechint/core';
   * const sae = new SparseAutoencoder({ dIn: 4, dSae: 8, normalizeActivations: 'constant_norm_rescale' });
   * const x = Tensor.from([[1, 2, 3, 4]]);
   * const back = await sae.decode(await sae.encode(x), { input: x }); // in x's units
   * ```
   */
  async decode(acts: Tensor, options: SaeDecodeOptions = {}): Promise<Tensor<'float32'>> {
    const feeds: Record<string, Tensor> = { acts: this.checkInput(acts, 'acts', this.cfg.dSae) };
    if (runTimeNormalization(this.cfg)) {
      if (options.input === undefined) {
        throw new MechintError('INVALID_ARGUMENT', `This SAE normalises its inputs (${this.cfg.normalizeActivations}); pass the activations the latents were encoded from: decode(acts, { input: x }), or use forward(x).`);
      }
      const x = this.checkInput(options.input, 'input', this.cfg.dIn);
      if (x.shape[0] !== acts.shape[0]) throw new MechintError('SHAPE_MISMATCH', `input has ${x.shape[0]} rows but acts has ${acts.shape[0]}; pass the rows the latents were encoded from.`);
      feeds['x'] = x;
    }
    return (await this.run('decode', feeds, options))['reconstruction']!;
  }

  /** Both: latents and reconstruction of `x` in one graph run. */
  async forward(x: Tensor, options: SaeRunOptions = {}): Promise<{ acts: Tensor<'float32'>; reconstruction: Tensor<'float32'> }> {
    const out = await this.run('forward', { x: this.checkInput(x, 'x', this.cfg.dIn) }, options);
    return { acts: out['acts']!, reconstruction: out['reconstruction']! };
  }

  private async run(kind: InferenceKind, feeds: Record<string, Tensor>, options: SaeRunOptions): Promise<Record<string, Tensor<'float32'>>> {
    const backend = options.backend ?? (await sharedBackend());
    const { cfg } = this;
    const key = inferenceKey(cfg, kind);
    const session = await backend.session(() => buildInferenceGraph(cfg, kind).model, { key });
    const p = this.#params;
    const all: Record<string, Tensor> = { ...feeds, W_enc: p.W_enc, b_enc: p.b_enc, W_dec: p.W_dec, b_dec: p.b_dec };
    if (usesThreshold(cfg)) all['threshold'] = p.threshold ?? Tensor.zeros([cfg.dSae]);
    const wanted = Object.fromEntries(session.inputNames.map((n) => [n, all[n]!]));
    return (await session.run(wanted)) as Record<string, Tensor<'float32'>>;
  }

  /**
   * Sets the activation normalisation the SAE applies and records in cfg.json (see
   * `NormalizeActivations`); the weights are unchanged. `INVALID_ARGUMENT` for an unknown value.
   *
   * @example
   * ```ts
   * import { SparseAutoencoder } from '@mechint/sae';
   * const sae = new SparseAutoencoder({ dIn: 4, dSae: 8 });
   * sae.setNormalizeActivations('layer_norm');
   * sae.cfg.normalizeActivations; // 'layer_norm'
   * ```
   */
  setNormalizeActivations(mode: NormalizeActivations): void {
    const checked = checkNormalizeActivations(mode, 'normalizeActivations');
    this.#cfg = resolveConfig({ ...this.#cfg, normalizeActivations: checked });
  }

  /**
   * Folds an activation scaling factor into the weights so the SAE reads unscaled activations,
   * SAELens's `fold_activation_norm_scaling_factor`: W_enc · s, W_dec / s, b_dec / s (b_enc and
   * thresholds unchanged, since the pre-activations are unchanged), and `normalizeActivations`
   * becomes `'none'`. A [n, dIn] input x then gives the codes the unfolded SAE gave for s·x, and
   * 1/s times its reconstruction.
   *
   * @example
   * ```ts
   * import { SparseAutoencoder } from '@mechint/sae';
   * const sae = new SparseAutoencoder({ dIn: 4, dSae: 8, normalizeActivations: 'expected_average_only_in' });
   * await sae.foldActivationNormScalingFactor(0.5);
   * sae.cfg.normalizeActivations; // 'none'
   * ```
   */
  async foldActivationNormScalingFactor(scale: number, options: SaeRunOptions = {}): Promise<void> {
    if (!(Number.isFinite(scale) && scale > 0)) throw new MechintError('INVALID_ARGUMENT', `The scaling factor must be a positive finite number; got ${String(scale)}.`);
    const backend = options.backend ?? (await sharedBackend());
    const session = await backend.session(foldGraph, { key: 'sae-fold-norm-scaling' });
    const p = this.#params;
    const out = await session.run({ W_enc: p.W_enc, W_dec: p.W_dec, b_dec: p.b_dec, scale: Tensor.from(new Float32Array([scale]), [1]) });
    this.#params = { ...p, W_enc: out['W_enc_folded'] as Tensor<'float32'>, W_dec: out['W_dec_folded'] as Tensor<'float32'>, b_dec: out['b_dec_folded'] as Tensor<'float32'> };
    this.setNormalizeActivations('none');
  }

  /** Checks a [n, width] float32 input without NaN; throws coded errors saying what to pass. */
  checkInput(x: Tensor, name: string, width: number): Tensor<'float32'> {
    if (!(x instanceof Tensor)) throw new MechintError('INVALID_ARGUMENT', `${name} must be a Tensor [n, ${width}].`);
    if (x.rank !== 2 || x.shape[1] !== width) {
      throw new MechintError('SHAPE_MISMATCH', `${name} must have shape [n, ${width}]; got [${x.shape.join(', ')}]. Flatten batch and position axes first (reshape to [-1, ${width}]).`, {
        details: { expected: [null, width], got: x.shape },
      });
    }
    const f = x.dtype === 'float32' ? (x as Tensor<'float32'>) : (x.clone('float32') as Tensor<'float32'>);
    if (!f.data.every(Number.isFinite)) throw new MechintError('INVALID_ARGUMENT', `${name} contains NaN or infinite values; clean the activations (e.g. drop those rows) before passing them.`);
    return f;
  }
}

/** SAELens-style initial parameters (see {@link SparseAutoencoder}). */
function initialParameters(cfg: SaeConfig): SaeParameters {
  const { dIn, dSae } = cfg;
  const randn = seededNormal(cfg.seed + 1);
  const norm = cfg.architecture === 'standard' || cfg.architecture === 'jumprelu' ? 0.1 : 1;
  const dec = new Float32Array(dSae * dIn);
  const enc = new Float32Array(dIn * dSae);
  const row = new Float64Array(dIn);
  for (let j = 0; j < dSae; j++) {
    let sq = 0;
    for (let i = 0; i < dIn; i++) {
      row[i] = randn();
      sq += row[i]! * row[i]!;
    }
    const scale = norm / Math.sqrt(sq);
    for (let i = 0; i < dIn; i++) {
      dec[j * dIn + i] = row[i]! * scale;
      enc[i * dSae + j] = row[i]! * scale;
    }
  }
  const params: SaeParameters = {
    W_enc: Tensor.from(enc, [dIn, dSae]) as Tensor<'float32'>,
    b_enc: Tensor.zeros([dSae]),
    W_dec: Tensor.from(dec, [dSae, dIn]) as Tensor<'float32'>,
    b_dec: Tensor.zeros([dIn]),
  };
  if (cfg.architecture === 'jumprelu') params.threshold = Tensor.from(new Float32Array(dSae).fill(0.001), [dSae]) as Tensor<'float32'>;
  else if (usesThreshold(cfg)) params.threshold = Tensor.zeros([dSae]);
  return params;
}

const SHAPES: Record<keyof SaeParameters, (cfg: SaeConfig) => number[]> = {
  W_enc: (c) => [c.dIn, c.dSae],
  b_enc: (c) => [c.dSae],
  W_dec: (c) => [c.dSae, c.dIn],
  b_dec: (c) => [c.dIn],
  threshold: (c) => [c.dSae],
};

/**
 * Checks every parameter's shape and dtype; `SHAPE_MISMATCH` / `INVALID_ARGUMENT` otherwise.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { checkParameters, resolveConfig } from '@mechint/sae';
 * const cfg = resolveConfig({ dIn: 2, dSae: 3 });
 * checkParameters(cfg, { W_enc: Tensor.zeros([2, 3]), b_enc: Tensor.zeros([3]), W_dec: Tensor.zeros([3, 2]), b_dec: Tensor.zeros([2]) });
 * ```
 */
export function checkParameters(cfg: SaeConfig, params: SaeParameters): SaeParameters {
  const out: Partial<SaeParameters> = {};
  for (const name of Object.keys(SHAPES) as (keyof SaeParameters)[]) {
    const t = params[name];
    if (t === undefined) {
      if (name === 'threshold') {
        if (cfg.architecture === 'jumprelu') throw new MechintError('INVALID_ARGUMENT', 'A jumprelu SAE needs its threshold [dSae]; pass parameters.threshold.');
        continue;
      }
      throw new MechintError('INVALID_ARGUMENT', `Parameter ${name} is missing; pass W_enc, b_enc, W_dec and b_dec.`);
    }
    const want = SHAPES[name](cfg);
    if (!(t instanceof Tensor) || t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
      throw new MechintError('SHAPE_MISMATCH', `Parameter ${name} must have shape [${want.join(', ')}] for dIn ${cfg.dIn}, dSae ${cfg.dSae}; got [${t instanceof Tensor ? t.shape.join(', ') : typeof t}].`, {
        details: { parameter: name, expected: want },
      });
    }
    out[name] = t.dtype === 'float32' ? (t as Tensor<'float32'>) : (t.clone('float32') as Tensor<'float32'>);
  }
  return out as SaeParameters;
}

/** Transposes a 2-D float32 tensor with an ONNX graph. */
export async function transposed(t: Tensor<'float32'>, backend: Backend): Promise<Tensor<'float32'>> {
  const session = await backend.session(() => transposeGraph().model, { key: 'sae-transpose' });
  return (await session.run({ t }))['out'] as Tensor<'float32'>;
}
