/**
 * Saliency and input × gradient (Captum's `Saliency`, `InputXGradient`).
 */
import type { HookedModel, Tensor } from '@mechint/core';
import { checkInputs, dataOf, expandedGradients, itemSize, outputOf, resolveTarget, shapedLike, type AttributionOptions, type Inputs } from './internal.js';

/** Attributions by input name, shaped like the inputs. */
export interface Attributions {
  /** One attribution per attributed (float) input, by input name, shaped like that input. */
  attributions: Record<string, Tensor<'float32'>>;
}

/** Options of {@link saliency}. */
export interface SaliencyOptions extends AttributionOptions {
  /** Return |gradient| (default `true`, as Captum's `Saliency.attribute(abs=True)`). */
  abs?: boolean;
}

/** Gradients of the target at the inputs, one batched session call. */
export async function gradientsAt(model: HookedModel, inputs: Inputs, options: AttributionOptions): Promise<Record<string, Float32Array>> {
  const { names, batch } = checkInputs(model, inputs);
  const output = outputOf(model, options.output);
  const seeds = await resolveTarget(model, output, inputs, batch, options.target);
  const { grads } = await expandedGradients(model, inputs, names, batch, seeds, {
    rows: batch,
    itemOf: (r) => r,
    fill: (name, r, dst) => dst.set(dataOf(inputs[name]!).subarray(r * itemSize(inputs[name]!), (r + 1) * itemSize(inputs[name]!))),
  }, { output, rowsPerCall: batch });
  return grads;
}

/**
 * Saliency (Simonyan et al., 2013): the gradient of the target with respect to each input, or its
 * absolute value (`abs`, default `true` as in Captum).
 *
 * @see https://arxiv.org/abs/1312.6034
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { saliency } from '@mechint/attribution';
 * const model = await HookedModel.load('packages/core/test/fixtures/cnn.onnx');
 * const images = Tensor.zeros([2, 1, 8, 8]);
 * const { attributions } = await saliency(model, { images }, { target: [3, 7], abs: false });
 * console.log(attributions['images']!.shape); // [2, 1, 8, 8]
 * ```
 */
export async function saliency(model: HookedModel, inputs: Inputs, options: SaliencyOptions): Promise<Attributions> {
  const grads = await gradientsAt(model, inputs, options);
  const abs = options.abs ?? true;
  return { attributions: Object.fromEntries(Object.entries(grads).map(([n, g]) => [n, shapedLike(abs ? g.map(Math.abs) : g, inputs[n]!)])) };
}

/**
 * Input × gradient (Shrikumar et al., 2016): each input times the target's gradient there
 * (Captum's `InputXGradient`).
 *
 * @see https://arxiv.org/abs/1605.01713
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { inputXGradient } from '@mechint/attribution';
 * const model = await HookedModel.load('packages/core/test/fixtures/cnn.onnx');
 * const images = Tensor.zeros([1, 1, 8, 8]);
 * const { attributions } = await inputXGradient(model, { images }, { target: 0 });
 * console.log(attributions['images']!.shape); // [1, 1, 8, 8]
 * ```
 */
export async function inputXGradient(model: HookedModel, inputs: Inputs, options: AttributionOptions): Promise<Attributions> {
  const grads = await gradientsAt(model, inputs, options);
  return { attributions: Object.fromEntries(Object.entries(grads).map(([n, g]) => [n, shapedLike(g.map((v, i) => v * dataOf(inputs[n]!)[i]!), inputs[n]!)])) };
}
