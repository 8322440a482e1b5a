/**
 * Layer attributions: to a hook point instead of the input (Captum's `LayerActivation`,
 * `LayerIntegratedGradients`, `LayerConductance`).
 */
import { HookedModel, MechintError, Tensor } from '@mechint/core';
import { approximation, type IntegrationMethod } from './integrated-gradients.js';
import {
  checkAborted,
  checkBatching,
  checkInputs,
  dataOf,
  expandedGradients,
  expandedValues,
  itemSize,
  outputOf,
  ensure,
  resolveBaselines,
  resolveTarget,
  type AttributionOptions,
  type Baseline,
  type BatchingOptions,
  type Inputs,
} from './internal.js';

/** Options of {@link layerActivation}. */
export interface LayerActivationOptions {
  /** The hook point (e.g. `'blocks.0.hook_resid_pre'`, `'conv1.output'`). */
  layer: string;
}

/**
 * The activation of a hook point (Captum's `LayerActivation`), one session call.
 *
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { layerActivation } from '@mechint/attribution';
 * const model = await HookedModel.load('packages/core/test/fixtures/cnn.onnx');
 * const images = Tensor.zeros([2, 1, 8, 8]);
 * const { attributions } = await layerActivation(model, { images }, { layer: 'fc.output' });
 * console.log(attributions.shape); // [2, 10]
 * ```
 */
export async function layerActivation(model: HookedModel, inputs: Inputs, options: LayerActivationOptions): Promise<{ attributions: Tensor }> {
  model.hookPoint(options.layer);
  const { cache } = await model.runWithCache(inputs, { hooks: [options.layer] });
  return { attributions: cache.get(options.layer) };
}

/** Options of {@link layerIntegratedGradients}. */
export interface LayerIntegratedGradientsOptions extends AttributionOptions, BatchingOptions {
  /** The hook point whose output is attributed (Captum's `layer`, `attribute_to_layer_input=False`). */
  layer: string;
  /**
   * Baseline inputs by input name (default 0, as Captum); the path runs from the layer's
   * activation at the baselines to its activation at the inputs. Integer inputs (tokens) take a
   * number (e.g. a pad token id) or a tensor shaped like the input.
   */
  baselines?: Readonly<Record<string, Baseline>>;
  /** Integration steps (default 50, as Captum). */
  nSteps?: number;
  /** Approximation (default `'gausslegendre'`, as Captum). */
  method?: IntegrationMethod;
  /** Also return Σ attributions − (f(x) − f(baseline)) per item (default `false`). */
  returnConvergenceDelta?: boolean;
}

const tails = new WeakMap<HookedModel, Map<string, Promise<{ model: HookedModel; feeds: string[] }>>>();

/** The model from a hook point's value (and whatever graph inputs it still needs) to `output`, cached. */
function tailOf(model: HookedModel, value: string, output: string): Promise<{ model: HookedModel; feeds: string[] }> {
  const byModel = tails.get(model) ?? new Map<string, Promise<{ model: HookedModel; feeds: string[] }>>();
  tails.set(model, byModel);
  const key = `${value}→${output}`;
  let tail = byModel.get(key);
  if (tail === undefined) {
    tail = (async () => {
      let cut = [value];
      for (;;) {
        try {
          return { model: await HookedModel.load(model.model.extract(cut, [output]), { backend: model.backend, probe: false }), feeds: cut };
        } catch (e) {
          const missing = MechintError.isInstance(e) ? (e.details['missing'] as string[] | undefined) : undefined;
          if (missing === undefined || !missing.every((m) => model.model.graph.feedNames.includes(m)) || cut.length > 1) throw e;
          cut = [value, ...missing];
        }
      }
    })();
    byModel.set(key, tail);
  }
  return tail;
}

/** Each input's rows `[x; baseline]` (any dtype). */
function withBaselines(inputs: Inputs, names: readonly string[], baselines: Readonly<Record<string, Baseline>> | undefined): Record<string, Tensor> {
  const floats = resolveBaselines(inputs, names, Object.fromEntries(Object.entries(baselines ?? {}).filter(([n]) => names.includes(n))));
  return Object.fromEntries(
    Object.entries(inputs).map(([name, t]) => {
      if (names.includes(name)) return [name, new Tensor('float32', Float32Array.from([...dataOf(t), ...floats[name]!]), [2 * t.shape[0]!, ...t.shape.slice(1)])];
      const b = baselines?.[name] ?? 0;
      const base = typeof b === 'number' ? Array.from(t.data as ArrayLike<number | bigint>, () => (t.dtype === 'int64' ? BigInt(b) : b)) : Array.from(b.data as ArrayLike<number | bigint>);
      ensure(base.length === t.size, `Baseline for '${name}' must be a number or shaped like the input [${t.shape.join(', ')}].`, 'SHAPE_MISMATCH');
      return [name, Tensor.from([...Array.from(t.data as ArrayLike<number | bigint>), ...base] as number[], [2 * t.shape[0]!, ...t.shape.slice(1)], t.dtype)];
    }),
  );
}

/**
 * Layer integrated gradients (Captum's `LayerIntegratedGradients`): integrated gradients of the
 * target with respect to a hook point's activation, along the straight path from its activation
 * at the baselines to its activation at the inputs. The model past the hook point runs as its own
 * graph (extracted once and cached), fed the interpolated activations in batched calls.
 *
 * @see https://arxiv.org/abs/1703.01365
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { layerIntegratedGradients } from '@mechint/attribution';
 * const model = await HookedModel.load('packages/core/test/fixtures/cnn.onnx');
 * const images = Tensor.from(new Float32Array(64).fill(0.5), [1, 1, 8, 8]);
 * const { attributions } = await layerIntegratedGradients(model, { images }, { target: [0], layer: 'conv2.output' });
 * console.log(attributions.shape); // [1, 32, 4, 4]
 * ```
 */
export async function layerIntegratedGradients(model: HookedModel, inputs: Inputs, options: LayerIntegratedGradientsOptions): Promise<{ attributions: Tensor<'float32'>; delta?: Float32Array }> {
  const feeds = model.model.graph.feedNames;
  ensure(feeds.every((n) => n in inputs) && Object.keys(inputs).every((n) => feeds.includes(n)), `Inputs must be exactly the model's inputs [${feeds.join(', ')}].`);
  checkBatching(options);
  const { alphas, weights } = approximation(options.method ?? 'gausslegendre', options.nSteps ?? 50);
  const hook = model.hookPoint(options.layer);
  const output = outputOf(model, options.output);
  const batch = inputs[feeds[0]!]!.shape[0]!;
  const floats = feeds.filter((n) => inputs[n]!.dtype === 'float32');
  const seeds = await resolveTarget(model, output, inputs, batch, options.target);
  const { cache } = await model.runWithCache(withBaselines(inputs, floats, options.baselines), { hooks: [options.layer] });
  const both = cache.get(options.layer).clone('float32');
  const tail = await tailOf(model, hook.value, output);
  const layerShape = [batch, ...both.shape.slice(1)];
  const size = layerShape.slice(1).reduce((a, b) => a * b, 1);
  const act = both.data as Float32Array;
  const tailInputs: Record<string, Tensor> = Object.fromEntries(tail.feeds.map((n, i) => [n, i === 0 ? new Tensor('float32', act.slice(0, batch * size), layerShape) : inputs[n]!]));
  const { grads } = await expandedGradients(tail.model, tailInputs, [hook.value], batch, seeds, {
    rows: alphas.length * batch,
    itemOf: (r) => r % batch,
    fill: (_name, r, dst) => {
      const b = r % batch;
      const a = alphas[Math.floor(r / batch)]!;
      for (let k = 0; k < size; k++) dst[k] = act[(batch + b) * size + k]! + a * (act[b * size + k]! - act[(batch + b) * size + k]!);
    },
  }, { ...options, output });
  const out = new Float32Array(batch * size);
  const g = grads[hook.value]!;
  weights.forEach((w, s) => {
    for (let i = 0; i < batch * size; i++) out[i] = out[i]! + w * g[s * batch * size + i]!;
  });
  for (let i = 0; i < batch * size; i++) out[i] = out[i]! * (act[i]! - act[batch * size + i]!);
  const attributions = new Tensor('float32', out, layerShape);
  if (options.returnConvergenceDelta !== true) return { attributions };
  const values = await expandedValues(tail.model, tailInputs, [hook.value], batch, seeds, {
    rows: 2 * batch,
    itemOf: (r) => r % batch,
    fill: (_name, r, dst) => dst.set(act.subarray(r * size, (r + 1) * size)),
  }, { ...options, output });
  return { attributions, delta: Float32Array.from({ length: batch }, (_, b) => out.subarray(b * size, (b + 1) * size).reduce((s, v) => s + v, 0) - (values[b]! - values[batch + b]!)) };
}

/** Options of {@link layerConductance}. */
export interface LayerConductanceOptions extends AttributionOptions, BatchingOptions {
  /** The hook point whose neurons' conductance is computed. */
  layer: string;
  /** Input baselines (default 0, as Captum). */
  baselines?: Readonly<Record<string, Baseline>> | Baseline;
  /** Integration steps (default 50, as Captum). */
  nSteps?: number;
  /** Approximation (default `'gausslegendre'`, as Captum). */
  method?: IntegrationMethod;
}

/**
 * Layer conductance (Dhamdhere et al., 2018; Captum's `LayerConductance`): the flow of input
 * integrated gradients through each neuron of a hook point,
 * `Σ_s ∂f/∂y(x_s) · (y(x_{s+1}) − y(x_s))` over `nSteps + 1` points `x_s` of the input path (the
 * nodes of `method`, as Captum). Gradients and activations at every point come from batched calls.
 * With `'riemann_trapezoid'` the points include both ends and the conductances of a layer that
 * every path crosses sum to `f(x) − f(x′)`; Captum's default Gauss–Legendre nodes stop short of
 * the ends, so that sum falls short by the change over the first and last interval.
 *
 * @see https://arxiv.org/abs/1805.12233
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { layerConductance } from '@mechint/attribution';
 * const model = await HookedModel.load('packages/core/test/fixtures/cnn.onnx');
 * const images = Tensor.from(new Float32Array(64).fill(0.5), [1, 1, 8, 8]);
 * const { attributions } = await layerConductance(model, { images }, { target: [0], layer: 'conv2.output' });
 * console.log(attributions.shape); // [1, 32, 4, 4]
 * ```
 */
export async function layerConductance(model: HookedModel, inputs: Inputs, options: LayerConductanceOptions): Promise<{ attributions: Tensor<'float32'> }> {
  const { names, batch } = checkInputs(model, inputs);
  checkBatching(options);
  const nSteps = options.nSteps ?? 50;
  ensure(Number.isInteger(nSteps) && nSteps >= 1, `nSteps must be an integer ≥ 1; got ${nSteps}.`);
  const { alphas } = approximation(options.method ?? 'gausslegendre', nSteps + 1);
  model.hookPoint(options.layer);
  ensure(names.length === Object.keys(inputs).length, 'layerConductance interpolates the inputs, so every model input must be float32; for token inputs use layerIntegratedGradients.');
  const baselines = resolveBaselines(inputs, names, options.baselines);
  const output = outputOf(model, options.output);
  const seeds = await resolveTarget(model, output, inputs, batch, options.target);
  const rows = alphas.length * batch;
  const fill = (name: string, r: number, dst: Float32Array) => {
    const size = itemSize(inputs[name]!);
    const b = r % batch;
    const a = alphas[Math.floor(r / batch)]!;
    const x = dataOf(inputs[name]!);
    const base = baselines[name]!;
    for (let k = 0; k < size; k++) dst[k] = base[b * size + k]! + a * (x[b * size + k]! - base[b * size + k]!);
  };
  const { grads } = await expandedGradients(model, inputs, names, batch, seeds, { rows, itemOf: (r) => r % batch, fill }, { ...options, output, wrt: [options.layer] });
  const g = grads[options.layer]!;
  const size = g.length / rows;
  const y = new Float32Array(rows * size);
  let layerShape: readonly number[] = [];
  const per = options.internalBatchSize ?? Math.max(1, Math.floor(2 ** 24 / Math.max(1, size)));
  for (let start = 0; start < rows; start += per) {
    checkAborted(options.signal);
    const count = Math.min(per, rows - start);
    const chunk = Object.fromEntries(
      Object.entries(inputs).map(([n, t]) => {
        const item = itemSize(t);
        const data = new Float32Array(count * item);
        for (let r = 0; r < count; r++) fill(n, start + r, data.subarray(r * item, (r + 1) * item));
        return [n, new Tensor('float32', data, [count, ...t.shape.slice(1)])];
      }),
    );
    const act = (await model.runWithCache(chunk, { hooks: [options.layer] })).cache.get(options.layer).clone('float32');
    layerShape = act.shape.slice(1);
    y.set(act.data as Float32Array, start * size);
  }
  const out = new Float32Array(batch * size);
  for (let s = 0; s + 1 < alphas.length; s++) {
    for (let b = 0; b < batch; b++) {
      for (let k = 0; k < size; k++) {
        const now = (s * batch + b) * size + k;
        const next = ((s + 1) * batch + b) * size + k;
        out[b * size + k] = out[b * size + k]! + g[now]! * (y[next]! - y[now]!);
      }
    }
  }
  return { attributions: new Tensor('float32', out, [batch, ...layerShape]) };
}
