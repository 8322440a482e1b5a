/**
 * Module paths of nodes, recovered from what exporters record: TorchScript-style node names
 * (`/blocks.0/attn/W_Q/MatMul` → `blocks.0.attn.W_Q`; torch.onnx.export and Hugging Face Optimum)
 * and the dynamo exporter's `pkg.torch.onnx.name_scopes` node metadata.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { StringStringEntryProtoSchema, type NodeProto } from '../onnx/gen/onnx_pb.js';

/** `NodeProto.metadata_props` (ONNX ≥ 1.16); older schemas keep it as an unknown field. */
const NODE_METADATA_FIELD = 9;
const DYNAMO_SCOPES = 'pkg.torch.onnx.name_scopes';

/**
 * The module path of the node that produced a value (`''` for the model's root scope, `undefined`
 * when the exporter recorded no scope at all).
 *
 * @example
 * ```ts
 * import { moduleOf, onnx } from '@mechint/core';
 * import { create } from '@bufbuild/protobuf';
 * moduleOf(create(onnx.NodeProtoSchema, { name: '/blocks.0/attn/W_Q/MatMul' })); // 'blocks.0.attn.W_Q'
 * ```
 */
export function moduleOf(node: NodeProto): string | undefined {
  const dynamo = dynamoScopes(node);
  if (dynamo !== undefined) return dynamo.length >= 2 ? dynamo[dynamo.length - 2]! : '';
  if (!node.name.startsWith('/')) return undefined;
  const parts = node.name.split('/').slice(1, -1);
  return parts.join('.');
}

/** The module path and all its ancestors, innermost first: `a.b.c` → `a.b.c`, `a.b`, `a`. */
export function enclosingModules(path: string): string[] {
  const parts = path === '' ? [] : path.split('.');
  return parts.map((_, i) => parts.slice(0, parts.length - i).join('.'));
}

function dynamoScopes(node: NodeProto): string[] | undefined {
  for (const field of node.$unknown ?? []) {
    if (field.no !== NODE_METADATA_FIELD || field.wireType !== 2) continue;
    const entry = fromBinary(StringStringEntryProtoSchema, new BinaryReader(field.data).bytes());
    if (entry.key === DYNAMO_SCOPES) return parsePythonStringList(entry.value);
  }
  return undefined;
}

/** Parses the repr of a Python list of strings, e.g. `['', 'blocks.0', 'linear']`. */
function parsePythonStringList(text: string): string[] | undefined {
  const items: string[] = [];
  const pattern = /'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g;
  for (const match of text.matchAll(pattern)) items.push((match[1] ?? match[2] ?? '').replace(/\\(.)/g, '$1'));
  return text.trim().startsWith('[') ? items : undefined;
}
