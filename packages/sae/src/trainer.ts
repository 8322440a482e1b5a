/**
 * `SAETrainer`: trains a {@link SparseAutoencoder} on onnxruntime, one graph run per step.
 */
import { Backend, DeviceTensor, MechintError, Tensor, type ExecutionProvider } from '@mechint/core';
import { batchStream, type ActivationSource, type BatchStream } from './batches.js';
import { readCheckpoint, writeCheckpoint, type TrainerState } from './checkpoint.js';
import { checkNormalizeActivations, type NormalizeActivations } from './config.js';
import { geometricMedian, columnMean } from './init.js';
import { meanRowNorm, normScalingFactor } from './normalization.js';
import { resampleDead } from './resample.js';
import { SparseAutoencoder, transposed } from './sparse-autoencoder.js';
import { buildTrainingGraph, paramNames, paramShape, type ParamName } from './training-graph.js';

/**
 * Options of {@link SAETrainer}. Defaults follow SAELens's `LanguageModelSAERunnerConfig` where it
 * has the field (lr 3e-4, Adam β 0.9 / 0.999, batch 4096, l1 coefficient 1, AuxK coefficient 1,
 * dead-feature window 1000 steps, no warm-up or decay, b_dec initialised to zeros).
 *
 * @example
 * ```ts
 * import type { SAETrainerOptions } from '@mechint/sae';
 * const options: SAETrainerOptions = { lr: 4e-4, batchSize: 4096, ep: 'cpu', lrWarmUpSteps: 100 };
 * ```
 */
export interface SAETrainerOptions {
  /** Learning rate (default 3e-4). */
  lr?: number;
  /** Rows per step (default 4096). */
  batchSize?: number;
  /** Execution provider (default `'cpu'`); ignored when `backend` is given. */
  ep?: ExecutionProvider;
  /** Backend to run on. */
  backend?: Backend;
  /** CPU threads per operator when the trainer creates its backend (default: onnxruntime's choice). */
  intraOpNumThreads?: number;
  /** Adam β₁ (default 0.9). */
  adamBeta1?: number;
  /** Adam β₂ (default 0.999). */
  adamBeta2?: number;
  /** Linear learning-rate warm-up from lr/warmUp to lr over this many steps (default 0). */
  lrWarmUpSteps?: number;
  /** Linear decay to `lrEnd` over the last this-many steps of a run (default 0: none). */
  lrDecaySteps?: number;
  /** Learning rate at the end of the decay (default lr / 10, SAELens's lr_end). */
  lrEnd?: number;
  /** Standard SAEs: the L1 coefficient (default 1). */
  l1Coefficient?: number;
  /** Standard SAEs: linear warm-up of the L1 coefficient from 0 over this many steps (default 0). */
  l1WarmUpSteps?: number;
  /** JumpReLU: the L0 coefficient (default 1). */
  l0Coefficient?: number;
  /** JumpReLU: straight-through kernel bandwidth (default 0.001). */
  bandwidth?: number;
  /** TopK: the AuxK loss coefficient (default 1; 0 turns AuxK off). */
  auxKCoefficient?: number;
  /** BatchTopK / Matryoshka: rate of the running inference-threshold average (default 0.01). */
  thresholdLr?: number;
  /** Initialise b_dec from the first batch: `'zeros'` (default), `'mean'`, `'geometric_median'`. */
  bDecInit?: 'zeros' | 'mean' | 'geometric_median';
  /** Steps without firing after which a latent counts as dead (default 1000). */
  deadFeatureWindow?: number;
  /** Renormalise decoder rows to unit norm after each step (default: true for topk, batchtopk, matryoshka). */
  normalizeDecoder?: boolean;
  /** Seed of the data order (default 0). */
  seed?: number;
  /**
   * Every this many steps, resample latents that have not fired for this many steps (Anthropic's
   * 2023 scheme, see `resampleDead`; default 0: off — TopK SAEs rely on AuxK instead).
   */
  resampleDeadEvery?: number;
  /**
   * Activation normalisation (SAELens's `normalize_activations`; default: the SAE's
   * `cfg.normalizeActivations`, `'none'` unless set). The value is recorded in the SAE's config.
   * - `'expected_average_only_in'`: before the first step, s = √d_in / mean‖x‖ is estimated over
   *   `normEstimateBatches` batches drawn from the data (SAELens's `estimate_norm_scaling_factor`:
   *   the mean of the batches' mean row norms); every batch is multiplied by s; at the end s is
   *   folded into the weights (`foldActivationNormScalingFactor`) and the SAE reads raw
   *   activations with `normalizeActivations: 'none'`. Checkpoints keep the unfolded weights and s.
   * - `'constant_norm_rescale'`, `'layer_norm'`: the SAE normalises each row itself, in training
   *   as at inference; the MSE compares the de-normalised reconstruction with the raw input.
   */
  normalizeActivations?: NormalizeActivations;
  /** Batches the `expected_average_only_in` factor is estimated over (default 1000, SAELens's `n_batches_for_norm_estimate`). */
  normEstimateBatches?: number;
}

/** What `onProgress` receives after each step. */
export interface TrainProgress {
  step: number;
  steps: number;
  loss: number;
  mse: number;
  /** The sparsity / auxiliary / nested-prefix loss term. */
  extra: number;
  /** Mean active latents per row in this batch. */
  l0: number;
  /** Latents that have not fired for more than `deadFeatureWindow` steps. */
  deadFeatures: number;
  lr: number;
  /** Latents resampled after this step. */
  resampled: number;
}

/** Options of {@link SAETrainer.train}. */
export interface TrainOptions {
  /** Steps to run in total (a resumed run counts the steps already done). */
  steps: number;
  onProgress?: (progress: TrainProgress) => void;
  /** Aborting stops after the current step with `ABORTED`; the last checkpoint stays intact. */
  signal?: AbortSignal;
  /** Write a checkpoint folder `step_<n>` into `dir` every `every` steps and at the end; keep the newest `keep` (default 2). */
  checkpoint?: { dir: string; every: number; keep?: number };
  /** A checkpoint folder to resume from (see `latestCheckpoint`). */
  resumeFrom?: string;
}

/** The outcome of {@link SAETrainer.train}. */
export interface TrainResult {
  steps: number;
  rows: number;
  loss: number;
  mse: number;
  l0: number;
  deadFeatures: number;
  /** The last checkpoint written, if any. */
  checkpoint: string | undefined;
  /** `expected_average_only_in`: the factor s the data were scaled by and that was folded into the weights. */
  normScalingFactor?: number;
}

/**
 * Trains an SAE: each step (forward, loss, backward by `@mechint/core`'s `gradients`, Adam, the
 * decoder-norm constraint) is one onnxruntime graph run; parameters and Adam state are fed back
 * between steps. TopK training gathers and scatters only the k selected encoder / decoder rows.
 *
 * @example
 * ```ts
 * import { SparseAutoencoder, SAETrainer } from '@mechint/sae';
 * import { Tensor } from '@mechint/core';
 * const sae = new SparseAutoencoder({ dIn: 8, dSae: 32, architecture: 'topk', k: 2 });
 * const data = Tensor.from(new Float32Array(256 * 8).map((_, i) => Math.sin(i)), [256, 8]);
 * const result = await new SAETrainer(sae, { batchSize: 64, lr: 1e-3 }).train(data, { steps: 20 });
 * result.steps; // 20
 * ```
 */
export class SAETrainer {
  readonly sae: SparseAutoencoder;
  readonly #options: SAETrainerOptions;
  #backend: Backend | undefined;
  /** BatchTopK / Matryoshka running inference threshold. */
  #threshold = 0;

  constructor(sae: SparseAutoencoder, options: SAETrainerOptions = {}) {
    if (!(sae instanceof SparseAutoencoder)) throw new MechintError('INVALID_ARGUMENT', 'SAETrainer takes a SparseAutoencoder as its first argument.');
    for (const key of ['lr', 'batchSize', 'deadFeatureWindow'] as const) {
      const v = options[key];
      if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new MechintError('INVALID_ARGUMENT', `${key} must be a positive number; got ${String(v)}.`);
    }
    if (options.batchSize !== undefined && !Number.isSafeInteger(options.batchSize)) throw new MechintError('INVALID_ARGUMENT', `batchSize must be an integer; got ${options.batchSize}.`);
    if (options.normalizeActivations !== undefined) checkNormalizeActivations(options.normalizeActivations, 'normalizeActivations');
    if (options.normEstimateBatches !== undefined && !(Number.isSafeInteger(options.normEstimateBatches) && options.normEstimateBatches > 0)) {
      throw new MechintError('INVALID_ARGUMENT', `normEstimateBatches must be a positive integer; got ${String(options.normEstimateBatches)}.`);
    }
    this.sae = sae;
    this.#options = options;
    this.#backend = options.backend;
  }

  /** Trains for `options.steps` steps on `activations` (a tensor [n, dIn] or a stream of them). */
  async train(activations: ActivationSource, options: TrainOptions): Promise<TrainResult> {
    const o = this.#options;
    if (!Number.isSafeInteger(options?.steps) || options.steps < 0) throw new MechintError('INVALID_ARGUMENT', `steps must be a non-negative integer; got ${String(options?.steps)}.`);
    if (options.checkpoint !== undefined && !(Number.isSafeInteger(options.checkpoint.every) && options.checkpoint.every > 0)) {
      throw new MechintError('INVALID_ARGUMENT', `checkpoint.every must be a positive integer; got ${String(options.checkpoint.every)}.`);
    }
    if (options.signal?.aborted === true) throw new MechintError('ABORTED', 'Training was aborted before it started.');
    const normalization = o.normalizeActivations ?? this.sae.cfg.normalizeActivations;
    if (normalization !== this.sae.cfg.normalizeActivations) this.sae.setNormalizeActivations(normalization);
    const { cfg } = this.sae;
    const batchSize = o.batchSize ?? 4096;
    const window = o.deadFeatureWindow ?? 1000;
    const lr = o.lr ?? 3e-4;
    const beta1 = o.adamBeta1 ?? 0.9;
    const beta2 = o.adamBeta2 ?? 0.999;
    const normalize = o.normalizeDecoder ?? (cfg.architecture === 'topk' || cfg.architecture === 'batchtopk' || cfg.architecture === 'matryoshka');
    const auxCoefficient = o.auxKCoefficient ?? 1;
    const backend = (this.#backend ??= await Backend.create({ ep: o.ep ?? 'cpu', ...(o.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: o.intraOpNumThreads }) }));

    const resumed = options.resumeFrom === undefined ? undefined : await readCheckpoint(options.resumeFrom);
    if (resumed !== undefined) {
      const p = resumed.sae.parameters();
      if (p.W_enc.shape[0] !== cfg.dIn || p.W_enc.shape[1] !== cfg.dSae) {
        throw new MechintError('SHAPE_MISMATCH', `The checkpoint holds a [${p.W_enc.shape.join(', ')}] encoder; this SAE is [${cfg.dIn}, ${cfg.dSae}].`);
      }
      this.sae.setParameters({ ...p, ...(cfg.architecture === 'jumprelu' || p.threshold === undefined ? {} : { threshold: p.threshold }) });
    }
    const state = resumed?.state;
    const stream = batchStream(activations, cfg.dIn, batchSize, o.seed ?? 0, state?.rows ?? 0);
    const normScale = normalization !== 'expected_average_only_in' ? undefined : (state?.scalars['norm_scaling_factor'] ?? (await this.estimateNormScalingFactor(stream, backend)));
    const names = paramNames(cfg);
    // Parameters and Adam moments stay on the device between steps (GPU buffers on WebGPU); they
    // come to the host only for resampling, checkpoints and the end of training.
    const params: Resident = await this.trainingParameters(backend, state);
    const moments: Resident = {};
    for (const n of names) {
      moments[`m_${n}`] = state?.tensors[`m_${n}`] ?? Tensor.zeros(paramShape(cfg, n));
      moments[`v_${n}`] = state?.tensors[`v_${n}`] ?? Tensor.zeros(paramShape(cfg, n));
    }
    const sinceFired = new Float32Array(state?.tensors['steps_since_fired']?.data ?? new Float32Array(cfg.dSae));
    const windowFired = new Float32Array(state?.tensors['window_fired']?.data ?? new Float32Array(cfg.dSae));
    let windowRows = state?.scalars['window_rows'] ?? 0;
    this.#threshold = state?.scalars['threshold'] ?? 0;
    let step = state?.step ?? 0;
    let last = { loss: NaN, mse: NaN, l0: NaN };
    let lastCheckpoint: string | undefined;
    const snapshot = async (hostParams: Record<string, Tensor<'float32'>>): Promise<TrainerState> => ({
      step,
      rows: stream.rows,
      tensors: { ...(await toHost(moments)), ...(hostParams['log_threshold'] === undefined ? {} : { log_threshold: hostParams['log_threshold'] }), steps_since_fired: Tensor.from(sinceFired.slice(), [cfg.dSae]) as Tensor<'float32'>, window_fired: Tensor.from(windowFired.slice(), [cfg.dSae]) as Tensor<'float32'> },
      scalars: { window_rows: windowRows, threshold: this.#threshold, ...(normScale === undefined ? {} : { norm_scaling_factor: normScale }) },
    });

    while (step < options.steps) {
      if (isAborted(options.signal)) throw new MechintError('ABORTED', `Training was aborted after step ${step}${lastCheckpoint === undefined ? '' : `; the last checkpoint is ${lastCheckpoint}`}.`);
      const x = await stream.next();
      if (x === undefined) break;
      if (step === 0 && state === undefined && (o.bDecInit ?? 'zeros') !== 'zeros') {
        const init = o.bDecInit === 'mean' ? await columnMean(x, backend) : await geometricMedian(x, backend);
        // The mean and the geometric median commute with scaling, so b_dec of the scaled batch is s · b_dec.
        params['b_dec'] = normScale === undefined ? init : (Tensor.from(Float32Array.from(init.data, (v) => v * normScale), [cfg.dIn]) as Tensor<'float32'>);
      }
      const deadCount = sinceFired.reduce((c, s) => c + (s > window ? 1 : 0), 0);
      const auxK = cfg.architecture === 'topk' && auxCoefficient > 0 && deadCount > 0;
      const graph = () => buildTrainingGraph(cfg, { mode: 'step', auxK, normalizeDecoder: normalize, adam: { beta1, beta2 }, ...(o.bandwidth === undefined ? {} : { bandwidth: o.bandwidth }) }).model;
      const key = `sae-train:${cfg.architecture}:${cfg.dIn}:${cfg.dSae}:${cfg.k}:${cfg.applyBDecToInput}:${cfg.normalizeActivations}:${cfg.matryoshkaWidths.join(',')}:${auxK}:${normalize}:${beta1}:${beta2}:${o.bandwidth ?? 0.001}`;
      const deviceOutputs = names.flatMap((n) => [`${n}__new`, `m_${n}__new`, `v_${n}__new`]);
      const session = await backend.session(graph, { key, deviceOutputs });
      const t = step + 1;
      const lrNow = this.learningRate(step, options.steps, lr);
      const feeds: Record<string, Tensor | DeviceTensor> = { x, ...params, ...moments, step_size: scalar(lrNow / (1 - beta1 ** t)), sqrt_bc2: scalar(Math.sqrt(1 - beta2 ** t)) };
      if (normScale !== undefined) feeds['norm_scale'] = scalar(normScale);
      if (cfg.architecture === 'standard') feeds['l1_coefficient'] = scalar((o.l1Coefficient ?? 1) * Math.min(1, o.l1WarmUpSteps ? t / o.l1WarmUpSteps : 1));
      if (cfg.architecture === 'jumprelu') feeds['l0_coefficient'] = scalar(o.l0Coefficient ?? 1);
      if (auxK) {
        const kAux = Math.floor(cfg.dIn / 2);
        feeds['dead'] = Tensor.from(sinceFired.map((s) => (s > window ? 1 : 0)), [cfg.dSae]);
        feeds['k_aux'] = Tensor.from([BigInt(Math.min(kAux, deadCount))], [1], 'int64');
        feeds['aux_scale'] = scalar(Math.min(deadCount / kAux, 1) * auxCoefficient);
      }
      const { host: out, device } = await session.runResident(feeds);
      for (const n of names) {
        for (const [record, name, output] of [[params, n, `${n}__new`], [moments, `m_${n}`, `m_${n}__new`], [moments, `v_${n}`, `v_${n}__new`]] as const) {
          const previous = record[name];
          if (previous instanceof DeviceTensor) previous.dispose();
          record[name] = device[output]!;
        }
      }
      const fired = out['fired']!.data as Float32Array;
      let active = 0;
      for (let j = 0; j < cfg.dSae; j++) {
        active += fired[j]!;
        windowFired[j]! += fired[j]!;
        sinceFired[j] = fired[j]! > 0 ? 0 : sinceFired[j]! + 1;
      }
      windowRows += batchSize;
      const minActive = out['min_active']?.data[0] as number | undefined;
      if (minActive !== undefined && minActive > 0) {
        const rate = o.thresholdLr ?? 0.01;
        this.#threshold = this.#threshold === 0 ? minActive : (1 - rate) * this.#threshold + rate * minActive;
      }
      step++;
      let resampled = 0;
      const every = o.resampleDeadEvery ?? 0;
      if (every > 0 && step % every === 0) {
        const dead = [...sinceFired.keys()].filter((j) => sinceFired[j]! >= every);
        const seen = normScale === undefined ? x : (Tensor.from(Float32Array.from(x.data, (v) => v * normScale), [...x.shape]) as Tensor<'float32'>);
        resampled = resampleDead({ params: await bringHome(params), moments: await bringHome(moments) }, dead, seen, out['row_sse']!.data as Float32Array, (o.seed ?? 0) * 7919 + step);
        for (const j of dead) sinceFired[j] = 0;
      }
      last = { loss: out['loss']!.data[0] as number, mse: out['mse']!.data[0] as number, l0: active / batchSize };
      if (step % window === 0) {
        this.sae.logSparsity = logDensity(windowFired, windowRows);
        windowFired.fill(0);
        windowRows = 0;
      }
      options.onProgress?.({ step, steps: options.steps, loss: last.loss, mse: last.mse, extra: out['extra']!.data[0] as number, l0: last.l0, deadFeatures: sinceFired.reduce((c, s) => c + (s > window ? 1 : 0), 0), lr: lrNow, resampled });
      if (options.checkpoint !== undefined && (step % options.checkpoint.every === 0 || step === options.steps)) {
        const hostParams = await toHost(params);
        await this.publish(hostParams, backend, windowFired, windowRows);
        lastCheckpoint = await writeCheckpoint(options.checkpoint.dir, this.sae, await snapshot(hostParams), options.checkpoint.keep ?? 2);
      }
    }
    await this.publish(await toHost(params), backend, windowFired, windowRows);
    if (normScale !== undefined) await this.sae.foldActivationNormScalingFactor(normScale, { backend });
    return {
      steps: step,
      rows: stream.rows,
      ...last,
      deadFeatures: sinceFired.reduce((c, s) => c + (s > window ? 1 : 0), 0),
      checkpoint: lastCheckpoint,
      ...(normScale === undefined ? {} : { normScalingFactor: normScale }),
    };
  }

  /**
   * SAELens's `estimate_norm_scaling_factor`: √d_in / the mean over `normEstimateBatches` batches
   * of each batch's mean row norm. The batches come from (and are used up from) the training data.
   */
  private async estimateNormScalingFactor(stream: BatchStream, backend: Backend): Promise<number> {
    const norms: number[] = [];
    for (let b = 0; b < (this.#options.normEstimateBatches ?? 1000); b++) {
      const x = await stream.next();
      if (x === undefined) break;
      norms.push(await meanRowNorm(x, backend));
    }
    if (norms.length === 0) throw new MechintError('INVALID_ARGUMENT', 'The activations ran out before one batch was read to estimate the expected_average_only_in scaling factor; pass more data or a smaller batchSize.');
    return normScalingFactor(this.sae.cfg.dIn, norms);
  }

  /** The learning rate at `step`: linear warm-up, constant, linear decay to lrEnd over the last lrDecaySteps. */
  private learningRate(step: number, steps: number, lr: number): number {
    const warm = this.#options.lrWarmUpSteps ?? 0;
    const decay = this.#options.lrDecaySteps ?? 0;
    if (warm > 0 && step < warm) return (lr * (step + 1)) / warm;
    const decayStart = steps - decay;
    if (decay > 0 && step >= decayStart) {
      const end = this.#options.lrEnd ?? lr / 10;
      return lr + ((end - lr) * (step - decayStart + 1)) / decay;
    }
    return lr;
  }

  /** Parameters in the training layout (W_encT), from the SAE or a checkpoint. */
  private async trainingParameters(backend: Backend, state: TrainerState | undefined): Promise<Record<string, Tensor<'float32'>>> {
    const { cfg } = this.sae;
    const p = this.sae.parameters();
    const out: Record<string, Tensor<'float32'>> = { W_encT: await transposed(p.W_enc, backend), b_enc: p.b_enc, W_dec: p.W_dec, b_dec: p.b_dec };
    if (cfg.architecture === 'jumprelu') {
      out['log_threshold'] = state?.tensors['log_threshold'] ?? (Tensor.from(Float32Array.from(p.threshold!.data, Math.log), [cfg.dSae]) as Tensor<'float32'>);
    }
    return out satisfies Partial<Record<ParamName, Tensor<'float32'>>>;
  }

  /** Writes the training parameters back into the SAE in SAELens's layout. */
  private async publish(params: Record<string, Tensor<'float32'>>, backend: Backend, windowFired: Float32Array, windowRows: number): Promise<void> {
    const { cfg } = this.sae;
    let threshold: Tensor<'float32'> | undefined;
    if (cfg.architecture === 'jumprelu') threshold = Tensor.from(Float32Array.from(params['log_threshold']!.data, Math.exp), [cfg.dSae]) as Tensor<'float32'>;
    else if (cfg.architecture === 'batchtopk' || cfg.architecture === 'matryoshka') threshold = Tensor.from(new Float32Array(cfg.dSae).fill(this.#threshold), [cfg.dSae]) as Tensor<'float32'>;
    this.sae.setParameters({ W_enc: await transposed(params['W_encT']!, backend), b_enc: params['b_enc']!, W_dec: params['W_dec']!, b_dec: params['b_dec']!, ...(threshold === undefined ? {} : { threshold }) });
    if (windowRows > 0) this.sae.logSparsity = logDensity(windowFired, windowRows);
  }
}

/** Training tensors by name: on the host, or left on the device by the last step. */
type Resident = Record<string, Tensor<'float32'> | DeviceTensor>;

/** Host copies of `tensors` (device tensors are downloaded and stay valid). */
async function toHost(tensors: Resident): Promise<Record<string, Tensor<'float32'>>> {
  const entries = await Promise.all(Object.entries(tensors).map(async ([name, t]) => [name, t instanceof DeviceTensor ? ((await t.toHost()) as Tensor<'float32'>) : t] as const));
  return Object.fromEntries(entries);
}

/** Moves every device tensor of `tensors` to the host in place (freeing the device copy) for host-side edits. */
async function bringHome(tensors: Resident): Promise<Record<string, Tensor<'float32'>>> {
  const host = await toHost(tensors);
  for (const [name, t] of Object.entries(tensors)) {
    if (t instanceof DeviceTensor) t.dispose();
    tensors[name] = host[name]!;
  }
  return host;
}

/** Whether the signal has fired (a function, so TypeScript re-reads it in loops). */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function scalar(v: number): Tensor<'float32'> {
  return Tensor.from(new Float32Array([v]), [1]) as Tensor<'float32'>;
}

/** log10(density + 1e-10), SAELens's `log_feature_sparsity`. */
function logDensity(fired: Float32Array, rows: number): Tensor<'float32'> {
  return Tensor.from(Float32Array.from(fired, (f) => Math.log10(f / rows + 1e-10)), [fired.length]) as Tensor<'float32'>;
}
