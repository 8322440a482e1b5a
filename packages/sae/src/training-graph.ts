/**
 * The training step of every architecture as one ONNX graph: forward, loss, backward (core's
 * `gradients`), Adam update and the decoder-norm constraint.
 */
import { GraphBuilder, MechintError, Tensor, gradients, type GradContext, type GradRule, type ModelIR, type Value } from '@mechint/core';
import type { SaeConfig } from './config.js';
import { runTimeNormalizationOps, type RunTimeNormalization } from './normalization.js';

/**
 * Names of the trainable tensors inside training graphs. `W_encT` is the encoder in `[dSae, dIn]`
 * layout (SAELens's `W_enc` transposed): rows of both weight matrices are then gathered and
 * scattered per active latent, so TopK training touches only active rows.
 */
export type ParamName = 'W_encT' | 'b_enc' | 'W_dec' | 'b_dec' | 'log_threshold';

/** What a training graph is built for. */
export interface TrainingGraphOptions {
  /** `'step'`: outputs updated parameters and Adam moments; `'gradients'`: outputs the gradients. */
  mode: 'step' | 'gradients';
  /** TopK only: add the AuxK loss (fed a dead-latent mask). */
  auxK?: boolean;
  /** Renormalise decoder rows to unit norm after the update (step mode). */
  normalizeDecoder?: boolean;
  /** Adam's β₁, β₂, ε (defaults 0.9, 0.999, 1e-8: torch's and SAELens's). */
  adam?: { beta1?: number; beta2?: number; eps?: number };
  /** JumpReLU's straight-through kernel bandwidth ε (default 0.001, SAELens). */
  bandwidth?: number;
}

/** A built training graph and the names of its feeds and results. */
export interface TrainingGraph {
  readonly model: ModelIR;
  readonly params: readonly ParamName[];
  /** Output name of each parameter's gradient (gradients mode). */
  readonly grads: Readonly<Partial<Record<ParamName, string>>>;
  /** A cache key: equal keys build equal graphs. */
  readonly key: string;
}

/**
 * The parameters an architecture trains.
 *
 * @example
 * ```ts
 * import { paramNames, resolveConfig } from '@mechint/sae';
 * paramNames(resolveConfig({ dIn: 4, dSae: 8, architecture: 'jumprelu' })); // ['W_encT', 'b_enc', 'W_dec', 'b_dec', 'log_threshold']
 * ```
 */
export function paramNames(cfg: SaeConfig): ParamName[] {
  const base: ParamName[] = ['W_encT', 'b_enc', 'W_dec', 'b_dec'];
  return cfg.architecture === 'jumprelu' ? [...base, 'log_threshold'] : base;
}

/**
 * The shape of each parameter.
 *
 * @example
 * ```ts
 * import { paramShape, resolveConfig } from '@mechint/sae';
 * paramShape(resolveConfig({ dIn: 4, dSae: 8 }), 'W_encT'); // [8, 4]
 * ```
 */
export function paramShape(cfg: SaeConfig, name: ParamName): number[] {
  switch (name) {
    case 'W_encT':
    case 'W_dec':
      return [cfg.dSae, cfg.dIn];
    case 'b_enc':
    case 'log_threshold':
      return [cfg.dSae];
    case 'b_dec':
      return [cfg.dIn];
  }
}

interface Forward {
  recon: Value<'float32'>;
  /** Loss terms other than the MSE (already scaled by their coefficient). */
  extra: Value<'float32'> | undefined;
  /** Per-latent count of inputs on which the latent fired, [dSae]. */
  fired: Value<'float32'>;
  /** BatchTopK: the smallest selected activation. */
  minActive: Value<'float32'> | undefined;
  overrides: Record<string, GradRule>;
}

/**
 * Builds the training graph. Feeds: `x` [batch, dIn]; each parameter; `l1_coefficient` (standard)
 * or `l0_coefficient` (jumprelu) [1]; with AuxK `dead` [dSae] (1 for dead latents), `k_aux` int64 [1]
 * and `aux_scale` [1]; in step mode `m_<p>`, `v_<p>` per parameter, `step_size` [1] (lr / (1 − β₁ᵗ))
 * and `sqrt_bc2` [1] (√(1 − β₂ᵗ)); with `normalizeActivations: 'expected_average_only_in'`
 * `norm_scale` [1], the estimated factor the batch is multiplied by (SAELens trains on the scaled
 * activations). With `constant_norm_rescale` / `layer_norm` each decoder output (the
 * reconstruction, the AuxK and Matryoshka ones too) goes back through the normalisation's inverse
 * and the MSE compares it with the raw input, as SAELens's `training_forward_pass`. Outputs: `loss`, `mse`, `extra` (scalars), `fired` [dSae], `row_sse` [batch],
 * `min_active` (BatchTopK, Matryoshka), then `<p>__new`, `m_<p>__new`, `v_<p>__new` or the gradients.
 *
 * @example
 * ```ts
 * import { Backend } from '@mechint/core';
 * import { buildTrainingGraph, resolveConfig } from '@mechint/sae';
 * const cfg = resolveConfig({ dIn: 4, dSae: 8, architecture: 'topk', k: 2 });
 * const { model, grads } = buildTrainingGraph(cfg, { mode: 'gradients' });
 * const session = await (await Backend.create()).session(model);
 * console.log(session.outputNames.includes(grads.W_dec!)); // true
 * ```
 */
export function buildTrainingGraph(cfg: SaeConfig, options: TrainingGraphOptions): TrainingGraph {
  const auxK = options.auxK === true;
  if (auxK && cfg.architecture !== 'topk') throw new MechintError('INVALID_ARGUMENT', 'The AuxK loss belongs to TopK SAEs.');
  const beta1 = options.adam?.beta1 ?? 0.9;
  const beta2 = options.adam?.beta2 ?? 0.999;
  const eps = options.adam?.eps ?? 1e-8;
  const bandwidth = options.bandwidth ?? 0.001;
  const normalize = options.normalizeDecoder ?? false;
  const params = paramNames(cfg);
  const g = new GraphBuilder({ name: `sae_train_${cfg.architecture}` });
  const xIn = g.input('x', 'float32', ['batch', cfg.dIn]);
  const x = cfg.normalizeActivations === 'expected_average_only_in' ? g.mul(xIn, g.input('norm_scale', 'float32', [1])) : xIn;
  const p = Object.fromEntries(params.map((n) => [n, g.input(n, 'float32', paramShape(cfg, n))])) as Record<ParamName, Value<'float32'>>;
  const fwd = forwardFor(g, cfg, x, p, { auxK, bandwidth });
  const err = g.sub(fwd.recon, x);
  const rowSse = g.reduceSum(g.mul(err, err), { axes: [1], keepdims: false });
  const mse = g.reduceMean(rowSse, { keepdims: false });
  const loss = fwd.extra === undefined ? g.identity(mse) : g.add(mse, fwd.extra);
  g.output(loss, 'loss');
  g.output(g.identity(mse), 'mse');
  g.output(fwd.extra === undefined ? g.mul(mse, 0) : g.identity(fwd.extra), 'extra');
  g.output(fwd.fired, 'fired');
  g.output(g.identity(rowSse), 'row_sse');
  if (fwd.minActive !== undefined) g.output(fwd.minActive, 'min_active');
  if (options.mode === 'step') {
    const stepSize = g.input('step_size', 'float32', [1]);
    const sqrtBc2 = g.input('sqrt_bc2', 'float32', [1]);
    for (const name of params) {
      const grad = g.input(`grad__${name}`, 'float32', paramShape(cfg, name));
      const m = g.input(`m_${name}`, 'float32', paramShape(cfg, name));
      const v = g.input(`v_${name}`, 'float32', paramShape(cfg, name));
      const m2 = g.add(g.mul(m, beta1), g.mul(grad, 1 - beta1));
      const v2 = g.add(g.mul(v, beta2), g.mul(g.mul(grad, grad), 1 - beta2));
      const denom = g.add(g.div(g.sqrt(v2), sqrtBc2), eps);
      let updated = g.sub(p[name], g.mul(stepSize, g.div(m2, denom)));
      if (name === 'W_dec' && normalize) updated = g.div(updated, g.sqrt(g.reduceSum(g.mul(updated, updated), { axes: [1], keepdims: true })));
      g.output(updated, `${name}__new`);
      g.output(m2, `m_${name}__new`);
      g.output(v2, `v_${name}__new`);
    }
  }
  const built = g.build();
  const nodeOverrides = Object.fromEntries(Object.entries(fwd.overrides).map(([value, rule]) => [built.graph.producerOf(value)!.name, rule]));
  const { model, grads } = gradients(built, { of: 'loss', wrt: params, nodeOverrides });
  if (options.mode === 'step') {
    for (const name of params) {
      const input = `grad__${name}`;
      model.graph.inputs.splice(model.graph.inputs.findIndex((i) => i.name === input), 1);
      model.graph.invalidate();
      model.graph.addNode({ opType: 'Identity', inputs: [grads[name]!], outputs: [input] });
      model.graph.removeOutput(grads[name]!);
    }
  }
  const key = `sae-train:${cfg.architecture}:${cfg.dIn}:${cfg.dSae}:${cfg.k}:${cfg.applyBDecToInput}:${cfg.normalizeActivations}:${cfg.matryoshkaWidths.join(',')}:${options.mode}:${auxK}:${normalize}:${beta1}:${beta2}:${eps}:${bandwidth}`;
  return { model, params, grads: options.mode === 'gradients' ? (grads as Partial<Record<ParamName, string>>) : {}, key };
}

function forwardFor(g: GraphBuilder, cfg: SaeConfig, x: Value<'float32'>, p: Record<ParamName, Value<'float32'>>, o: { auxK: boolean; bandwidth: number }): Forward {
  const norm = runTimeNormalizationOps(g, cfg, x);
  const xc = cfg.applyBDecToInput ? g.sub(norm.input, p.b_dec) : norm.input;
  const pre = g.gemm(xc, p.W_encT, p.b_enc, { transB: true });
  switch (cfg.architecture) {
    case 'topk':
      return topkForward(g, cfg, x, xc, pre, p, o.auxK, norm);
    case 'standard': {
      const acts = g.relu(pre);
      const decNorm = g.sqrt(g.reduceSum(g.mul(p.W_dec, p.W_dec), { axes: [1], keepdims: false }));
      const coefficient = g.input('l1_coefficient', 'float32', [1]);
      const sparsity = g.reduceMean(g.reduceSum(g.mul(acts, decNorm), { axes: [1], keepdims: false }), { keepdims: false });
      return { recon: norm.restore(denseDecode(g, acts, p)), extra: g.mul(g.reshape(coefficient, []), sparsity), fired: firedDense(g, acts), minActive: undefined, overrides: {} };
    }
    case 'jumprelu':
      return jumpReluForward(g, pre, p, o.bandwidth, norm);
    case 'batchtopk':
    case 'matryoshka': {
      const r = g.relu(pre);
      const count = g.mul(g.slice(g.shape(x), { starts: [0], ends: [1] }), cfg.k);
      const [top] = g.topK(g.reshape(r, [-1]), count);
      const threshold = g.reduceMin(top, { keepdims: false });
      const selected = g.and(g.greaterOrEqual(r, threshold), g.greater(r, 0));
      const acts = g.where(selected, r, 0);
      const recon = cfg.architecture === 'batchtopk' ? norm.restore(denseDecode(g, acts, p)) : undefined;
      const fired = firedDense(g, acts);
      if (recon !== undefined) return { recon, extra: undefined, fired, minActive: threshold, overrides: {} };
      return matryoshkaForward(g, cfg, x, acts, p, fired, threshold, norm);
    }
  }
}

function denseDecode(g: GraphBuilder, acts: Value<'float32'>, p: Record<ParamName, Value<'float32'>>): Value<'float32'> {
  return g.add(g.matmul(acts, p.W_dec), p.b_dec);
}

function firedDense(g: GraphBuilder, acts: Value<'float32'>): Value<'float32'> {
  return g.reduceSum(g.cast(g.greater(acts, 0), 'float32'), { axes: [0], keepdims: false });
}

/**
 * TopK without dense latents: the indices come from the dense pre-activations (no gradient flows
 * there), the selected values are recomputed from the gathered encoder rows, and the decoder reads
 * only the selected rows — so the backward pass scatters into k rows per input.
 */
function topkForward(g: GraphBuilder, cfg: SaeConfig, x: Value<'float32'>, xc: Value<'float32'>, pre: Value<'float32'>, p: Record<ParamName, Value<'float32'>>, auxK: boolean, norm: RunTimeNormalization): Forward {
  const k = cfg.k;
  const [, idx] = g.topK(pre, k);
  const rowsE = g.gather(p.W_encT, idx);
  const z = g.add(g.reshape(g.matmul(rowsE, g.unsqueeze(xc, [2])), [-1, k]), g.gather(p.b_enc, idx));
  const vals = g.relu(z);
  const rowsD = g.gather(p.W_dec, idx);
  const recon = norm.restore(g.add(g.reshape(g.matmul(g.unsqueeze(vals, [1]), rowsD), [-1, cfg.dIn]), p.b_dec));
  const fired = g.scatterND(g.constant(Tensor.zeros([cfg.dSae])), g.unsqueeze(idx, [2]), g.cast(g.greater(vals, 0), 'float32'), { reduction: 'add' });
  if (!auxK) return { recon, extra: undefined, fired, minActive: undefined, overrides: {} };
  // AuxK (SAELens calculate_topk_aux_loss): the top k_aux dead pre-activations reconstruct the
  // detached residual; their decoding goes through the same run-time normalisation inverse
  // (SAELens's `decode`; for constant_norm_rescale with the coefficient of this batch).
  const dead = g.input('dead', 'float32', [cfg.dSae]);
  const kAux = g.input('k_aux', 'int64', [1]);
  const scale = g.input('aux_scale', 'float32', [1]);
  const isDead = g.greater(dead, 0);
  const masked = g.where(isDead, pre, -3.4e38);
  const [auxTop] = g.topK(masked, kAux);
  const kth = g.reduceMin(auxTop, { axes: [1], keepdims: true });
  const auxActs = g.where(g.and(g.greaterOrEqual(masked, kth), isDead), pre, 0);
  const residual = g.identity(g.sub(x, recon));
  const auxErr = g.sub(norm.restore(denseDecode(g, auxActs, p)), residual);
  const auxLoss = g.reduceMean(g.reduceSum(g.mul(auxErr, auxErr), { axes: [1], keepdims: false }), { keepdims: false });
  return { recon, extra: g.mul(g.reshape(scale, []), auxLoss), fired, minActive: undefined, overrides: { [residual.name]: () => [undefined] } };
}

/**
 * JumpReLU `z · H(z − θ)`, θ = exp(log_threshold), with SAELens's straight-through estimators:
 * ∂/∂z = H(z − θ) · g; ∂/∂θ = −(θ/ε)·K((z − θ)/ε)·g for the activation and −(1/ε)·K(·)·g for the
 * L0 term, K the rectangle kernel 1[|u| < ½].
 */
function jumpReluForward(g: GraphBuilder, pre: Value<'float32'>, p: Record<ParamName, Value<'float32'>>, bandwidth: number, norm: RunTimeNormalization): Forward {
  const theta = g.exp(p.log_threshold);
  const d = g.sub(pre, theta);
  const s = g.sign(d);
  const step = g.relu(s);
  const acts = g.mul(pre, step);
  const coefficient = g.input('l0_coefficient', 'float32', [1]);
  const l0 = g.reduceMean(g.reduceSum(step, { axes: [1], keepdims: false }), { keepdims: false });
  const overrides: Record<string, GradRule> = {
    [d.name]: (ctx: GradContext) => [undefined, ctx.reduceLike(ctx.op('Neg', [ctx.grad(0)!]), ctx.input(1))],
    [s.name]: (ctx: GradContext) => {
      const u = ctx.op('Abs', [ctx.input(0)]);
      const inside = ctx.op('Less', [u, ctx.scalar(bandwidth / 2, ctx.input(0))]);
      return [ctx.op('Where', [inside, ctx.op('Mul', [ctx.grad(0)!, ctx.scalar(1 / bandwidth, ctx.input(0))]), ctx.scalar(0, ctx.input(0))])];
    },
    [step.name]: (ctx: GradContext) => [ctx.grad(0)],
    [acts.name]: (ctx: GradContext) => [ctx.op('Mul', [ctx.grad(0)!, ctx.input(1)]), ctx.op('Mul', [ctx.grad(0)!, ctx.op('Exp', [p.log_threshold.name])])],
  };
  return { recon: norm.restore(denseDecode(g, acts, p)), extra: g.mul(g.reshape(coefficient, []), l0), fired: firedDense(g, acts), minActive: undefined, overrides };
}

/**
 * Matryoshka: each nested prefix of the dictionary (widths w₁ < … < dSae) reconstructs the input
 * on its own; the loss adds the prefixes' MSEs (the full dictionary's is the main MSE).
 */
function matryoshkaForward(g: GraphBuilder, cfg: SaeConfig, x: Value<'float32'>, acts: Value<'float32'>, p: Record<ParamName, Value<'float32'>>, fired: Value<'float32'>, threshold: Value<'float32'>, norm: RunTimeNormalization): Forward {
  let partial: Value<'float32'> = g.add(g.mul(x, 0), p.b_dec);
  let extra: Value<'float32'> | undefined;
  let start = 0;
  for (const width of cfg.matryoshkaWidths) {
    const block = g.matmul(g.slice(acts, { starts: [start], ends: [width], axes: [1] }), g.slice(p.W_dec, { starts: [start], ends: [width], axes: [0] }));
    partial = g.add(partial, block);
    start = width;
    if (width === cfg.dSae) break;
    const err = g.sub(norm.restore(partial), x);
    const mse = g.reduceMean(g.reduceSum(g.mul(err, err), { axes: [1], keepdims: false }), { keepdims: false });
    extra = extra === undefined ? mse : g.add(extra, mse);
  }
  return { recon: norm.restore(partial), extra, fired, minActive: threshold, overrides: {} };
}
