/**
 * Checks of what `gradients` is asked, with messages that say what to ask instead.
 */
import { MechintError } from '../errors.js';
import type { Graph } from '../onnx/graph.js';

/** ONNX element types with a gradient: float, float16, double, bfloat16. */
const FLOAT_ELEMENT_TYPES = new Set([1, 10, 11, 16]);

/**
 * Throws `INVALID_ARGUMENT` for a `wrt` value of integer or boolean type (token ids, masks): such
 * values have no gradient. The message names the first float values computed from it — for token
 * ids, the embedding lookup's output — to differentiate instead.
 */
export function assertDifferentiable(graph: Graph, wrt: readonly string[]): void {
  for (const w of wrt) {
    const type = graph.typeOf(w);
    const elem = type?.value.case === 'tensorType' ? type.value.value.elemType : undefined;
    if (elem === undefined || FLOAT_ELEMENT_TYPES.has(elem)) continue;
    const instead = firstFloatValues(graph, w);
    const suggestion = instead.length > 0 ? ` Differentiate with respect to a float value computed from it instead: ${instead.map((i) => `'${i.value}' (output of ${i.op} node '${i.node}')`).join(', ')}.` : ' No float value is computed from it.';
    throw new MechintError('INVALID_ARGUMENT', `'${w}' holds ${elementName(elem)} values, which have no gradient.${suggestion}`, { details: { name: w, instead: instead.map((i) => i.value) } });
  }
}

/** The float outputs of the nodes nearest to `start` downstream (breadth-first), at most three. */
function firstFloatValues(graph: Graph, start: string): { value: string; op: string; node: string }[] {
  const found: { value: string; op: string; node: string }[] = [];
  const seen = new Set([start]);
  let frontier = [start];
  while (frontier.length > 0 && found.length === 0) {
    const next: string[] = [];
    for (const value of frontier) {
      for (const node of graph.consumersOf(value)) {
        for (const out of node.output) {
          if (out === '' || seen.has(out)) continue;
          seen.add(out);
          const type = graph.typeOf(out);
          const elem = type?.value.case === 'tensorType' ? type.value.value.elemType : undefined;
          if (elem !== undefined && FLOAT_ELEMENT_TYPES.has(elem)) found.push({ value: out, op: node.opType, node: node.name });
          else next.push(out);
        }
      }
    }
    frontier = next;
  }
  return found.slice(0, 3);
}

function elementName(elem: number): string {
  const names: Record<number, string> = { 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 12: 'uint32', 13: 'uint64' };
  return names[elem] ?? `ONNX element type ${elem}`;
}

