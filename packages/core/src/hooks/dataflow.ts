/**
 * Which values of a graph carry data (depend on a graph input other than through its shape), and
 * reachability between values.
 */
import type { Graph } from '../onnx/graph.js';
import { subgraphReads } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/gen/onnx_pb.js';

/** Operators whose outputs describe a tensor's shape, not its contents. */
const SHAPE_OPS = new Set(['Shape', 'Size']);

/** Values that depend on a graph input's contents (shape computations and constants excluded). */
export function dataValues(graph: Graph, order: readonly NodeProto[]): Set<string> {
  const data = new Set(graph.feedNames);
  for (const node of order) {
    if (SHAPE_OPS.has(node.opType) || node.opType === 'ConstantOfShape') continue;
    if ([...node.input, ...subgraphReads(node)].some((i) => data.has(i))) for (const o of node.output) if (o !== '') data.add(o);
  }
  return data;
}

/**
 * Values computed from a graph input in any way, its shape included: `dataValues` and the values
 * that vary only with the inputs' sizes (positions, rotary tables, token-type zeros). Constants
 * (no graph input among their ancestors) are not.
 */
export function inputValues(graph: Graph, order: readonly NodeProto[]): Set<string> {
  const fed = new Set(graph.feedNames);
  for (const node of order) {
    if ([...node.input, ...subgraphReads(node)].some((i) => fed.has(i))) for (const o of node.output) if (o !== '') fed.add(o);
  }
  return fed;
}

/** Every value computed from `start` (itself included), following consumers. */
export function descendants(graph: Graph, start: string): Set<string> {
  const seen = new Set<string>([start]);
  const stack = [start];
  while (stack.length > 0) {
    for (const node of graph.consumersOf(stack.pop()!)) {
      for (const out of node.output) {
        if (out !== '' && !seen.has(out)) {
          seen.add(out);
          stack.push(out);
        }
      }
    }
  }
  return seen;
}

/** Every value `target` is computed from (itself included), following producers. */
export function ancestors(graph: Graph, target: string): Set<string> {
  const seen = new Set<string>([target]);
  const stack = [target];
  while (stack.length > 0) {
    const producer = graph.producerOf(stack.pop()!);
    if (producer === undefined) continue;
    for (const input of [...producer.input, ...subgraphReads(producer)]) {
      if (input !== '' && !seen.has(input)) {
        seen.add(input);
        stack.push(input);
      }
    }
  }
  return seen;
}
