/**
 * Exposes the residual sums that onnxruntime's transformer optimizer fuses into
 * `com.microsoft` `SkipLayerNormalization` / `SkipSimplifiedLayerNormalization`. Such a node
 * computes `s = input + skip (+ bias)` and writes `LayerNorm(s)` (or `RMSNorm(s)`) as output 0 and,
 * when asked, `s` itself as output 3 (`input_skip_bias_sum`). The optimizer leaves output 3 out
 * where nothing reads it (post-LN blocks, the last block), so the block's residual stream is not
 * a value of the graph.
 *
 * {@link exposeResidualSums} rewrites each such node so the residual stream can be named:
 * output 3 is requested (the same node, exposing a value it computes anyway), and a `bias` input
 * is moved into an `Add(input, bias)` ahead of the node, so the branch added to the stream
 * (`attn_out` / `mlp_out` with its bias, as torch computes it) is a value too. The sum is then
 * `(input + bias) + skip` instead of the kernel's `(input + skip) + bias`: the same numbers up to
 * float32 rounding of one addition.
 */
import type { ModelIR } from '../onnx/model.js';
import type { NodeProto } from '../onnx/gen/onnx_pb.js';
import { OWN_NAME_PREFIX } from '../runtime/own-nodes.js';

/** Index of the optional `bias` input of each fused residual normalisation. */
const BIAS_INPUT: Readonly<Record<string, number>> = { SkipLayerNormalization: 4, SkipSimplifiedLayerNormalization: 3 };
/** Index of the `input_skip_bias_sum` output. */
export const SKIP_SUM_OUTPUT = 3;

/** Whether `node` is onnxruntime's fused residual addition + normalisation. */
export function isSkipNorm(node: NodeProto): boolean {
  return node.domain === 'com.microsoft' && node.opType in BIAS_INPUT;
}

/**
 * A copy of `model` whose `SkipLayerNormalization` / `SkipSimplifiedLayerNormalization` nodes
 * output their residual sum (output 3) and take no `bias` (an `Add` ahead of them adds it to
 * `input`); `model` itself when it has none to rewrite. `HookedModel.load` applies it, so the
 * residual aliases (`blocks.L.hook_resid_post`, …) exist on optimizer-fused graphs.
 *
 * @example
 * ```ts
 * import { HookedModel, exposeResidualSums } from '@mechint/core';
 * const fused = (await HookedModel.load('packages/core/test/fixtures/zoo/gpt2/fused.onnx')).model;
 * const exposed = exposeResidualSums(fused);
 * console.log(exposed.graph.nodes.filter((n) => n.opType === 'SkipLayerNormalization').every((n) => n.output[3] !== '')); // true
 * ```
 */
export function exposeResidualSums(model: ModelIR): ModelIR {
  const needs = (n: NodeProto) => isSkipNorm(n) && ((n.output[SKIP_SUM_OUTPUT] ?? '') === '' || (n.input[BIAS_INPUT[n.opType]!] ?? '') !== '');
  if (!model.graph.nodes.some(needs)) return model;
  const out = model.clone();
  const graph = out.graph;
  for (const node of graph.nodes.filter(needs)) {
    const name = node.name || node.output[0]!;
    const bias = BIAS_INPUT[node.opType]!;
    if ((node.input[bias] ?? '') !== '') {
      const biased = graph.uniqueName(`${OWN_NAME_PREFIX}_${name}_input_bias`);
      graph.addNode({ opType: 'Add', inputs: [node.input[0]!, node.input[bias]!], outputs: [biased], name: graph.uniqueName(`${OWN_NAME_PREFIX}_${name}_bias`) });
      node.input[0] = biased;
      node.input.length = bias;
    }
    if ((node.output[SKIP_SUM_OUTPUT] ?? '') === '') {
      while (node.output.length <= SKIP_SUM_OUTPUT) node.output.push('');
      node.output[SKIP_SUM_OUTPUT] = graph.uniqueName(`${OWN_NAME_PREFIX}_${name}_input_skip_bias_sum`);
    }
    graph.invalidate();
  }
  graph.proto.node = graph.topologicalOrder();
  graph.invalidate();
  return out;
}
