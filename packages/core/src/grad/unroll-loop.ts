/**
 * Unrolling of `Loop` nodes whose trip count is a constant and that never stop early: the body
 * copied once per iteration into the enclosing graph — what lets gradients flow through the
 * iterations with the rules of the body's operators.
 */
import { clone } from '@bufbuild/protobuf';
import { GraphProtoSchema, type NodeProto } from '../onnx/gen/onnx_pb.js';
import { Graph, nodeSubgraphs } from '../onnx/graph.js';
import { Tensor } from '../tensor/tensor.js';
import { Splicer } from '../hooks/splicer.js';

/** Why `node` (a Loop) cannot be unrolled, or `undefined` when {@link unrollLoop} can unroll it. */
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
  const at = graph.proto.node.indexOf(node);
  graph.proto.node.splice(at, 1);
  graph.invalidate();
  for (let k = 0; k < trips; k++) {
    const copy = clone(GraphProtoSchema, body);
    const local = [...copy.initializer.map((t) => t.name), ...copy.node.flatMap((n) => n.output.filter((o) => o !== ''))];
    const inner = new Graph(copy, graph);
    for (const name of local) inner.renameValue(name, graph.uniqueName(`${name}__${prefix}_${k}`));
    const bound = [splicer.constant(Tensor.from([BigInt(k)], [], 'int64')), splicer.constant(Tensor.from([true], [], 'bool')), ...state];
    copy.input.forEach((input, i) => {
      const fresh = graph.uniqueName(`${input.name}__${prefix}_${k}`);
      inner.renameValue(input.name, fresh);
      splicer.node('Identity', [bound[i]!], {}, [fresh]);
    });
    for (const n of copy.node) n.name = graph.uniqueName(`${n.name || n.opType}__${prefix}_${k}`);
    graph.proto.node.push(...copy.node);
    graph.proto.initializer.push(...copy.initializer);
    graph.proto.valueInfo.push(...copy.valueInfo);
    graph.invalidate();
    state = copy.output.slice(1, 1 + carried).map((o) => o.name);
    copy.output.slice(1 + carried).forEach((o, j) => scans[j]!.push(splicer.unsqueeze(o.name, [0])));
  }
  node.output.forEach((out, i) => {
    if (out === '') return;
    if (i < carried) splicer.node('Identity', [state[i]!], {}, [out]);
    else splicer.node(scans[i - carried]!.length === 1 ? 'Identity' : 'Concat', scans[i - carried]!, scans[i - carried]!.length === 1 ? {} : { axis: 0n }, [out]);
  });
  graph.proto.node = graph.topologicalOrder();
  graph.invalidate();
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
