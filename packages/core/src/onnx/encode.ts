/**
 * A single-copy writer for large models. protobuf-es writes nested messages into growing buffers
 * and copies every weight several times; here the messages that carry weights (ModelProto →
 * GraphProto → TensorProto) are laid out from sizes computed first, and each weight is copied
 * once, straight into the final buffer. All other fields, unknown ones included, are still
 * written by protobuf-es. Protobuf readers accept fields in any order, and the order within each
 * repeated field is kept.
 */
import { toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { GraphProtoSchema, ModelProtoSchema, TensorProtoSchema, type GraphProto, type ModelProto, type TensorProto } from './gen/onnx_pb.js';

/** Tensors with less raw data than this are written by protobuf-es in one go. */
const SPLICE_THRESHOLD = 1 << 16;

const FIELD_MODEL_GRAPH = 7;
const FIELD_GRAPH_INITIALIZER = 5;
const FIELD_TENSOR_RAW_DATA = 9;

interface Encoded {
  readonly pieces: readonly Uint8Array[];
  readonly size: number;
}

/**
 * Serialises a ModelProto as a list of chunks whose concatenation is the file; weights are
 * referenced, not copied. The bytes equal protobuf's up to field order.
 */
export function modelChunks(model: ModelProto): { chunks: readonly Uint8Array[]; size: number } {
  const encoded = modelPieces(model);
  return { chunks: encoded.pieces, size: encoded.size };
}

/** Concatenates chunks into one buffer (one copy of each weight). */
export function concatChunks(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function modelPieces(model: ModelProto): Encoded {
  if (model.graph === undefined) return whole(ModelProtoSchema, model);
  return join([without(ModelProtoSchema, model, 'graph'), field(FIELD_MODEL_GRAPH, graphPieces(model.graph))]);
}

function graphPieces(graph: GraphProto): Encoded {
  if (!graph.initializer.some((t) => t.rawData.byteLength >= SPLICE_THRESHOLD)) return whole(GraphProtoSchema, graph);
  const head = without(GraphProtoSchema, graph, 'initializer');
  return join([head, ...graph.initializer.map((t) => field(FIELD_GRAPH_INITIALIZER, tensorPieces(t)))]);
}

function tensorPieces(tensor: TensorProto): Encoded {
  if (tensor.rawData.byteLength < SPLICE_THRESHOLD) return whole(TensorProtoSchema, tensor);
  const raw = tensor.rawData;
  return join([without(TensorProtoSchema, tensor, 'rawData'), field(FIELD_TENSOR_RAW_DATA, { pieces: [raw], size: raw.byteLength })]);
}

function whole<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Encoded {
  const bytes = toBinary(schema, message, { writeUnknownFields: true });
  return { pieces: [bytes], size: bytes.byteLength };
}

function without<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, key: string): Encoded {
  const copy = Object.assign(Object.create(Object.getPrototypeOf(message) as object) as MessageShape<Desc>, message);
  delete (copy as Record<string, unknown>)[key];
  if (Array.isArray((message as Record<string, unknown>)[key])) (copy as Record<string, unknown>)[key] = [];
  return whole(schema, copy);
}

function field(number: number, body: Encoded): Encoded {
  const prefix = [...varint((number << 3) | 2), ...varint(body.size)];
  return join([{ pieces: [new Uint8Array(prefix)], size: prefix.length }, body]);
}

function join(parts: readonly Encoded[]): Encoded {
  return { pieces: parts.flatMap((p) => p.pieces), size: parts.reduce((s, p) => s + p.size, 0) };
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  let v = value;
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return bytes;
}
