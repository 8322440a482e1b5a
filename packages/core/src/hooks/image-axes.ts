/**
 * Axis roles of NCHW feature maps: in a model whose first input is an image batch
 * `[batch, C, H, W]`, a rank-4 value with the batch first is read as `[batch, channel, H, W]`.
 * Such values have a `channel` axis and no `feature` axis: "features" (the last axis in
 * transformer hooks) would be the width here, so interventions ask for `channels` instead.
 */
import type { Dim } from '../onnx/types.js';
import type { HookAxes } from './hook-points.js';

/**
 * `{ batch: 0, channel: 1 }` when `shape` is an NCHW map of a model whose first input has dims
 * `inputDims` (rank 4, symbolic batch first); `undefined` otherwise.
 *
 * @example
 * ```ts
 * import { HookedModel } from '@mechint/core';
 * const cnn = await HookedModel.load('packages/core/test/fixtures/cnn.onnx'); // images [batch, 1, 8, 8]
 * cnn.hookPoints.find((h) => h.op === 'Conv')!.axes; // { batch: 0, channel: 1 }
 * ```
 */
export function imageAxes(shape: readonly Dim[], inputDims: readonly Dim[]): HookAxes | undefined {
  const batch = inputDims[0];
  if (inputDims.length !== 4 || shape.length !== 4 || typeof batch !== 'string' || shape[0] !== batch) return undefined;
  return { batch: 0, channel: 1 };
}
