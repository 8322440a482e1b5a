/**
 * Spiking layers as ONNX graphs unrolled in time, following snnTorch's `Leaky`, so that their
 * forward pass runs on any onnxruntime execution provider.
 */
import { GraphBuilder, MechintError, Tensor, type ModelIR, type Value } from '@mechint/core';
import type { ResetMode } from './lif.js';
import { arctan, type SurrogateGradient } from './surrogate.js';
import { requireCount, requireFinite } from './validate.js';

/** Options of {@link emitLeaky}; defaults follow snnTorch's `Leaky`. @example `{ beta: 0.9, threshold: 1, resetMode: 'subtract' }` */
export interface EmitLeakyOptions<D extends 'float32' | 'float64' = 'float32'> {
  /** Membrane decay per step, in [0, 1] (snnTorch clamps it so). */
  beta: number;
  /** Threshold θ. Defaults to 1. */
  threshold?: number;
  /** `'subtract'` (snnTorch's default) or `'zero'`. */
  resetMode?: ResetMode;
  /** Recurrent weights `[n, n]` (PyTorch layout, `out × in`): each step adds `z_{t−1} · Vᵀ` to the input, as snnTorch's `RLeaky` with an all-to-all linear recurrence. */
  recurrent?: Value<D>;
  /** The surrogate the backward pass uses (attach it with `surrogateOverrides(model, layer.surrogate, layer.spikeSteps)`); the forward pass is the Heaviside step whatever it is. Defaults to `arctan()` (snnTorch's default). */
  surrogate?: SurrogateGradient;
}

/** What {@link emitLeaky} returns. @example `const { spikes, membrane, spikeSteps } = emitLeaky(g, current, { beta: 0.9 })` */
export interface LeakyGraph<D extends 'float32' | 'float64' = 'float32'> {
  /** Spikes `[T, batch, n]` (0 / 1). */
  spikes: Value<D>;
  /** Membrane potential `[T, batch, n]`. */
  membrane: Value<D>;
  /**
   * The per-step spike values (`[batch, n]` each): the outputs of the Heaviside steps, where
   * `surrogateOverrides(model, surrogate, spikeSteps)` attaches the surrogate gradient.
   */
  spikeSteps: Value<D>[];
  /** The surrogate recorded for the backward pass. */
  surrogate: SurrogateGradient;
}

/**
 * Emits snnTorch-`Leaky` dynamics over a current `[T, batch, n]` (float32 or float64) with a known
 * `T`, unrolled in time: `U_t = β U_{t−1} + I_t (+ z_{t−1} Vᵀ) − z_{t−1} θ` (subtract) or
 * `U_t = (1 − z_{t−1}) β U_{t−1} + I_t (+ …)` (zero), `z_t = H(U_t − θ)`, from `U = 0`.
 * For training, pass `surrogateOverrides(model, layer.surrogate, layer.spikeSteps)` to core's
 * `gradients` as `nodeOverrides`; the backward pass then runs through every path, the reset's
 * included (snnTorch detaches the reset by default, Norse does not).
 * Throws `SHAPE_MISMATCH` when `T` or `n` is not a known number.
 *
 * @see snnTorch `Leaky` / `RLeaky`; E. O. Neftci, H. Mostafa & F. Zenke, "Surrogate gradient
 * learning in spiking neural networks", IEEE Signal Process. Mag. 36 (2019).
 *
 * @example
 * ```ts
 * import { GraphBuilder } from '@mechint/core';
 * import { emitLeaky } from '@mechint/spiking';
 * const g = new GraphBuilder();
 * const current = g.input('current', 'float32', [20, 'batch', 4]);
 * const { spikes, membrane } = emitLeaky(g, current, { beta: 0.9 });
 * g.output(spikes, 'spikes');
 * g.output(membrane, 'membrane');
 * const model = g.build();
 * ```
 */
export function emitLeaky<D extends 'float32' | 'float64'>(g: GraphBuilder, current: Value<D>, options: EmitLeakyOptions<D>): LeakyGraph<D> {
  const { beta } = options;
  const threshold = options.threshold ?? 1;
  const resetMode = options.resetMode ?? 'subtract';
  if (!(beta >= 0 && beta <= 1)) throw new MechintError('INVALID_ARGUMENT', `beta is a decay factor in [0, 1]; got ${beta}. For a time constant use beta = exp(-dt / tau).`);
  requireFinite(threshold, 'threshold');
  if (resetMode !== 'zero' && resetMode !== 'subtract') throw new MechintError('INVALID_ARGUMENT', `resetMode must be 'zero' or 'subtract'; got '${String(resetMode)}'.`);
  const shape = current.shape;
  const steps = shape?.[0];
  const width = shape?.[2];
  if (shape?.length !== 3 || typeof steps !== 'number' || typeof width !== 'number' || steps < 1) {
    throw new MechintError('SHAPE_MISMATCH', `emitLeaky unrolls a current of shape [T, batch, n] with T and n known numbers; got ${String(current)}.`);
  }
  const surrogate = options.surrogate ?? arctan();
  const membranes: Value<D>[] = [];
  const spikeSteps: Value<D>[] = [];
  let mem: Value<D> | undefined;
  let spike: Value<D> | undefined;
  for (let t = 0; t < steps; t++) {
    let input = g.gather(current, t, { axis: 0 });
    if (options.recurrent !== undefined && spike !== undefined) input = g.add(input, g.matmul(spike, g.transpose(options.recurrent)));
    if (mem === undefined || spike === undefined) mem = input;
    else if (resetMode === 'subtract') mem = g.sub(g.add(g.mul(mem, beta), input), g.mul(spike, threshold));
    else mem = g.add(g.mul(g.mul(mem, beta), g.sub(1, spike)), input);
    spike = surrogate.emitSpike(g, g.sub(mem, threshold));
    membranes.push(g.unsqueeze(mem, [0]));
    spikeSteps.push(spike);
  }
  return {
    spikes: g.concat(spikeSteps.map((s) => g.unsqueeze(s, [0])), 0),
    membrane: g.concat(membranes, 0),
    spikeSteps,
    surrogate,
  };
}

/** Options of {@link buildSpikingLayer}. @example `{ steps: 25, weights: Tensor.from([[0.5, 0.2]]), beta: 0.9 }` */
export interface SpikingLayerOptions extends Omit<EmitLeakyOptions, 'recurrent'> {
  /** Time steps to unroll. */
  steps: number;
  /** Input weights `[outFeatures, inFeatures]` (PyTorch's `Linear` layout), the parameter `weight`. */
  weights: Tensor;
  /** Recurrent weights `[outFeatures, outFeatures]`, the parameter `recurrent`. */
  recurrentWeights?: Tensor;
}

/**
 * A model of one spiking layer, `Linear` then `Leaky` (snnTorch's usual block), unrolled over
 * `steps`: input `x` `[steps, batch, inFeatures]`, outputs `spikes` and `membrane`
 * `[steps, batch, outFeatures]`; weights are the initializers `weight` (and `recurrent`).
 * Throws `SHAPE_MISMATCH` for weights of the wrong rank or sizes.
 *
 * @example
 * ```ts
 * import { Backend, Tensor } from '@mechint/core';
 * import { buildSpikingLayer } from '@mechint/spiking';
 * const model = buildSpikingLayer({ steps: 3, weights: Tensor.from([[1.2]]), beta: 0.5 });
 * const session = await (await Backend.create({ ep: 'cpu' })).session(model);
 * const { spikes } = await session.run({ x: Tensor.from([[[1]], [[1]], [[1]]]) });
 * spikes!.toArray(); // [[[1]], [[0]], [[1]]]
 * ```
 */
export function buildSpikingLayer(options: SpikingLayerOptions): ModelIR {
  requireCount(options.steps, 'steps');
  const w = options.weights;
  if (!(w instanceof Tensor) || w.rank !== 2) throw new MechintError('SHAPE_MISMATCH', 'weights must be a matrix Tensor [outFeatures, inFeatures].');
  const [outFeatures, inFeatures] = w.shape as [number, number];
  const r = options.recurrentWeights;
  if (r !== undefined && (!(r instanceof Tensor) || r.rank !== 2 || r.shape[0] !== outFeatures || r.shape[1] !== outFeatures)) {
    throw new MechintError('SHAPE_MISMATCH', `recurrentWeights must be a Tensor [${outFeatures}, ${outFeatures}].`);
  }
  for (const t of r === undefined ? [w] : [w, r]) for (const x of t.data as Float32Array) requireFinite(Number(x), 'weights');
  const g = new GraphBuilder({ name: 'spiking_layer' });
  const x = g.input('x', 'float32', [options.steps, 'batch', inFeatures]);
  const weight = g.param('weight', w.clone('float32'));
  // [steps · batch, in] × [in, out], a 2-D MatMul: core's gradient of a 2-D weight under a 3-D MatMul fails onnxruntime's shape inference.
  const current = g.reshape(g.matmul(g.reshape(x, [-1, inFeatures]), g.transpose(weight)), [options.steps, -1, outFeatures]);
  const recurrent = r === undefined ? undefined : g.param('recurrent', r.clone('float32'));
  const { spikes, membrane } = emitLeaky(g, current, { ...options, ...(recurrent === undefined ? {} : { recurrent }) });
  g.output(spikes, 'spikes');
  g.output(membrane, 'membrane');
  return g.build();
}
