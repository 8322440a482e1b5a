/**
 * Validation at load: a model onnxruntime refuses fails at `HookedModel.load` with onnxruntime's
 * reason, not later in a run whose error blames something else (the probe, a hook).
 */
import { MechintError } from '../errors.js';
import type { ModelIR } from '../onnx/model.js';
import type { Backend } from '../runtime/backend.js';

/**
 * Throws `INVALID_MODEL` (or `UNSUPPORTED_OP` for an operator onnxruntime has no kernel for) with
 * onnxruntime's reason when it cannot create a session for `model` on `backend`. Costs one
 * session: call it only when no other session of the model was created (the probe's proves
 * the model loads).
 *
 * @example
 * ```ts
 * import { HookedModel } from '@mechint/core';
 * // HookedModel.load runs this check: an opset-17 model with an opset-18 Split fails here.
 * await HookedModel.load('packages/core/test/fixtures/invalid_split18.onnx').catch((e) => console.log(e.code)); // 'INVALID_MODEL'
 * ```
 */
export async function assertLoadable(model: ModelIR, backend: Backend): Promise<void> {
  let session;
  try {
    session = await backend.session(model);
  } catch (cause) {
    if (!MechintError.isInstance(cause) || (cause.code !== 'INVALID_MODEL' && cause.code !== 'UNSUPPORTED_OP')) throw cause;
    throw new MechintError(
      cause.code,
      `The model cannot be loaded: ${cause.message}. Nothing can run it as it is; fix the file (re-export it, or make its opset imports match the operators' forms) and load it again.`,
      { cause, details: { ...cause.details, opset: model.opset() } },
    );
  }
  await session.release();
}
