/**
 * Errors onnxruntime raises about nodes that `@mechint` added to a model (interventions, caching,
 * splits, gradients — every name we make starts with {@link OWN_NAME_PREFIX}): they are our bug,
 * not a problem with the user's model, and say so.
 */
import { MechintError } from '../errors.js';

/** The prefix of every node, value and input name `@mechint` splices into a model. */
export const OWN_NAME_PREFIX = '__mechint';

/**
 * `INTERNAL_ERROR` naming our node and the model's opset when onnxruntime's `message` is about a
 * node or value `@mechint` added; `undefined` when it is about the user's own graph.
 *
 * @example
 * ```ts
 * import { ownNodeError } from '@mechint/core';
 * const error = ownNodeError("Node (__mechint_iv0_Range_node_3) Op (Range) is not supported", 'cpu', 9);
 * console.log(error?.code); // 'INTERNAL_ERROR'
 * ```
 */
export function ownNodeError(message: string, ep: string, opset: number | undefined, cause?: unknown): MechintError | undefined {
  const node = new RegExp(`${OWN_NAME_PREFIX}\\w*`).exec(message)?.[0];
  if (node === undefined) return undefined;
  const at = opset === undefined ? 'a model without a default-domain opset' : `a model at ONNX opset ${opset}`;
  return new MechintError(
    'INTERNAL_ERROR',
    `onnxruntime (${ep}) failed on '${node}', a node that @mechint added to ${at}: this is a bug in @mechint, not in your model. Please report it with the model's opset and the request you made. onnxruntime said: ${message.split('\n')[0]}`,
    { cause, details: { node, opset } },
  );
}
