/**
 * DeepLIFT with the rescale rule (Captum's `DeepLift`, `DeepLiftShap`), as gradient-rule
 * overrides on the model's own autodiff graph.
 *
 * Design: the input and its reference run as one batch `[x; x′]` (as Captum does). Every
 * elementwise nonlinearity — a single operator or a chain such as GELU's `0.5·x·(1 + erf(x/√2))`
 * ({@link elementwiseRegions}) — gets the multiplier `(y − y′) / (x − x′)` for both halves (its
 * gradient where `|x − x′| < 1e-10`, Captum's eps). Softmax and MaxPool get Captum's rules; every
 * other operator (linear ones, normalisations, products of two data-dependent tensors) keeps its
 * gradient, as Captum does for modules it does not know. Only the first half is seeded, so the
 * gradients of the first half are DeepLIFT's multipliers.
 */
import { Tensor, type GradContext, type GradRule, type HookedModel } from '@mechint/core';
import type { AttributionsWithDelta } from './integrated-gradients.js';
import { convergenceDelta } from './integrated-gradients.js';
import { DEEPLIFT_EPS, deepLiftModel, halves, secant } from './deeplift-regions.js';
import {
  broadcastTo,
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
  shapedLike,
  type AttributionOptions,
  type Baseline,
  type BatchingOptions,
  type Inputs,
  type Seeds,
} from './internal.js';

function rescale(derivative: (ctx: GradContext, g: string) => string): GradRule {
  return (ctx) => {
    const g = ctx.grad(0);
    if (g === undefined) return [undefined];
    const { ratio, small } = secant(ctx, ctx.input(0), ctx.output(0));
    return [ctx.op('Where', [small, derivative(ctx, g), ctx.op('Mul', [g, ratio])])];
  };
}

/**
 * Captum's softmax rule: the elementwise rescale `g · Δyᵢ/Δxᵢ` (the gradient where `|Δx| < eps`),
 * minus its mean over the item, so that a shift of all inputs — which softmax ignores — gets no
 * attribution. Captum takes that mean over the whole batch tensor, which is the same for a batch
 * of one item; here it is always per item, so items do not mix.
 */
const softmax: GradRule = (ctx) => {
  const g = ctx.grad(0);
  if (g === undefined) return [undefined];
  if (ctx.opset < 13) ctx.unsupported("DeepLIFT's Softmax rule before opset 13 (Softmax over flattened axes)");
  const y = ctx.output(0);
  const axis = ctx.attrInt('axis', -1);
  const gy = ctx.op('Mul', [g, y]);
  const gradient = ctx.op('Mul', [y, ctx.op('Sub', [g, ctx.reduceSum(gy, [axis], true)])]);
  const { ratio, small } = secant(ctx, ctx.input(0), y);
  const unnormalised = ctx.op('Where', [small, gradient, ctx.op('Mul', [g, ratio])]);
  const rows = ctx.op('Reshape', [unnormalised, ctx.ints([0, -1])]);
  const centred = ctx.op('Sub', [rows, ctx.reduce('ReduceMean', rows, [1], true)]);
  return [ctx.op('Reshape', [centred, ctx.shape(unnormalised)])];
};

/**
 * MaxPool: the change of each window's maximum, `g · (y − y′)`, goes to the element that is the
 * (first) maximum of the input's window — or of the reference's, where the input's maximum did
 * not move — divided by that element's change, so a window's contributions sum to `Δy` exactly.
 * Written without MaxPool's indices output (which the WebGPU provider lacks): every window's
 * elements are gathered as channels by a convolution with one-hot filters, and the transposed
 * convolution with the same filters puts each window's share back in place.
 */
const maxPool: GradRule = (ctx) => {
  const g = ctx.grad(0);
  if (g === undefined) return [undefined];
  if (ctx.attrString('auto_pad', 'NOTSET') !== 'NOTSET' || ctx.attrInt('ceil_mode', 0) !== 0) ctx.unsupported("DeepLIFT's MaxPool rule with auto_pad or ceil_mode");
  const kernel = ctx.attrInts('kernel_shape') ?? ctx.unsupported('a MaxPool without kernel_shape');
  const spatial = kernel.length;
  const strides = ctx.attrInts('strides') ?? kernel.map(() => 1);
  const dilations = ctx.attrInts('dilations') ?? kernel.map(() => 1);
  const pads = ctx.attrInts('pads') ?? new Array<number>(2 * spatial).fill(0);
  const size = kernel.reduce((a, b) => a * b, 1);
  const oneHot = new Float32Array(size * size);
  for (let i = 0; i < size; i++) oneHot[i * size + i] = 1;
  const filters = ctx.castLike(ctx.constant(Tensor.from(oneHot, [size, 1, ...kernel])), ctx.input(0));
  const ints = (v: readonly number[]) => v.map(BigInt);
  const [xi, xr] = halves(ctx, ctx.input(0));
  const [yi, yr] = halves(ctx, ctx.output(0));
  const [gi] = halves(ctx, g);
  const spatialShape = (t: string) => ctx.op('Slice', [ctx.shape(t), ctx.ints([2]), ctx.ints([2 + spatial])]);
  const asChannels = (t: string, like: string) => ctx.op('Reshape', [t, ctx.op('Concat', [ctx.ints([-1, 1]), spatialShape(like)], { axis: 0n })]);
  const padded = (t: string, value: number) => (pads.every((p) => p === 0) ? t : ctx.op('Pad', [t, ctx.ints([0, 0, ...pads.slice(0, spatial), 0, 0, ...pads.slice(spatial)]), ctx.scalar(value, ctx.input(0))]));
  const patches = (t: string, value: number) => ctx.op('Conv', [padded(asChannels(t, xi), value), filters], { strides: ints(strides), dilations: ints(dilations) });
  const firstMax = (x: string, y: string) => {
    const eq = ctx.castLike(ctx.op('Equal', [patches(x, -3.4e38), asChannels(y, y)]), ctx.input(0));
    const before = ctx.op('CumSum', [eq, ctx.int(1)], { exclusive: 1n });
    return ctx.op('Mul', [eq, ctx.castLike(ctx.op('Equal', [before, ctx.scalar(0, ctx.input(0))]), ctx.input(0))]);
  };
  const maskI = firstMax(xi, yi);
  const maskR = firstMax(xr, yr);
  const dx = ctx.op('Sub', [xi, xr]);
  const dxAt = ctx.reduceSum(ctx.op('Mul', [maskI, patches(dx, 0)]), [1], true);
  const moved = ctx.op('Not', [ctx.op('Less', [ctx.op('Abs', [dxAt]), ctx.scalar(DEEPLIFT_EPS)])]);
  const chosen = ctx.op('Where', [moved, maskI, maskR]);
  const share = ctx.op('Mul', [chosen, asChannels(ctx.op('Mul', [gi!, ctx.op('Sub', [yi, yr])]), yi)]);
  const back = ctx.op('ConvTranspose', [share, filters], { strides: ints(strides), dilations: ints(dilations) });
  const axes = Array.from({ length: spatial }, (_, i) => i + 2);
  const begins = pads.slice(0, spatial);
  const inner = spatialShape(xi);
  const cut = ctx.op('Slice', [back, ctx.ints(begins), ctx.op('Add', [inner, ctx.ints(begins)]), ctx.ints(axes)]);
  const missing = ctx.op('Sub', [inner, spatialShape(cut)]);
  const full = ctx.op('Pad', [cut, ctx.op('Concat', [ctx.ints(new Array<number>(spatial + 2).fill(0)), ctx.ints([0, 0]), missing], { axis: 0n })]);
  const scattered = ctx.op('Reshape', [full, ctx.shape(xi)]);
  const small = ctx.op('Less', [ctx.op('Abs', [dx]), ctx.scalar(DEEPLIFT_EPS)]);
  const mult = ctx.op('Where', [small, ctx.zerosLike(dx), ctx.op('Div', [scattered, ctx.op('Where', [small, ctx.scalar(1), dx])])]);
  return [ctx.op('Concat', [mult, mult], { axis: 0n })];
};

/**
 * Single-operator DeepLIFT rules by operator type, for use with `runWithGrad`'s `overrides`:
 * `Relu`, `Sigmoid`, `Tanh` (rescale), `Softmax` and `MaxPool` (Captum's rules). They expect the
 * batch `[x; x′]` (inputs, then as many references). {@link deepLift} uses the `Softmax` and
 * `MaxPool` rules and rescales every elementwise nonlinearity, including chains such as GELU's.
 *
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { deepLiftRules } from '@mechint/attribution';
 * const model = await HookedModel.load('packages/core/test/fixtures/cnn.onnx');
 * const pair = Tensor.from(Float32Array.from({ length: 128 }, (_, i) => (i < 64 ? 0.5 : 0)), [2, 1, 8, 8]);
 * const seed = Tensor.from(Float32Array.from({ length: 20 }, (_, i) => (i === 3 ? 1 : 0)), [2, 10]);
 * const { grads } = await model.runWithGrad({ images: pair }, { of: 'logits', wrt: ['images'], seed, overrides: deepLiftRules });
 * console.log(grads['images']!.shape); // [2, 1, 8, 8]
 * ```
 */
export const deepLiftRules: Readonly<Record<string, GradRule>> = {
  Relu: rescale((ctx, g) => ctx.op('Mul', [g, ctx.castLike(ctx.op('Greater', [ctx.input(0), ctx.scalar(0, ctx.input(0))]), ctx.input(0))])),
  Sigmoid: rescale((ctx, g) => ctx.op('Mul', [g, ctx.op('Mul', [ctx.output(0), ctx.op('Sub', [ctx.scalar(1), ctx.output(0)])])])),
  Tanh: rescale((ctx, g) => ctx.op('Mul', [g, ctx.op('Sub', [ctx.scalar(1), ctx.op('Mul', [ctx.output(0), ctx.output(0)])])])),
  Softmax: softmax,
  MaxPool: maxPool,
};

/** The rules {@link deepLift} passes by operator type (elementwise ones are handled as regions). */
const PER_OPERATOR: Readonly<Record<string, GradRule>> = { Softmax: softmax, MaxPool: maxPool };

/** Options of {@link deepLift}. */
export interface DeepLiftOptions extends AttributionOptions, BatchingOptions {
  /** References by input name, or one for all (default 0, as Captum). */
  baselines?: Readonly<Record<string, Baseline>> | Baseline;
  /**
   * Also return the convergence delta per item, `Σ attributions − (f(x) − f(x′))`, from two plain
   * forward runs (default `false`, as Captum's `return_convergence_delta`). It is float error
   * where DeepLIFT is complete (linear operators and elementwise nonlinearities) and the real gap
   * where it is not (softmax, normalisations, products such as attention).
   */
  returnConvergenceDelta?: boolean;
}

/** DeepLIFT over `pairs` (input row, reference row) in chunks of pairs; returns the mean over each item's pairs of `(x − x′) ⊙ m`. */
async function pairsAttribution(
  model: HookedModel,
  inputs: Inputs,
  names: readonly string[],
  batch: number,
  seeds: Seeds,
  pairs: number,
  reference: (name: string, p: number) => Float32Array,
  options: BatchingOptions & { output: string },
): Promise<Record<string, Float32Array>> {
  const prepared = await deepLiftModel(model);
  const output = prepared.model.hookPoint(model.hookPoint(options.output).value).value;
  const per = Math.max(1, Math.floor((options.internalBatchSize ?? Math.max(2, Math.floor(2 ** 24 / names.reduce((s, n) => s + itemSize(inputs[n]!), 0)))) / 2));
  const sums: Record<string, Float32Array> = Object.fromEntries(names.map((n) => [n, new Float32Array(dataOf(inputs[n]!).length)]));
  const perItem = pairs / batch;
  for (let start = 0; start < pairs; start += per) {
    const count = Math.min(per, pairs - start);
    const { grads } = await expandedGradients(prepared.model, inputs, names, batch, seeds, {
      rows: 2 * count,
      itemOf: (r) => (r < count ? (start + r) % batch : -1),
      feedItemOf: (r) => (start + (r % count)) % batch,
      fill: (name, r, dst) => {
        const size = itemSize(inputs[name]!);
        const p = start + (r % count);
        const b = p % batch;
        dst.set(r < count ? dataOf(inputs[name]!).subarray(b * size, (b + 1) * size) : reference(name, p));
      },
    }, { output, overrides: PER_OPERATOR, nodeOverrides: prepared.nodeOverrides, rowsPerCall: 2 * count, ...(options.signal === undefined ? {} : { signal: options.signal }) });
    options.onProgress?.(start + count, pairs);
    for (const name of names) {
      const size = itemSize(inputs[name]!);
      const x = dataOf(inputs[name]!);
      for (let q = 0; q < count; q++) {
        const p = start + q;
        const b = p % batch;
        const ref = reference(name, p);
        const g = grads[name]!;
        const dst = sums[name]!;
        for (let k = 0; k < size; k++) dst[b * size + k] = dst[b * size + k]! + ((x[b * size + k]! - ref[k]!) * g[q * size + k]!) / perItem;
      }
    }
  }
  return sums;
}

/**
 * DeepLIFT with the rescale rule (Shrikumar et al., 2017; Captum's `DeepLift`, reference 0 by
 * default): `(x − x′) ⊙ m`, where the multipliers `m` are gradients through the network with every
 * nonlinearity's derivative replaced by `Δy / Δx` ({@link deepLiftRules}). Attributions sum to
 * `f(x) − f(x′)` (summation-to-delta); `delta` reports the float error of that sum.
 *
 * @see https://arxiv.org/abs/1704.02685
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { deepLift } from '@mechint/attribution';
 * const model = await HookedModel.load('packages/core/test/fixtures/cnn.onnx');
 * const images = Tensor.from(new Float32Array(64).fill(0.5), [1, 1, 8, 8]);
 * const { attributions, delta } = await deepLift(model, { images }, { target: [0], returnConvergenceDelta: true });
 * console.log(attributions['images']!.shape, Math.abs(delta![0]!) < 1e-4); // [1, 1, 8, 8] true
 * ```
 */
export async function deepLift(model: HookedModel, inputs: Inputs, options: DeepLiftOptions): Promise<AttributionsWithDelta> {
  const { names, batch } = checkInputs(model, inputs);
  checkBatching(options);
  const baselines = resolveBaselines(inputs, names, options.baselines);
  const output = outputOf(model, options.output);
  const seeds = await resolveTarget(model, output, inputs, batch, options.target);
  const sums = await pairsAttribution(model, inputs, names, batch, seeds, batch, (name, p) => {
    const size = itemSize(inputs[name]!);
    return baselines[name]!.subarray(p * size, (p + 1) * size);
  }, { ...options, output });
  const attributions = Object.fromEntries(names.map((n) => [n, shapedLike(sums[n]!, inputs[n]!)]));
  if (options.returnConvergenceDelta !== true) return { attributions };
  return { attributions, delta: await convergenceDelta(model, inputs, names, batch, seeds, baselines, attributions, { ...options, output }) };
}

/** Options of {@link deepLiftShap}. */
export interface DeepLiftShapOptions extends AttributionOptions, BatchingOptions {
  /** A distribution of references per input: `[K, ...item shape]` (required, as in Captum). */
  baselines: Readonly<Record<string, Tensor>>;
  /** Also return `Σ attributions − (f(x) − mean_k f(x′_k))` per item (default `false`). */
  returnConvergenceDelta?: boolean;
}

/** Each input's references, `K × item size`, checked. */
export function baselineDistribution(inputs: Inputs, names: readonly string[], baselines: Readonly<Record<string, Tensor>>): { refs: Record<string, Float32Array>; count: number } {
  let count = -1;
  const refs: Record<string, Float32Array> = {};
  for (const name of names) {
    const b = baselines[name];
    ensure(b !== undefined, `Give a baseline distribution [K, ...] for input '${name}'.`);
    const k = b.shape[0] ?? 0;
    ensure(k >= 1, `The baseline distribution of '${name}' is empty.`);
    ensure(count < 0 || k === count, `Every input needs the same number of baselines; '${name}' has ${k}, others ${count}.`, 'SHAPE_MISMATCH');
    count = k;
    refs[name] = broadcastTo(b, [k, ...inputs[name]!.shape.slice(1)], `Baseline distribution for '${name}'`);
  }
  return { refs, count };
}

/**
 * DeepLIFT SHAP (Lundberg & Lee, 2017; Captum's `DeepLiftShap`): DeepLIFT against every reference
 * of a baseline distribution, averaged — all (input, reference) pairs in batched calls.
 *
 * @see https://arxiv.org/abs/1705.07874
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { deepLiftShap } from '@mechint/attribution';
 * const model = await HookedModel.load('packages/core/test/fixtures/cnn.onnx');
 * const images = Tensor.from(new Float32Array(64).fill(0.5), [1, 1, 8, 8]);
 * const refs = Tensor.from(new Float32Array(3 * 64).map((_, i) => (i % 7) / 7), [3, 1, 8, 8]);
 * const { attributions } = await deepLiftShap(model, { images }, { target: [0], baselines: { images: refs } });
 * console.log(attributions['images']!.shape); // [1, 1, 8, 8]
 * ```
 */
export async function deepLiftShap(model: HookedModel, inputs: Inputs, options: DeepLiftShapOptions): Promise<AttributionsWithDelta> {
  const { names, batch } = checkInputs(model, inputs);
  checkBatching(options);
  const { refs, count } = baselineDistribution(inputs, names, options.baselines);
  const output = outputOf(model, options.output);
  const seeds = await resolveTarget(model, output, inputs, batch, options.target);
  const sums = await pairsAttribution(model, inputs, names, batch, seeds, batch * count, (name, p) => {
    const size = itemSize(inputs[name]!);
    const k = Math.floor(p / batch);
    return refs[name]!.subarray(k * size, (k + 1) * size);
  }, { ...options, output });
  const attributions = Object.fromEntries(names.map((n) => [n, shapedLike(sums[n]!, inputs[n]!)]));
  if (options.returnConvergenceDelta !== true) return { attributions };
  const values = await expandedValues(model, inputs, names, batch, seeds, {
    rows: batch * (count + 1),
    itemOf: (r) => r % batch,
    fill: (name, r, dst) => {
      const size = itemSize(inputs[name]!);
      if (r < batch) dst.set(dataOf(inputs[name]!).subarray(r * size, (r + 1) * size));
      else dst.set(refs[name]!.subarray((Math.floor(r / batch) - 1) * size, Math.floor(r / batch) * size));
    },
  }, { ...options, output });
  const delta = Float32Array.from({ length: batch }, (_, b) => {
    let sum = 0;
    for (const n of names) for (let k = 0; k < itemSize(inputs[n]!); k++) sum += sums[n]![b * itemSize(inputs[n]!) + k]!;
    let ref = 0;
    for (let k = 0; k < count; k++) ref += values[(k + 1) * batch + b]! / count;
    return sum - (values[b]! - ref);
  });
  return { attributions, delta };
}

