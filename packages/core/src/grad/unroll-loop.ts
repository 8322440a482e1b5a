/**
 * Unrolling of `Loop` nodes whose trip count is a constant and that never stop early, and of `Scan`
 * nodes whose scan inputs have a known length: the body copied once per iteration into the
 * enclosing graph — what lets gradients flow through the iterations with the rules of the body's
 * operators.
 */
import { clone } from '@bufbuild/protobuf';
import { GraphProtoSchema, type GraphProto, type NodeProto } from '../onnx/gen/onnx_pb.js';
import { Graph, nodeSubgraphs } from '../onnx/graph.js';
import type { Dim } from '../onnx/types.js';
import { Tensor } from '../tensor/tensor.js';
import { Splicer } from '../hooks/splicer.js';

/**
 * Why `node` (a Loop) cannot be unrolled, or `undefined` when {@link unrollLoop} can unroll it.
 *
 * @example
 * ```ts
 * import type { Graph, NodeProto } from '@mechint/core';
 * declare const graph: Graph;
 * declare const loop: NodeProto;
 * console.log(loopUnrollBlocker(graph, loop)); // e.g. 'its trip count is not a constant (unrolling needs one)'
 * ```
 */
export function loopUnrollBlocker(graph: Graph, node: NodeProto): string | undefined {
  const trips = constantOf(graph, node.input[0] ?? '');
  if (trips === undefined) return 'its trip count is not a constant (unrolling needs one)';
  if (trips.length !== 1 || trips[0]! < 1n) return 'its trip count is not a positive scalar';
  const start = node.input[1] ?? '';
  if (start !== '' && constantOf(graph, start)?.[0] !== 1n) return 'its initial condition is not the constant true';
  const body = nodeSubgraphs(node)[0];
  if (body === undefined) return 'it has no body';
  const condIn = body.input[1]?.name;
  const condOut = body.output[0]?.name;
  const passes = body.node.find((n) => n.output.includes(condOut ?? ''));
  if (condOut !== condIn && !(passes?.opType === 'Identity' && passes.input[0] === condIn)) return 'its body computes the condition (it may stop early)';
  return undefined;
}

/**
 * Replaces `node`, a `Loop` that {@link loopUnrollBlocker} accepts, by one copy of its body per
 * iteration in `graph` (the iteration number a constant, the condition true, the carried values
 * chained), its scan outputs stacked along a new first axis; the Loop's outputs keep their names.
 *
 * @example
 * ```ts
 * import type { Graph, NodeProto } from '@mechint/core';
 * declare const graph: Graph;
 * declare const loop: NodeProto;
 * unrollLoop(graph, loop, 17, '__my_loop'); // graph computes the same outputs without the Loop
 * ```
 */
export function unrollLoop(graph: Graph, node: NodeProto, opset: number, prefix: string): void {
  const trips = Number(constantOf(graph, node.input[0]!)![0]!);
  const body = nodeSubgraphs(node)[0]!;
  const carried = body.input.length - 2;
  const splicer = new Splicer(graph, opset, prefix);
  let state = node.input.slice(2);
  const scans: string[][] = body.output.slice(1 + carried).map(() => []);
  graph.proto.node.splice(graph.proto.node.indexOf(node), 1);
  graph.invalidate();
  for (let k = 0; k < trips; k++) {
    const bound = [splicer.constant(Tensor.from([BigInt(k)], [], 'int64')), splicer.constant(Tensor.from([true], [], 'bool')), ...state];
    const outputs = inlineBody(graph, body, bound, `${prefix}_${k}`);
    state = outputs.slice(1, 1 + carried);
    outputs.slice(1 + carried).forEach((o, j) => scans[j]!.push(splicer.unsqueeze(o, [0])));
  }
  node.output.forEach((out, i) => {
    if (out === '') return;
    if (i < carried) splicer.node('Identity', [state[i]!], {}, [out]);
    else splicer.node(scans[i - carried]!.length === 1 ? 'Identity' : 'Concat', scans[i - carried]!, scans[i - carried]!.length === 1 ? {} : { axis: 0n }, [out]);
  });
  graph.proto.node = graph.topologicalOrder();
  graph.invalidate();
}

/** Scan's attributes, as lists (defaults filled in). */
interface ScanPlan {
  states: number;
  inputs: string[];
  inputAxes: number[];
  inputReversed: boolean[];
  outputAxes: number[];
  outputReversed: boolean[];
  length: number | undefined;
}

function scanPlan(graph: Graph, node: NodeProto, shapes: ReadonlyMap<string, readonly Dim[]>): ScanPlan {
  const ints = (name: string, count: number, fallback: number) => {
    const a = node.attribute.find((x) => x.name === name)?.ints.map(Number);
    return a === undefined || a.length === 0 ? new Array<number>(count).fill(fallback) : a;
  };
  const m = Number(node.attribute.find((a) => a.name === 'num_scan_inputs')?.i ?? 0n);
  const states = node.input.length - m;
  const inputs = node.input.slice(states);
  const body = nodeSubgraphs(node)[0]!;
  const k = body.output.length - states;
  const inputAxes = ints('scan_input_axes', m, 0);
  const dimOf = (value: string, axis: number): number | undefined => {
    const type = graph.typeOf(value);
    const recorded = type?.value.case === 'tensorType' ? type.value.value.shape?.dim.map((d): Dim => (d.value.case === 'dimValue' ? Number(d.value.value) : null)) : undefined;
    const dims = shapes.get(value) ?? recorded;
    const d = dims?.[axis < 0 ? dims.length + axis : axis];
    return typeof d === 'number' ? d : undefined;
  };
  const length = inputs.map((v, i) => dimOf(v, inputAxes[i]!)).find((d) => d !== undefined);
  return { states, inputs, inputAxes, inputReversed: ints('scan_input_directions', m, 0).map(Boolean), outputAxes: ints('scan_output_axes', k, 0), outputReversed: ints('scan_output_directions', k, 0).map(Boolean), length };
}

/**
 * Why `node` (a Scan) cannot be unrolled, or `undefined` when {@link unrollScan} can unroll it;
 * `shapes` are static shapes known besides the graph's own (a probe's).
 *
 * @example
 * ```ts
 * import type { Graph, NodeProto } from '@mechint/core';
 * declare const graph: Graph;
 * declare const scan: NodeProto;
 * console.log(scanUnrollBlocker(graph, scan, new Map())); // e.g. 'the length of its scan inputs is not known statically'
 * ```
 */
export function scanUnrollBlocker(graph: Graph, node: NodeProto, shapes: ReadonlyMap<string, readonly Dim[]>): string | undefined {
  const plan = scanPlan(graph, node, shapes);
  if (plan.inputs.length === 0) return 'it has no scan input';
  if (plan.outputAxes.some((a) => a < 0)) return 'a negative scan_output_axes is not supported';
  if (plan.length === undefined) return 'the length of its scan inputs is not known statically';
  if (plan.length < 1) return 'its scan inputs are empty';
  return undefined;
}

/**
 * Replaces `node`, a `Scan` that {@link scanUnrollBlocker} accepts, by one copy of its body per
 * step in `graph` (each scan input's slice taken with `Gather`, in its direction; the states
 * chained), its scan outputs stacked along their axes in their directions; the Scan's outputs
 * keep their names.
 *
 * @example
 * ```ts
 * import type { Graph, NodeProto } from '@mechint/core';
 * declare const graph: Graph;
 * declare const scan: NodeProto;
 * unrollScan(graph, scan, 17, '__my_scan', new Map()); // graph computes the same outputs without the Scan
 * ```
 */
export function unrollScan(graph: Graph, node: NodeProto, opset: number, prefix: string, shapes: ReadonlyMap<string, readonly Dim[]>): void {
  const plan = scanPlan(graph, node, shapes);
  const steps = plan.length!;
  const body = nodeSubgraphs(node)[0]!;
  const splicer = new Splicer(graph, opset, prefix);
  let state = node.input.slice(0, plan.states);
  const scans: string[][] = body.output.slice(plan.states).map(() => []);
  graph.proto.node.splice(graph.proto.node.indexOf(node), 1);
  graph.invalidate();
  for (let k = 0; k < steps; k++) {
    const slices = plan.inputs.map((v, i) => splicer.op('Gather', [v, splicer.constant(Tensor.from([BigInt(plan.inputReversed[i] ? steps - 1 - k : k)], [], 'int64'))], { axis: BigInt(plan.inputAxes[i]!) }));
    const outputs = inlineBody(graph, body, [...state, ...slices], `${prefix}_${k}`);
    state = outputs.slice(0, plan.states);
    outputs.slice(plan.states).forEach((o, j) => scans[j]!.push(splicer.unsqueeze(o, [plan.outputAxes[j]!])));
  }
  node.output.forEach((out, i) => {
    if (out === '') return;
    if (i < plan.states) {
      splicer.node('Identity', [state[i]!], {}, [out]);
      return;
    }
    const j = i - plan.states;
    const parts = plan.outputReversed[j] ? [...scans[j]!].reverse() : scans[j]!;
    splicer.node(parts.length === 1 ? 'Identity' : 'Concat', parts, parts.length === 1 ? {} : { axis: BigInt(plan.outputAxes[j]!) }, [out]);
  });
  graph.proto.node = graph.topologicalOrder();
  graph.invalidate();
}

/** Copies `body` into `graph` with its inputs bound to `bound` (through Identity nodes) and every local name made unique; returns its output names. */
function inlineBody(graph: Graph, body: GraphProto, bound: readonly string[], suffix: string): string[] {
  const copy = clone(GraphProtoSchema, body);
  const local = [...copy.initializer.map((t) => t.name), ...copy.node.flatMap((n) => n.output.filter((o) => o !== ''))];
  const inner = new Graph(copy, graph);
  for (const name of local) inner.renameValue(name, graph.uniqueName(`${name}__${suffix}`));
  const identities = copy.input.map((input, i) => {
    const fresh = graph.uniqueName(`${input.name}__${suffix}`);
    inner.renameValue(input.name, fresh);
    return { opType: 'Identity', inputs: [bound[i]!], outputs: [fresh], name: graph.uniqueName(`${fresh}_bind`) };
  });
  for (const n of copy.node) n.name = graph.uniqueName(`${n.name || n.opType}__${suffix}`);
  graph.proto.node.push(...copy.node);
  graph.proto.initializer.push(...copy.initializer);
  graph.proto.valueInfo.push(...copy.valueInfo);
  graph.invalidate();
  for (const spec of identities) graph.addNode(spec);
  return copy.output.map((o) => o.name);
}

/** The int64 / bool values of a constant (initializer or `Constant` node), as bigints. */
function constantOf(graph: Graph, name: string): bigint[] | undefined {
  if (name === '') return undefined;
  const producer = graph.producerOf(name);
  const proto = graph.initializer(name) ?? (producer?.opType === 'Constant' ? producer.attribute.find((a) => a.name === 'value')?.t : undefined);
  if (proto === undefined) return undefined;
  if (proto.dataType === 7) {
    if (proto.int64Data.length > 0) return proto.int64Data.map(BigInt);
    const view = new DataView(proto.rawData.buffer, proto.rawData.byteOffset, proto.rawData.byteLength);
    return Array.from({ length: proto.rawData.byteLength / 8 }, (_, i) => view.getBigInt64(i * 8, true));
  }
  if (proto.dataType === 9) return (proto.int32Data.length > 0 ? proto.int32Data : [...proto.rawData]).map((v) => BigInt(v));
  return undefined;
}
