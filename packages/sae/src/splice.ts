/**
 * The SAE inside the model: reconstructions spliced in at the hook (CE loss recovered), feature
 * activations on inputs, steering along a decoder direction, clamping a feature.
 */
import { GraphBuilder, MechintError, Tensor, type HookFunction, type HookPoint, type HookedModel, type Intervention } from '@mechint/core';
import type { SparseAutoencoder } from './sparse-autoencoder.js';

/**
 * The SAE's hook point in `model`, its width checked against dIn (`SHAPE_MISMATCH`) and its name resolved (`UNKNOWN_HOOK`).
 *
 * @example
 * ```ts
 * import { saeHook } from '@mechint/sae';
 * declare const sae: import('@mechint/sae').SparseAutoencoder;
 * declare const model: import('@mechint/core').HookedModel;
 * const point = saeHook(model, sae); // resolves sae.cfg.hookName, e.g. blocks.0.hook_resid_post
 * ```
 */
export function saeHook(model: HookedModel, sae: SparseAutoencoder, hook?: string): HookPoint {
  const name = hook ?? sae.cfg.hookName;
  if (name === '') throw new MechintError('INVALID_ARGUMENT', 'This SAE has no hookName; pass the hook explicitly.');
  const point = model.hookPoint(name);
  const width = point.shape?.[point.shape.length - 1];
  if (width !== sae.cfg.dIn) {
    throw new MechintError('SHAPE_MISMATCH', `Hook '${name}' has width ${String(width)}, but the SAE's dIn is ${sae.cfg.dIn}; use the hook the SAE was trained on.`, {
      details: { hook: name, width, dIn: sae.cfg.dIn },
    });
  }
  return point;
}

/** Flattens [..., d] to [rows, d], runs `fn`, restores the shape. */
async function rowwise(activation: Tensor, fn: (rows: Tensor<'float32'>) => Promise<Tensor<'float32'>>): Promise<Tensor<'float32'>> {
  const width = activation.shape[activation.shape.length - 1]!;
  const flat = (activation.dtype === 'float32' ? activation : activation.clone('float32')).reshape([-1, width]) as Tensor<'float32'>;
  const out = await fn(flat);
  return out.reshape([...activation.shape]) as Tensor<'float32'>;
}

/**
 * A JavaScript hook that replaces the activation by the SAE's reconstruction (optionally keeping
 * the error term, SAELens's `use_error_term`, so only edits to the latents change the output).
 * Edited latents decode in the units of the hooked activation when the SAE normalises at run time.
 *
 * @example
 * ```ts
 * import { spliceHook } from '@mechint/sae';
 * declare const sae: import('@mechint/sae').SparseAutoencoder;
 * declare const model: import('@mechint/core').HookedModel;
 * declare const tokens: import('@mechint/core').Tensor;
 * const logits = (await model.run({ tokens }, { hooks: { [sae.cfg.hookName]: spliceHook(sae) } }))['logits'];
 * ```
 */
export function spliceHook(sae: SparseAutoencoder, edit?: (acts: Tensor<'float32'>) => Tensor<'float32'>, keepError = false): HookFunction {
  return (activation) =>
    rowwise(activation, async (x) => {
      const { acts, reconstruction } = await sae.forward(x);
      if (edit === undefined && !keepError) return reconstruction;
      const edited = edit === undefined ? reconstruction : await sae.decode(edit(acts), { input: x });
      if (!keepError) return edited;
      const out = new Float32Array(x.data.length);
      for (let i = 0; i < out.length; i++) out[i] = edited.data[i]! + (x.data[i]! - reconstruction.data[i]!);
      return Tensor.from(out, [...x.shape]) as Tensor<'float32'>;
    });
}

/** Options of {@link ceLossRecovered}. */
export interface CeLossOptions {
  /** Hook to splice at (default the SAE's hookName). */
  hook?: string;
  /** Name of the token input (default `'tokens'`). */
  tokens?: string;
  /** Name of the logits output (default `'logits'`). */
  logits?: string;
}

/** Cross-entropy results of {@link ceLossRecovered}. */
export interface CeLossRecovered {
  clean: number;
  spliced: number;
  zeroAblated: number;
  /** (zeroAblated − spliced) / (zeroAblated − clean). */
  recovered: number;
}

/**
 * Next-token cross-entropy of the model clean, with the SAE reconstruction spliced in at the
 * hook, and with the hook zero-ablated (a core intervention), and the fraction of the ablation's
 * loss the SAE recovers.
 *
 * @example
 * ```ts
 * import { ceLossRecovered } from '@mechint/sae';
 * declare const sae: import('@mechint/sae').SparseAutoencoder;
 * declare const model: import('@mechint/core').HookedModel;
 * declare const tokens: import('@mechint/core').Tensor;
 * const { recovered } = await ceLossRecovered(model, sae, { tokens });
 * ```
 */
export async function ceLossRecovered(model: HookedModel, sae: SparseAutoencoder, feeds: Readonly<Record<string, Tensor>>, options: CeLossOptions = {}): Promise<CeLossRecovered> {
  const hook = saeHook(model, sae, options.hook);
  const tokensName = options.tokens ?? 'tokens';
  const logitsName = options.logits ?? 'logits';
  const tokens = feeds[tokensName];
  if (tokens === undefined) throw new MechintError('INVALID_ARGUMENT', `feeds has no '${tokensName}'; name the token input with { tokens }.`);
  const ce = async (outputs: Record<string, Tensor>): Promise<number> => {
    const logits = outputs[logitsName];
    if (logits === undefined) throw new MechintError('UNKNOWN_VALUE', `The model has no output '${logitsName}'; name the logits output with { logits }.`);
    return crossEntropy(logits, tokens, model);
  };
  const clean = await ce(await model.run(feeds));
  const spliced = await ce(await model.run(feeds, { hooks: { [hook.name]: spliceHook(sae) } }));
  const zeroAblated = await ce(await model.run(feeds, { interventions: [{ hook: hook.name, op: 'zero' }] }));
  return { clean, spliced, zeroAblated, recovered: (zeroAblated - spliced) / (zeroAblated - clean) };
}

/** Mean next-token cross-entropy of logits [b, s, v] against tokens [b, s], as an ONNX graph. */
async function crossEntropy(logits: Tensor, tokens: Tensor, model: HookedModel): Promise<number> {
  const session = await model.backend.session(
    () => {
      const g = new GraphBuilder({ name: 'sae_ce' });
      const l = g.input('logits', 'float32', ['b', 's', 'v']);
      const t = g.input('tokens', 'int64', ['b', 's']);
      const logp = g.logSoftmax(g.slice(l, { starts: [0], ends: [-1], axes: [1] }), { axis: -1 });
      const next = g.unsqueeze(g.slice(t, { starts: [1], ends: [Number.MAX_SAFE_INTEGER], axes: [1] }), [2]);
      g.output(g.neg(g.reduceMean(g.gatherElements(logp, next, { axis: 2 }), { keepdims: false })), 'ce');
      return g.build();
    },
    { key: 'sae-cross-entropy' },
  );
  const out = await session.run({ logits: logits.dtype === 'float32' ? logits : logits.clone('float32'), tokens: tokens.dtype === 'int64' ? tokens : tokens.clone('int64') });
  return out['ce']!.data[0] as number;
}

/**
 * Latent activations [..., dSae] of the SAE at its hook for the given inputs.
 *
 * @example
 * ```ts
 * import { featureActivations } from '@mechint/sae';
 * declare const sae: import('@mechint/sae').SparseAutoencoder;
 * declare const model: import('@mechint/core').HookedModel;
 * declare const tokens: import('@mechint/core').Tensor;
 * const acts = await featureActivations(model, sae, { tokens }); // [batch, seq, dSae]
 * ```
 */
export async function featureActivations(model: HookedModel, sae: SparseAutoencoder, feeds: Readonly<Record<string, Tensor>>, hook?: string): Promise<Tensor<'float32'>> {
  const point = saeHook(model, sae, hook);
  const { cache } = await model.runWithCache(feeds, { hooks: [point.name] });
  const act = cache.get(point.name);
  const codes = await sae.encode(act.reshape([-1, sae.cfg.dIn]));
  return codes.reshape([...act.shape.slice(0, -1), sae.cfg.dSae]) as Tensor<'float32'>;
}

/** One top-activating example of a feature. */
export interface FeatureExample {
  /** Index of the feeds in the dataset. */
  item: number;
  batch: number;
  position: number;
  activation: number;
  /** The tokens around the position (`context` before, the token, `context` after). */
  context: number[];
}

/**
 * The `k` strongest activations of `feature` over a dataset, with token context.
 *
 * @example
 * ```ts
 * import { topActivatingExamples } from '@mechint/sae';
 * declare const sae: import('@mechint/sae').SparseAutoencoder;
 * declare const model: import('@mechint/core').HookedModel;
 * declare const tokens: import('@mechint/core').Tensor;
 * const examples = await topActivatingExamples(model, sae, [{ tokens }], { feature: 3, k: 5 });
 * ```
 */
export async function topActivatingExamples(
  model: HookedModel,
  sae: SparseAutoencoder,
  dataset: readonly Readonly<Record<string, Tensor>>[],
  options: { feature: number; k?: number; context?: number; tokens?: string; hook?: string },
): Promise<FeatureExample[]> {
  const { feature } = options;
  if (!Number.isSafeInteger(feature) || feature < 0 || feature >= sae.cfg.dSae) throw new MechintError('INVALID_ARGUMENT', `feature must be an integer in [0, ${sae.cfg.dSae}); got ${feature}.`);
  const k = options.k ?? 10;
  const context = options.context ?? 4;
  const found: FeatureExample[] = [];
  for (const [item, feeds] of dataset.entries()) {
    const acts = await featureActivations(model, sae, feeds, options.hook);
    const tokens = feeds[options.tokens ?? 'tokens'];
    const [b, s] = [acts.shape[0]!, acts.shape.length === 3 ? acts.shape[1]! : 1];
    for (let i = 0; i < b; i++) {
      for (let p = 0; p < s; p++) {
        const a = acts.data[(i * s + p) * sae.cfg.dSae + feature]!;
        if (a <= 0) continue;
        const ctx: number[] = [];
        if (tokens !== undefined) for (let q = Math.max(0, p - context); q <= Math.min(s - 1, p + context); q++) ctx.push(Number(tokens.data[i * s + q]));
        found.push({ item, batch: i, position: p, activation: a, context: ctx });
      }
    }
    found.sort((x, y) => y.activation - x.activation);
    found.length = Math.min(found.length, k);
  }
  return found;
}

/**
 * A core `add` intervention that steers the model along feature `feature`'s decoder direction:
 * activation += scale · W_dec[feature].
 *
 * @example
 * ```ts
 * import { steeringIntervention } from '@mechint/sae';
 * declare const sae: import('@mechint/sae').SparseAutoencoder;
 * declare const model: import('@mechint/core').HookedModel;
 * declare const tokens: import('@mechint/core').Tensor;
 * const steered = await model.run({ tokens }, { interventions: [steeringIntervention(sae, 12, 4)] });
 * ```
 */
export function steeringIntervention(sae: SparseAutoencoder, feature: number, scale: number, hook?: string): Intervention {
  if (!Number.isSafeInteger(feature) || feature < 0 || feature >= sae.cfg.dSae) throw new MechintError('INVALID_ARGUMENT', `feature must be an integer in [0, ${sae.cfg.dSae}); got ${feature}.`);
  const { dIn } = sae.cfg;
  const direction = Tensor.from(sae.W_dec.data.slice(feature * dIn, (feature + 1) * dIn), [dIn]);
  return { hook: hook ?? sae.cfg.hookName, op: 'add', value: direction, scale };
}

/**
 * A JavaScript hook clamping feature `feature` to `value` wherever the hook runs: the activation
 * becomes decode(edited latents) + the SAE's error term, so only the clamped feature changes.
 *
 * @example
 * ```ts
 * import { clampFeatureHook } from '@mechint/sae';
 * declare const sae: import('@mechint/sae').SparseAutoencoder;
 * declare const model: import('@mechint/core').HookedModel;
 * declare const tokens: import('@mechint/core').Tensor;
 * const out = await model.run({ tokens }, { hooks: { [sae.cfg.hookName]: clampFeatureHook(sae, 12, 0) } });
 * ```
 */
export function clampFeatureHook(sae: SparseAutoencoder, feature: number, value: number): HookFunction {
  if (!Number.isSafeInteger(feature) || feature < 0 || feature >= sae.cfg.dSae) throw new MechintError('INVALID_ARGUMENT', `feature must be an integer in [0, ${sae.cfg.dSae}); got ${feature}.`);
  return spliceHook(
    sae,
    (acts) => {
      const edited = new Float32Array(acts.data);
      for (let r = 0; r < acts.shape[0]!; r++) edited[r * sae.cfg.dSae + feature] = value;
      return Tensor.from(edited, [...acts.shape]) as Tensor<'float32'>;
    },
    true,
  );
}
