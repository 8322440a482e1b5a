/**
 * A mutable view over an ONNX `GraphProto`: values, nodes, initializers, value_info, with
 * producer / consumer maps, topological order, renaming, cutting and extraction.
 */
import { clone, create } from '@bufbuild/protobuf';
import { MechintError } from '../errors.js';
import {
  AttributeProto_AttributeType,
  GraphProtoSchema,
  NodeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type TypeProto,
  type ValueInfoProto,
} from './gen/onnx_pb.js';
import { outputElemType } from './elem-type.js';
import { closestNames } from './names.js';
import { tensorType } from './types.js';

/** What {@link Graph.addNode} needs; `name` and `domain` default to a fresh name and `''`. */
export interface NodeSpec {
  /** Operator type, e.g. `'MatMul'`. */
  opType: string;
  /** Input value names, in the operator's order (`''` for a skipped optional input). */
  inputs: readonly string[];
  /** Output value names, in the operator's order. */
  outputs: readonly string[];
  /** Node name (optional in ONNX). */
  name?: string;
  /** Operator domain; `''` (the default) is the standard ONNX domain. */
  domain?: string;
  /** The node's attributes. */
  attributes?: readonly AttributeProto[];
}

interface Index {
  producer: Map<string, NodeProto>;
  consumers: Map<string, NodeProto[]>;
  initializer: Map<string, TensorProto>;
  info: Map<string, ValueInfoProto>;
  inputs: Set<string>;
  /** Every value and node name in use. */
  names: Set<string>;
}

/**
 * The main graph of a model (or a subgraph of `If` / `Loop` / `Scan`), editable in place.
 *
 * Lookups (`producerOf`, `consumersOf`, …) use indexes that every method here keeps current;
 * after editing `proto` by hand, call {@link Graph.invalidate}.
 *
 * @example
 * ```ts
 * import { decodeModel } from '@mechint/core';
 * declare const bytes: Uint8Array;
 * const { graph } = decodeModel(bytes);
 * const relu = graph.nodes.find((n) => n.opType === 'Relu')!;
 * graph.addOutput(relu.output[0]!); // now returned by every run
 * ```
 */
export class Graph {
  /** The underlying protobuf message; everything the codec read is kept, unknown fields too. */
  readonly proto: GraphProto;
  /** For a subgraph: the graph whose values it reads from the enclosing scope. */
  readonly outer: Graph | undefined;
  #index: Index | undefined;

  /** `outer`: for the body of an If / Loop / Scan, the graph that holds that node. */
  constructor(proto: GraphProto, outer?: Graph) {
    this.proto = proto;
    this.outer = outer;
  }

  /** Nodes in stored order (ONNX requires topological order; see {@link Graph.topologicalOrder}). */
  get nodes(): NodeProto[] {
    return this.proto.node;
  }

  /** Graph inputs (some IR < 4 models also list initializers here). */
  get inputs(): ValueInfoProto[] {
    return this.proto.input;
  }

  /** Graph outputs. */
  get outputs(): ValueInfoProto[] {
    return this.proto.output;
  }

  /** Constant tensors (weights). */
  get initializers(): TensorProto[] {
    return this.proto.initializer;
  }

  /** Types recorded for intermediate values. */
  get valueInfo(): ValueInfoProto[] {
    return this.proto.valueInfo;
  }

  /** Names of the inputs a caller must feed (graph inputs that are not initializers). */
  get feedNames(): string[] {
    const index = this.index();
    return this.inputs.map((i) => i.name).filter((n) => !index.initializer.has(n));
  }

  /** Drops the lookup indexes after a manual edit of {@link Graph.proto}. */
  invalidate(): void {
    this.#index = undefined;
  }

  /** The node that produces `name`, or `undefined` for inputs, initializers and outer-scope values. */
  producerOf(name: string): NodeProto | undefined {
    return this.index().producer.get(name);
  }

  /** Nodes that read `name`, including nodes whose subgraphs read it from the outer scope. */
  consumersOf(name: string): readonly NodeProto[] {
    return this.index().consumers.get(name) ?? [];
  }

  /** The initializer named `name`, if any. */
  initializer(name: string): TensorProto | undefined {
    return this.index().initializer.get(name);
  }

  /**
   * True when `name` is a graph input, an initializer or a node output of this graph (or, for a
   * subgraph given its `outer` graph, visible from the enclosing scopes).
   */
  has(name: string): boolean {
    const index = this.index();
    return index.producer.has(name) || index.initializer.has(name) || index.inputs.has(name) || (this.outer?.has(name) ?? false);
  }

  /** Every value defined in this graph: inputs, initializers and node outputs, in that order. */
  valueNames(): string[] {
    const names = new Set<string>();
    for (const i of this.inputs) names.add(i.name);
    for (const t of this.initializers) names.add(t.name);
    for (const n of this.nodes) for (const o of n.output) if (o !== '') names.add(o);
    return [...names];
  }

  /**
   * The type of `name`: as recorded (inputs, outputs, value_info, its initializer), else a tensor
   * of unknown shape whose element type follows from the producers by the operators' type rules;
   * `undefined` when neither decides it.
   */
  typeOf(name: string): TypeProto | undefined {
    const recorded = this.recordedType(name);
    if (recorded !== undefined) return recorded;
    const elemType = this.elemTypeOf(name, new Set());
    return elemType === undefined ? undefined : tensorType(elemType);
  }

  private recordedType(name: string): TypeProto | undefined {
    const info = this.index().info.get(name);
    if (info?.type !== undefined) return info.type;
    const init = this.initializer(name);
    return init === undefined ? undefined : tensorType(init.dataType, init.dims.map(Number));
  }

  private elemTypeOf(name: string, visiting: Set<string>): number | undefined {
    const recorded = this.recordedType(name);
    if (recorded !== undefined) return recorded.value.case === 'tensorType' ? recorded.value.value.elemType : undefined;
    const producer = this.producerOf(name);
    if (producer === undefined || visiting.has(name)) return undefined;
    visiting.add(name);
    return outputElemType(producer, producer.output.indexOf(name), (input) => this.elemTypeOf(input, visiting));
  }

  /**
   * Nodes ordered so that every node comes after the producers of its inputs (Kahn's algorithm,
   * stable with respect to stored order). Throws `INVALID_MODEL` on a cycle.
   */
  topologicalOrder(): NodeProto[] {
    const index = this.index();
    const pending = new Map<NodeProto, number>();
    const ready: NodeProto[] = [];
    const position = new Map(this.nodes.map((n, i) => [n, i]));
    for (const node of this.nodes) {
      const deps = new Set([...node.input, ...subgraphReads(node)].map((v) => index.producer.get(v)).filter((p): p is NodeProto => p !== undefined && p !== node));
      pending.set(node, deps.size);
      if (deps.size === 0) ready.push(node);
    }
    const order: NodeProto[] = [];
    while (ready.length > 0) {
      ready.sort((a, b) => position.get(a)! - position.get(b)!);
      const node = ready.shift()!;
      order.push(node);
      const released = new Set<NodeProto>();
      for (const out of node.output) for (const c of index.consumers.get(out) ?? []) released.add(c);
      for (const c of released) {
        const left = pending.get(c)! - 1;
        pending.set(c, left);
        if (left === 0) ready.push(c);
      }
    }
    if (order.length !== this.nodes.length) {
      const stuck = this.nodes.filter((n) => !order.includes(n)).map((n) => n.name || n.opType);
      throw new MechintError('INVALID_MODEL', `The graph has a cycle through: ${stuck.slice(0, 5).join(', ')}.`);
    }
    return order;
  }

  /** A value name based on `base` that is not used in this graph yet. */
  uniqueName(base: string): string {
    const names = this.index().names;
    const taken = (name: string) => names.has(name) || (this.outer?.has(name) ?? false);
    if (!taken(base)) return base;
    let i = 1;
    while (taken(`${base}_${i}`)) i++;
    return `${base}_${i}`;
  }

  /**
   * Appends a node. Its inputs must exist (or be `''` for an omitted optional input).
   *
   * @example
   * ```ts
   * import { Graph } from '@mechint/core';
   * declare const graph: Graph;
   * graph.addNode({ opType: 'Relu', inputs: ['x'], outputs: ['x_relu'] });
   * ```
   */
  addNode(spec: NodeSpec): NodeProto {
    for (const input of spec.inputs) if (input !== '') this.requireValue(input);
    for (const output of spec.outputs) {
      if (this.has(output)) throw new MechintError('INVALID_ARGUMENT', `Value '${output}' already exists; pick a new name (graph.uniqueName('${output}')).`);
    }
    const node = create(NodeProtoSchema, {
      opType: spec.opType,
      input: [...spec.inputs],
      output: [...spec.outputs],
      name: spec.name ?? this.uniqueName(`${spec.opType}_${this.nodes.length}`),
      domain: spec.domain ?? '',
      attribute: [...(spec.attributes ?? [])],
    });
    this.nodes.push(node);
    this.indexNode(this.index(), node);
    return node;
  }

  /**
   * Adds an initializer (a constant tensor). Throws `INVALID_ARGUMENT` when its name is taken.
   *
   * @example
   * ```ts
   * import { Graph, Tensor, tensorToProto } from '@mechint/core';
   * declare const graph: Graph;
   * graph.addInitializer(tensorToProto('two', Tensor.from([2])));
   * ```
   */
  addInitializer(tensor: TensorProto): void {
    if (this.has(tensor.name)) throw new MechintError('INVALID_ARGUMENT', `Value '${tensor.name}' already exists; pick a new name (graph.uniqueName('${tensor.name}')).`);
    this.initializers.push(tensor);
    const index = this.index();
    index.initializer.set(tensor.name, tensor);
    index.names.add(tensor.name);
  }

  /**
   * Makes `name` a graph output, so every run returns it. Its type comes from `type` or from what
   * the exporter recorded; with neither, onnxruntime infers it when the session is created.
   * Does nothing if `name` already is an output.
   */
  addOutput(name: string, type?: TypeProto): ValueInfoProto {
    this.requireValue(name);
    const existing = this.outputs.find((o) => o.name === name);
    if (existing !== undefined) return existing;
    const recorded = type ?? this.typeOf(name);
    const info = create(ValueInfoProtoSchema, recorded === undefined ? { name } : { name, type: recorded });
    this.outputs.push(info);
    this.invalidate();
    return info;
  }

  /** Stops returning `name` from runs (the value itself stays in the graph). */
  removeOutput(name: string): void {
    const i = this.outputs.findIndex((o) => o.name === name);
    if (i < 0) throw new MechintError('UNKNOWN_VALUE', `'${name}' is not a graph output; outputs: ${this.outputs.map((o) => o.name).join(', ')}.`);
    this.outputs.splice(i, 1);
    this.invalidate();
  }

  /**
   * Cuts the graph at `name`: consumers of `name` now read a new graph input of the same name
   * that the caller feeds, and nodes (and initializers) no longer needed are removed. A graph
   * output named `name` stays and returns the fed value.
   *
   * @example
   * ```ts
   * import { Graph } from '@mechint/core';
   * declare const graph: Graph;
   * graph.replaceWithInput('/blocks.0/Add_output_0'); // feed your own residual stream
   * ```
   */
  replaceWithInput(name: string, type?: TypeProto): ValueInfoProto {
    this.requireValue(name);
    const recorded = type ?? this.typeOf(name);
    if (recorded === undefined) {
      throw new MechintError('INVALID_ARGUMENT', `No type is recorded for '${name}'; pass its type (tensorType(elemType, shape)).`);
    }
    const producer = this.producerOf(name);
    if (producer !== undefined) {
      const detached = this.uniqueName(`${name}_detached`);
      producer.output = producer.output.map((o) => (o === name ? detached : o));
    }
    const initIndex = this.initializers.findIndex((t) => t.name === name);
    if (initIndex >= 0) this.initializers.splice(initIndex, 1);
    this.proto.valueInfo = this.valueInfo.filter((v) => v.name !== name);
    let input = this.inputs.find((i) => i.name === name);
    if (input === undefined) {
      input = create(ValueInfoProtoSchema, { name, type: recorded });
      this.inputs.push(input);
    }
    this.invalidate();
    this.prune();
    return input;
  }

  /**
   * Removes nodes and initializers that no graph output depends on (inputs are kept: they are
   * the graph's signature).
   */
  prune(): void {
    const needed = this.ancestors(this.outputs.map((o) => o.name));
    this.proto.node = this.nodes.filter((n) => needed.nodes.has(n));
    this.proto.initializer = this.initializers.filter((t) => needed.values.has(t.name) || this.inputs.some((i) => i.name === t.name));
    const live = new Set(this.valueNames());
    this.proto.valueInfo = this.valueInfo.filter((v) => live.has(v.name));
    this.invalidate();
  }

  /**
   * Renames the value `from` to `to` everywhere it appears: producers, consumers (also inside
   * subgraphs that read it from this scope), inputs, outputs, value_info and initializers.
   */
  renameValue(from: string, to: string): void {
    this.requireValue(from);
    if (this.has(to)) throw new MechintError('INVALID_ARGUMENT', `Cannot rename '${from}' to '${to}': that name is taken.`);
    renameIn(this.proto, from, to);
    this.invalidate();
  }

  /**
   * A new graph that computes `outputs` from `inputs`: the nodes between the cut, the initializers
   * they read, and typed inputs / outputs. Throws `INVALID_ARGUMENT` when an output depends on a
   * value outside the cut (the message names it).
   *
   * @example
   * ```ts
   * import { decodeModel } from '@mechint/core';
   * declare const bytes: Uint8Array;
   * const { graph } = decodeModel(bytes);
   * const mlp = graph.extract(['/blocks.0/ln2/Add_1_output_0'], ['/blocks.0/mlp/W_out/Add_output_0']);
   * ```
   */
  extract(inputs: readonly string[], outputs: readonly string[]): Graph {
    for (const name of [...inputs, ...outputs]) this.requireValue(name);
    const cut = new Set(inputs);
    const { nodes, values } = this.ancestors(outputs, cut);
    const order = this.topologicalOrder().filter((n) => nodes.has(n));
    const missing = [...values].filter((v) => !cut.has(v) && !this.producerOf(v) && !this.initializer(v));
    if (missing.length > 0) {
      throw new MechintError('INVALID_ARGUMENT', `The outputs also depend on ${missing.map((m) => `'${m}'`).join(', ')}; add them to the cut inputs.`, {
        details: { missing },
      });
    }
    const info = (name: string): ValueInfoProto => {
      const type = this.typeOf(name);
      return create(ValueInfoProtoSchema, type === undefined ? { name } : { name, type });
    };
    const keep = new Set([...values, ...order.flatMap((n) => n.output)]);
    const proto = create(GraphProtoSchema, {
      name: `${this.proto.name}_extract`,
      node: order.map((n) => clone(NodeProtoSchema, n)),
      initializer: this.initializers.filter((t) => values.has(t.name) && !cut.has(t.name)),
      input: inputs.map(info),
      output: outputs.map(info),
      valueInfo: this.valueInfo.filter((v) => keep.has(v.name) && !cut.has(v.name) && !outputs.includes(v.name)),
    });
    return new Graph(proto);
  }

  private ancestors(targets: readonly string[], stopAt: ReadonlySet<string> = new Set()): { nodes: Set<NodeProto>; values: Set<string> } {
    const nodes = new Set<NodeProto>();
    const values = new Set<string>();
    const stack = [...targets];
    while (stack.length > 0) {
      const name = stack.pop()!;
      if (name === '' || values.has(name)) continue;
      values.add(name);
      if (stopAt.has(name)) continue;
      const producer = this.producerOf(name);
      if (producer === undefined || nodes.has(producer)) continue;
      nodes.add(producer);
      stack.push(...producer.input, ...subgraphReads(producer));
    }
    return { nodes, values };
  }

  private requireValue(name: string): void {
    if (this.has(name)) return;
    const suggestions = closestNames(name, this.valueNames());
    throw new MechintError('UNKNOWN_VALUE', `No value named '${name}' in graph '${this.proto.name}'.${suggestions.length ? ` Did you mean ${suggestions.map((s) => `'${s}'`).join(', ')}?` : ''}`, {
      details: { name, suggestions },
    });
  }

  private index(): Index {
    if (this.#index !== undefined) return this.#index;
    const info = new Map<string, ValueInfoProto>();
    for (const v of [...this.valueInfo, ...this.outputs, ...this.inputs]) info.set(v.name, v);
    const initializer = new Map(this.initializers.map((t) => [t.name, t]));
    const inputs = new Set(this.inputs.map((i) => i.name));
    const index: Index = { producer: new Map(), consumers: new Map(), initializer, info, inputs, names: new Set([...inputs, ...initializer.keys()]) };
    for (const node of this.nodes) this.indexNode(index, node);
    this.#index = index;
    return index;
  }

  private indexNode(index: Index, node: NodeProto): void {
    index.names.add(node.name);
    for (const out of node.output) {
      if (out === '') continue;
      index.producer.set(out, node);
      index.names.add(out);
    }
    for (const input of new Set([...node.input, ...subgraphReads(node)])) {
      if (input === '') continue;
      const list = index.consumers.get(input);
      if (list === undefined) index.consumers.set(input, [node]);
      else list.push(node);
    }
  }
}

/** Graph-valued attributes of a node (bodies of `If`, `Loop`, `Scan`). */
export function nodeSubgraphs(node: NodeProto): GraphProto[] {
  const graphs: GraphProto[] = [];
  for (const a of node.attribute) {
    if (a.type === AttributeProto_AttributeType.GRAPH && a.g !== undefined) graphs.push(a.g);
    if (a.type === AttributeProto_AttributeType.GRAPHS) graphs.push(...a.graphs);
  }
  return graphs;
}

/** Names a node's subgraphs read from the enclosing scope (their implicit inputs). */
export function subgraphReads(node: NodeProto): string[] {
  const reads = new Set<string>();
  for (const g of nodeSubgraphs(node)) for (const name of outerReads(g)) reads.add(name);
  return [...reads];
}

function outerReads(graph: GraphProto): Set<string> {
  const defined = new Set<string>([...graph.input.map((i) => i.name), ...graph.initializer.map((t) => t.name)]);
  const reads = new Set<string>();
  for (const node of graph.node) {
    for (const input of [...node.input, ...subgraphReads(node)]) if (input !== '' && !defined.has(input)) reads.add(input);
    for (const out of node.output) defined.add(out);
  }
  for (const o of graph.output) if (!defined.has(o.name)) reads.add(o.name);
  return reads;
}

function renameIn(graph: GraphProto, from: string, to: string): void {
  const swap = (name: string) => (name === from ? to : name);
  const definesLocally = (g: GraphProto) => g.input.some((i) => i.name === from) || g.initializer.some((t) => t.name === from) || g.node.some((n) => n.output.includes(from));
  for (const node of graph.node) {
    node.input = node.input.map(swap);
    node.output = node.output.map(swap);
    for (const g of nodeSubgraphs(node)) if (!definesLocally(g)) renameIn(g, from, to);
  }
  for (const v of [...graph.input, ...graph.output, ...graph.valueInfo]) v.name = swap(v.name);
  for (const t of graph.initializer) t.name = swap(t.name);
}
