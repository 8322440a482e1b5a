/**
 * Element-type inference for values the exporter recorded no type for: follows producers back to
 * typed inputs, initializers or constants, by the type rules of the standard ONNX operators.
 */
import { AttributeProto_AttributeType, type NodeProto } from './gen/onnx_pb.js';

const INT64 = 7;
const BOOL = 9;
const FLOAT = 1;
const UINT8 = 2;
const INT32 = 6;

/** Operators whose every output is int64. */
const INT64_OPS = new Set(['Shape', 'Size', 'ArgMax', 'ArgMin', 'NonZero', 'NonMaxSuppression']);
/** Operators whose every output is bool. */
const BOOL_OPS = new Set(['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);
/** Operators whose output type is given by an attribute `to` / `dtype`, with a default. */
const ATTRIBUTE_TYPED: Readonly<Record<string, { attribute: string; fallback: number }>> = {
  Cast: { attribute: 'to', fallback: FLOAT },
  EyeLike: { attribute: 'dtype', fallback: FLOAT },
  RandomNormal: { attribute: 'dtype', fallback: FLOAT },
  RandomUniform: { attribute: 'dtype', fallback: FLOAT },
  RandomNormalLike: { attribute: 'dtype', fallback: FLOAT },
  RandomUniformLike: { attribute: 'dtype', fallback: FLOAT },
  Multinomial: { attribute: 'dtype', fallback: 6 },
};

/**
 * The ONNX element type of output `index` of `node`, given a lookup for the types of values;
 * `undefined` when the rules here do not decide it.
 */
export function outputElemType(node: NodeProto, index: number, typeOfValue: (name: string) => number | undefined): number | undefined {
  const op = node.domain === '' || node.domain === 'ai.onnx' ? node.opType : undefined;
  if (op === undefined) return undefined;
  if (INT64_OPS.has(op)) return INT64;
  if (BOOL_OPS.has(op)) return BOOL;
  if ((op === 'TopK' && index === 1) || (op === 'Unique' && index > 0) || (op === 'MaxPool' && index === 1)) return INT64;
  if (op === 'Dropout' && index === 1) return BOOL;
  if (op === 'LayerNormalization' && index > 0) return FLOAT;
  const typed = ATTRIBUTE_TYPED[op];
  if (typed !== undefined) {
    const attribute = node.attribute.find((a) => a.name === typed.attribute);
    return attribute === undefined ? typed.fallback : Number(attribute.i);
  }
  if (op === 'Constant') {
    const value = node.attribute.find((a) => a.name.startsWith('value'));
    if (value?.type === AttributeProto_AttributeType.TENSOR) return value.t?.dataType;
    if (value?.name === 'value_float' || value?.name === 'value_floats') return FLOAT;
    if (value?.name === 'value_int' || value?.name === 'value_ints') return INT64;
    return undefined;
  }
  if (op === 'ConstantOfShape') {
    const value = node.attribute.find((a) => a.name === 'value');
    return value?.t?.dataType ?? FLOAT;
  }
  if (op === 'DynamicQuantizeLinear') return index === 1 ? FLOAT : UINT8;
  if (op === 'MatMulInteger' || op === 'ConvInteger') return INT32;
  if (op === 'DequantizeLinear') return typeOfInput(node, 1, typeOfValue);
  if (op === 'QuantizeLinear') return node.input[2] ? typeOfInput(node, 2, typeOfValue) : 2;
  if (op === 'Where') return typeOfInput(node, 1, typeOfValue);
  if (op === 'If' || op === 'Loop' || op === 'Scan') return undefined;
  return typeOfInput(node, 0, typeOfValue);
}

function typeOfInput(node: NodeProto, index: number, typeOfValue: (name: string) => number | undefined): number | undefined {
  const input = node.input[index];
  return input === undefined || input === '' ? undefined : typeOfValue(input);
}
