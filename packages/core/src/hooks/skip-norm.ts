/**
 * Splits the residual additions that onnxruntime's transformer optimizer fuses into
 * `com.microsoft` `SkipLayerNormalization` / `SkipSimplifiedLayerNormalization` back out of the
 * normalisation. Such a node computes `s = input + skip (+ bias)` and writes `LayerNorm(s)` (or
 * `RMSNorm(s)`) as output 0 and, when asked, `s` as output 3 (`input_skip_bias_sum`). Even with
 * output 3 present, the residual stream cannot be edited there: output 0 is computed inside the
 * kernel from the unedited sum, so patching `s` would change the next block's residual input but
 * not its normalised input. {@link splitSkipNorms} writes each such node as the operators it
 * stands for — `Add(input + bias)` where there is a bias, `Add(·, skip)` (the residual stream,
 * under output 3's name where the file had one) and a standard `LayerNormalization` /
 * `SimplifiedLayerNormalization` with the node's `gamma`, `beta` and `epsilon` (output 0, same
 * name) — so the residual stream, the branch added to it and the normalised stream are values,
 * and an edit of the stream reaches everything computed from it. The numbers equal the fused
 * kernel's up to float32 rounding (the bias is added to `input` first, as torch adds a Linear's
 * bias before the residual addition).
 *
 * Left fused (and said so by `describeAttention`, as the residual addition is then not found):
 * nodes whose `mean` / `inv_std_var` outputs are read (training graphs), and
 * `SkipSimplifiedLayerNormalization` with a `bias` (onnxruntime versions disagree on whether its
 * output 3 includes the bias).
 */
import { attributeProto, float, int } from '../builder/attributes.js';
import type { NodeProto } from '../onnx/gen/onnx_pb.js';
import type { ModelIR } from '../onnx/model.js';
import { OWN_NAME_PREFIX } from '../runtime/own-nodes.js';

/** The standard normalisation each fused residual normalisation ends with, and where its optional `bias` input is. */
const SKIP_NORMS: Readonly<Record<string, { norm: string; bias: number }>> = {
  SkipLayerNormalization: { norm: 'LayerNormalization', bias: 4 },
  SkipSimplifiedLayerNormalization: { norm: 'SimplifiedLayerNormalization', bias: 3 },
};
/** onnxruntime's default `epsilon` of both fused operators (the standard ones default to 1e-5). */
const SKIP_NORM_EPSILON = 1e-12;

/** Prefix of the names of the nodes a split writes. */
const SPLIT_PREFIX = `${OWN_NAME_PREFIX}_skipnorm_`;

/**
 * Whether {@link splitSkipNorms} wrote `node`. Like the fused node it replaces, it carries no
 * module scope and may hold a module's last operators (the residual addition ending a block).
 */
export function fromSkipNorm(node: NodeProto): boolean {
  return node.name.startsWith(SPLIT_PREFIX);
}

const present = (names: readonly string[], i: number) => (names[i] ?? '') !== '';

/** Whether `node` is a fused residual normalisation that {@link splitSkipNorms} rewrites. */
function splittable(node: NodeProto): boolean {
  const spec = node.domain === 'com.microsoft' ? SKIP_NORMS[node.opType] : undefined;
  if (spec === undefined || present(node.output, 1) || present(node.output, 2)) return false;
  return node.opType === 'SkipLayerNormalization' || !present(node.input, spec.bias);
}

/**
 * A copy of `model` in which every `SkipLayerNormalization` / `SkipSimplifiedLayerNormalization`
 * (onnxruntime's fusion of a residual addition with the normalisation after it) is written as
 * `Add` + `LayerNormalization` / `SimplifiedLayerNormalization`; `model` itself when it has none.
 * `HookedModel.load` applies it, so the residual aliases (`blocks.L.hook_resid_post`, …) of
 * optimizer-fused graphs exist and an edit of them reaches the next block.
 *
 * @example
 * ```ts
 * import { decodeModel, splitSkipNorms } from '@mechint/core';
 * import { readFileSync } from 'node:fs';
 * const fused = decodeModel(readFileSync('packages/core/test/fixtures/zoo/gpt2/fused.onnx'));
 * const split = splitSkipNorms(fused);
 * console.log(split.graph.nodes.some((n) => n.opType === 'SkipLayerNormalization')); // false
 * ```
 */
export function splitSkipNorms(model: ModelIR): ModelIR {
  if (!model.graph.nodes.some(splittable)) return model;
  const out = model.clone();
  const graph = out.graph;
  for (const node of graph.nodes.filter(splittable)) {
    const spec = SKIP_NORMS[node.opType]!;
    const name = `${SPLIT_PREFIX}${node.name || node.output[0]!}`;
    const [input, skip, gamma] = [node.input[0]!, node.input[1]!, node.input[2]!];
    const beta = node.opType === 'SkipLayerNormalization' && present(node.input, 3) ? node.input[3]! : undefined;
    const epsilon = node.attribute.find((a) => a.name === 'epsilon')?.f ?? SKIP_NORM_EPSILON;
    const [normalized, given] = [node.output[0]!, node.output[3] ?? ''];
    graph.proto.node.splice(graph.nodes.indexOf(node), 1);
    graph.invalidate();
    let branch = input;
    if (present(node.input, spec.bias)) {
      branch = graph.uniqueName(`${name}_input_bias`);
      graph.addNode({ opType: 'Add', inputs: [input, node.input[spec.bias]!], outputs: [branch], name: `${name}_bias` });
    }
    const sum = given !== '' ? given : graph.uniqueName(`${name}_input_skip_bias_sum`);
    graph.addNode({ opType: 'Add', inputs: [branch, skip], outputs: [sum], name: `${name}_add` });
    graph.addNode({
      opType: spec.norm,
      inputs: beta === undefined ? [sum, gamma] : [sum, gamma, beta],
      outputs: [normalized],
      name: `${name}_norm`,
      attributes: [attributeProto('axis', int(-1)), attributeProto('epsilon', float(epsilon))],
    });
  }
  graph.proto.node = graph.topologicalOrder();
  graph.invalidate();
  return out;
}
