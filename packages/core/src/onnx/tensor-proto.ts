/**
 * Conversions between ONNX `TensorProto` messages and host {@link Tensor}s.
 */
import { create } from '@bufbuild/protobuf';
import { MechintError } from '../errors.js';
import { allocate, dtypeBytes, dtypeFromOnnx, onnxTypeOf, viewBytes, type DType, type DTypeStorage } from '../tensor/dtype.js';
import { Tensor, shapeSize } from '../tensor/tensor.js';
import { TensorProtoSchema, TensorProto_DataLocation, type TensorProto } from './gen/onnx_pb.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The host tensor held by an ONNX `TensorProto` (an initializer or a `Constant`'s value).
 * Raw data is viewed without copying when aligned. External data must have been loaded first
 * (`decodeModel` does this when given the external files).
 *
 * @example
 * ```ts
 * import { decodeModel, tensorFromProto } from '@mechint/core';
 * declare const bytes: Uint8Array;
 * const model = decodeModel(bytes);
 * const w = tensorFromProto(model.graph.initializers[0]!);
 * ```
 */
export function tensorFromProto(proto: TensorProto): Tensor {
  const dtype = dtypeFromOnnx(proto.dataType);
  const shape = proto.dims.map((d) => Number(d));
  const size = shapeSize(shape);
  if (proto.dataLocation === TensorProto_DataLocation.EXTERNAL) {
    throw new MechintError('INVALID_MODEL', `Initializer '${proto.name}' keeps its data in an external file that was not loaded; pass the external files to decodeModel (or use loadModel with a path).`);
  }
  if (proto.rawData.byteLength > 0 || size === 0) {
    if (proto.rawData.byteLength !== size * dtypeBytes(dtype)) {
      throw new MechintError('INVALID_MODEL', `Initializer '${proto.name}' has ${proto.rawData.byteLength} raw bytes; shape [${shape.join(', ')}] of ${dtype} needs ${size * dtypeBytes(dtype)}.`);
    }
    if (!LITTLE_ENDIAN) throw new MechintError('UNSUPPORTED_DTYPE', 'Big-endian hosts are not supported.');
    return new Tensor(dtype, viewBytes(dtype, proto.rawData, size), shape);
  }
  return new Tensor(dtype, typedFieldData(proto, dtype, size), shape);
}

function typedFieldData<D extends DType>(proto: TensorProto, dtype: D, size: number): DTypeStorage[D] {
  const source = fieldFor(proto, dtype);
  if (source.length !== size) {
    throw new MechintError('INVALID_MODEL', `Initializer '${proto.name}' holds ${source.length} values; its shape needs ${size}.`);
  }
  const out = allocate(dtype, size);
  const target = out as unknown as Record<number, number | bigint>;
  const wide = dtype === 'int64' || dtype === 'uint64';
  for (let i = 0; i < size; i++) {
    const v = source[i]!;
    target[i] = wide ? BigInt(v) : Number(v);
  }
  return out;
}

function fieldFor(proto: TensorProto, dtype: DType): readonly (number | bigint)[] {
  switch (dtype) {
    case 'float32':
      return proto.floatData;
    case 'float64':
      return proto.doubleData;
    case 'int64':
      return proto.int64Data;
    case 'uint32':
    case 'uint64':
      return proto.uint64Data;
    default:
      return proto.int32Data;
  }
}

/**
 * A `TensorProto` named `name` holding `tensor` as little-endian raw data (shares the tensor's
 * memory; do not mutate the tensor afterwards).
 *
 * @example
 * ```ts
 * import { Tensor, tensorToProto } from '@mechint/core';
 * const proto = tensorToProto('scale', Tensor.from([0.5]));
 * proto.dims; // [1n]
 * ```
 */
export function tensorToProto(name: string, tensor: Tensor): TensorProto {
  if (!LITTLE_ENDIAN) throw new MechintError('UNSUPPORTED_DTYPE', 'Big-endian hosts are not supported.');
  const data = tensor.data;
  return create(TensorProtoSchema, {
    name,
    dataType: onnxTypeOf(tensor.dtype),
    dims: tensor.shape.map((d) => BigInt(d)),
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  });
}
