/**
 * Reading and writing ONNX `ModelProto` files, external-data initializers included.
 *
 * The codec is `@bufbuild/protobuf` (protobuf-es) over code generated from `onnx.proto`: it is
 * maintained by Buf, passes the protobuf conformance suite, needs no `eval` (safe under a strict
 * Content-Security-Policy in browsers, unlike protobufjs' code generation), reads `bytes` fields
 * as views of the input (no copy of weights) and keeps unknown fields, so models written by newer
 * ONNX versions round-trip losslessly.
 */
import { create, fromBinary } from '@bufbuild/protobuf';
import { MechintError } from '../errors.js';
import { ModelProtoSchema, StringStringEntryProtoSchema, TensorProtoSchema, TensorProto_DataLocation, type GraphProto, type ModelProto, type TensorProto } from './gen/onnx_pb.js';
import { concatChunks, modelChunks } from './encode.js';
import { nodeSubgraphs } from './graph.js';
import { ModelIR } from './model.js';

/** Largest message protobuf can encode; larger models must keep weights in external data. */
export const PROTOBUF_LIMIT = 2 ** 31 - 1;

/** Options of {@link decodeModel}. */
export interface DecodeOptions {
  /**
   * The contents of external-data files, by the `location` the model names (e.g.
   * `{ 'model.onnx.data': bytes }`), or a function returning them. Initializers that live in
   * external files are loaded into memory (viewed, not copied).
   */
  externalData?: Readonly<Record<string, Uint8Array>> | ((location: string) => Uint8Array);
}

/**
 * Decodes ONNX model bytes into a {@link ModelIR}. Throws `INVALID_MODEL` for bytes that are not a
 * valid model (truncated, random, not ONNX) and names what is wrong.
 *
 * @example
 * ```ts
 * import { decodeModel } from '@mechint/core';
 * import { readFileSync } from 'node:fs';
 * const model = decodeModel(readFileSync('model.onnx'));
 * console.log(model.graph.nodes.length, model.opset());
 * ```
 */
export function decodeModel(bytes: Uint8Array, options: DecodeOptions = {}): ModelIR {
  if (!(bytes instanceof Uint8Array)) throw new MechintError('INVALID_ARGUMENT', 'decodeModel takes the model file as a Uint8Array (e.g. fs.readFileSync(path)).');
  let proto: ModelProto;
  try {
    proto = fromBinary(ModelProtoSchema, bytes, { readUnknownFields: true });
  } catch (cause) {
    throw new MechintError('INVALID_MODEL', `These ${bytes.byteLength} bytes are not a valid ONNX model (${(cause as Error).message}); the file may be truncated or not an .onnx file.`, { cause });
  }
  validateModel(proto);
  loadExternalData(proto, options.externalData);
  return new ModelIR(proto);
}

/**
 * Encodes a {@link ModelIR} to ONNX bytes, every initializer inline. Throws `INVALID_MODEL` when the
 * model exceeds protobuf's 2 GB limit: use {@link encodeModelWithExternalData} then.
 *
 * @example
 * ```ts
 * import { decodeModel, encodeModel } from '@mechint/core';
 * declare const bytes: Uint8Array;
 * const again = encodeModel(decodeModel(bytes));
 * ```
 */
export function encodeModel(model: ModelIR): Uint8Array {
  const { chunks, size } = encodeModelChunks(model);
  return concatChunks(chunks, size);
}

/**
 * Encodes a model as chunks whose concatenation is the `.onnx` file, without copying weights:
 * write them one after another (e.g. with `FileHandle.writev`) to save a large model with no
 * extra copy in memory. Same checks as {@link encodeModel}.
 *
 * @example
 * ```ts
 * import { decodeModel, encodeModelChunks } from '@mechint/core';
 * import { open } from 'node:fs/promises';
 * declare const bytes: Uint8Array;
 * const { chunks } = encodeModelChunks(decodeModel(bytes));
 * const file = await open('/tmp/copy.onnx', 'w');
 * await file.writev([...chunks]);
 * await file.close();
 * ```
 */
export function encodeModelChunks(model: ModelIR): { chunks: readonly Uint8Array[]; size: number } {
  const inline = initializerBytes(model.graph.proto);
  if (inline > PROTOBUF_LIMIT) {
    throw new MechintError('INVALID_MODEL', `The model holds ${inline} bytes of weights, over protobuf's 2 GB limit; write it with encodeModelWithExternalData.`);
  }
  return modelChunks(model.proto);
}

/** Options of {@link encodeModelWithExternalData}. */
export interface ExternalDataOptions {
  /** File name the model records for the weights, relative to the model file. */
  location: string;
  /** Initializers smaller than this many bytes stay inline. Defaults to 1024, as `onnx.save_model`. */
  sizeThreshold?: number;
}

/**
 * Encodes a model with its large initializers moved to one external-data file, as
 * `onnx.save_model(..., save_as_external_data=True)` does. Returns both files' bytes; write `data`
 * next to the model under `location`. The input model is not modified.
 *
 * @example
 * ```ts
 * import { decodeModel, encodeModelWithExternalData } from '@mechint/core';
 * declare const bytes: Uint8Array;
 * const { model, data } = encodeModelWithExternalData(decodeModel(bytes), { location: 'model.onnx.data' });
 * ```
 */
export function encodeModelWithExternalData(model: ModelIR, options: ExternalDataOptions): { model: Uint8Array; data: Uint8Array } {
  const threshold = options.sizeThreshold ?? 1024;
  if (options.location === '' || options.location.includes('..')) {
    throw new MechintError('INVALID_ARGUMENT', `External data location must be a plain file name next to the model; got '${options.location}'.`);
  }
  const moved: { tensor: TensorProto; raw: Uint8Array }[] = [];
  const replacement = new Map<TensorProto, TensorProto>();
  let offset = 0;
  for (const tensor of allInitializers(model.graph.proto)) {
    if (tensor.rawData.byteLength < threshold) continue;
    const pad = (4096 - (offset % 4096)) % 4096;
    offset += pad;
    const external = create(TensorProtoSchema, {
      ...tensor,
      rawData: new Uint8Array(0),
      dataLocation: TensorProto_DataLocation.EXTERNAL,
      externalData: [
        create(StringStringEntryProtoSchema, { key: 'location', value: options.location }),
        create(StringStringEntryProtoSchema, { key: 'offset', value: String(offset) }),
        create(StringStringEntryProtoSchema, { key: 'length', value: String(tensor.rawData.byteLength) }),
      ],
    });
    replacement.set(tensor, external);
    moved.push({ tensor, raw: tensor.rawData });
    offset += tensor.rawData.byteLength;
  }
  const data = new Uint8Array(offset);
  let cursor = 0;
  for (const { raw } of moved) {
    cursor += (4096 - (cursor % 4096)) % 4096;
    data.set(raw, cursor);
    cursor += raw.byteLength;
  }
  const variant = model.clone();
  swapInitializers(variant.graph.proto, replacement);
  return { model: encodeModel(variant), data };
}

function swapInitializers(graph: GraphProto, replacement: ReadonlyMap<TensorProto, TensorProto>): void {
  graph.initializer = graph.initializer.map((t) => replacement.get(t) ?? t);
  for (const node of graph.node) for (const g of nodeSubgraphs(node)) swapInitializers(g, replacement);
}

function* allInitializers(graph: GraphProto): Generator<TensorProto, void, undefined> {
  yield* graph.initializer;
  for (const node of graph.node) for (const g of nodeSubgraphs(node)) yield* allInitializers(g);
}

function initializerBytes(graph: GraphProto): number {
  let total = 0;
  for (const t of allInitializers(graph)) total += t.rawData.byteLength;
  return total;
}

function validateModel(proto: ModelProto): void {
  if (proto.graph === undefined) {
    throw new MechintError('INVALID_MODEL', 'The bytes decode as protobuf but hold no ONNX graph; the file may be truncated or not an .onnx file.');
  }
  if (proto.irVersion <= 0n) throw new MechintError('INVALID_MODEL', 'The model declares no ir_version; the file may be truncated or not an .onnx file.');
  if (proto.irVersion >= 3n && proto.opsetImport.length === 0) {
    throw new MechintError('INVALID_MODEL', 'The model imports no opset; the file may be truncated (opset_import is written after the graph).');
  }
  checkGraph(proto.graph, new Set());
}

function checkGraph(graph: GraphProto, outer: ReadonlySet<string>): void {
  const known = new Set<string>([...outer, ...graph.input.map((i) => i.name), ...graph.initializer.map((t) => t.name)]);
  for (const node of graph.node) for (const out of node.output) known.add(out);
  for (const node of graph.node) {
    for (const input of node.input) {
      if (input !== '' && !known.has(input)) {
        throw new MechintError('INVALID_MODEL', `Node '${node.name || node.opType}' reads '${input}', which no input, initializer or node defines.`, {
          details: { node: node.name, input },
        });
      }
    }
    for (const g of nodeSubgraphs(node)) checkGraph(g, known);
  }
  for (const output of graph.output) {
    if (!known.has(output.name)) throw new MechintError('INVALID_MODEL', `Graph output '${output.name}' is never computed.`);
  }
}

function loadExternalData(proto: ModelProto, source: DecodeOptions['externalData']): void {
  for (const tensor of allInitializers(proto.graph!)) {
    if (tensor.dataLocation !== TensorProto_DataLocation.EXTERNAL) continue;
    const entry = Object.fromEntries(tensor.externalData.map((e) => [e.key, e.value]));
    const location = entry['location'];
    if (location === undefined) throw new MechintError('INVALID_MODEL', `Initializer '${tensor.name}' is external but names no location.`);
    const file = typeof source === 'function' ? source(location) : source?.[location];
    if (file === undefined) {
      throw new MechintError('INVALID_MODEL', `Initializer '${tensor.name}' lives in external file '${location}'; pass it in decodeModel's externalData (or load the model from its path).`, {
        details: { location },
      });
    }
    const offset = Number(entry['offset'] ?? 0);
    const length = entry['length'] === undefined ? file.byteLength - offset : Number(entry['length']);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > file.byteLength) {
      throw new MechintError('INVALID_MODEL', `Initializer '${tensor.name}' points at bytes ${offset}..${offset + length} of '${location}', which has ${file.byteLength}; the data file is truncated or does not belong to this model.`);
    }
    tensor.rawData = file.subarray(offset, offset + length);
    tensor.dataLocation = TensorProto_DataLocation.DEFAULT;
    tensor.externalData = [];
  }
}
