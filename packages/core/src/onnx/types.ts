/**
 * Builders for ONNX type messages (`TypeProto`, `ValueInfoProto`).
 */
import { create } from '@bufbuild/protobuf';
import { onnxTypeOf, type DType } from '../tensor/dtype.js';
import { TypeProtoSchema, type TypeProto } from './gen/onnx_pb.js';

/** A dimension: a fixed size, a symbolic name (`'batch'`), or `null` for unknown. */
export type Dim = number | string | null;

/**
 * A tensor `TypeProto` of element type `elemType` (a {@link DType} or an ONNX code) and `shape`
 * (omit the shape for a tensor of unknown rank).
 *
 * @example
 * ```ts
 * import { tensorType } from '@mechint/core';
 * tensorType('float32', ['batch', 'pos', 64]);
 * ```
 */
export function tensorType(elemType: DType | number, shape?: readonly Dim[]): TypeProto {
  const code = typeof elemType === 'number' ? elemType : onnxTypeOf(elemType);
  return create(TypeProtoSchema, {
    value: {
      case: 'tensorType',
      value: {
        elemType: code,
        ...(shape === undefined
          ? {}
          : {
              shape: {
                dim: shape.map((d) =>
                  d === null ? {} : typeof d === 'number' ? { value: { case: 'dimValue' as const, value: BigInt(d) } } : { value: { case: 'dimParam' as const, value: d } },
                ),
              },
            }),
      },
    },
  });
}

/**
 * The element type code and dimensions of a tensor `TypeProto`, or `undefined` for non-tensor
 * types (sequences, maps, optionals).
 *
 * @example
 * ```ts
 * import { tensorType, describeTensorType } from '@mechint/core';
 * describeTensorType(tensorType('float32', ['batch', 3])); // { elemType: 1, shape: ['batch', 3] }
 * ```
 */
export function describeTensorType(type: TypeProto): { elemType: number; shape: Dim[] | undefined } | undefined {
  if (type.value.case !== 'tensorType') return undefined;
  const t = type.value.value;
  const shape = t.shape?.dim.map((d): Dim => (d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? d.value.value : null));
  return { elemType: t.elemType, shape };
}
