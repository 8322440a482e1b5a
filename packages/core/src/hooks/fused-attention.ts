/**
 * Fused attention operators — onnxruntime's `com.microsoft` `Attention`, `QAttention`, `MultiHeadAttention`,
 * `GroupQueryAttention` and ONNX opset-23 `Attention` — and the hook names of what they expose: their
 * output (the heads concatenated, before the output projection) as they stand, and per-head
 * `q` / `k` / `v` once {@link unfuse} has rewritten them into standard operators.
 */
import type { Graph } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/gen/onnx_pb.js';
import type { AttentionSite } from './attention.js';
import type { HookAxes } from './hook-points.js';
import { moduleOf } from './scopes.js';
import type { AliasName } from './tl-names.js';

/** The fused attention operators {@link unfuse} rewrites. */
export type FusedAttentionKind = 'Attention' | 'QAttention' | 'MultiHeadAttention' | 'GroupQueryAttention' | 'Attention23';

/** `com.microsoft` attention operators with their pattern inside one kernel that {@link unfuse} does not rewrite. */
export const UNFUSABLE_ATTENTION: ReadonlySet<string> = new Set([
  'PackedAttention',
  'PackedMultiHeadAttention',
  'DecoderAttention',
  'DecoderMaskedSelfAttention',
  'DecoderMaskedMultiHeadAttention',
  'LongformerAttention',
  'SparseAttention',
  'PagedAttention',
  'QOrderedAttention',
  'QOrderedLongformerAttention',
]);

/** Suffixes of the values {@link unfuse} names after the fused node (`<node name>_q`, …). */
export const UNFUSED_VALUES = { q: '_q', k: '_k', v: '_v', rotQ: '_rot_q', rotK: '_rot_k', pattern: '_pattern' } as const;

/**
 * Which fused attention operator `node` is, or `undefined`: `com.microsoft` `Attention` /
 * `QAttention` / `MultiHeadAttention` / `GroupQueryAttention`, or the standard `Attention` of a model importing
 * opset ≥ 23 (`opset`: the model's default-domain opset).
 *
 * @example
 * ```ts
 * import { fusedAttentionKind, onnx } from '@mechint/core';
 * import { create } from '@bufbuild/protobuf';
 * fusedAttentionKind(create(onnx.NodeProtoSchema, { opType: 'Attention', domain: 'com.microsoft' }), 17); // 'Attention'
 * ```
 */
export function fusedAttentionKind(node: NodeProto, opset: number): FusedAttentionKind | undefined {
  if (node.domain === 'com.microsoft') {
    if (node.opType === 'Attention' || node.opType === 'QAttention' || node.opType === 'MultiHeadAttention' || node.opType === 'GroupQueryAttention') return node.opType;
    return undefined;
  }
  if ((node.domain === '' || node.domain === 'ai.onnx') && node.opType === 'Attention' && opset >= 23) return 'Attention23';
  return undefined;
}

const FLAT_AXES: HookAxes = { batch: 0, position: 1, feature: 2 };
const HEAD_AXES: HookAxes = { batch: 0, position: 1, head: 2, feature: 3 };

/**
 * Hook names of fused attention (`graph`, its topological `order` and the standard attention
 * `sites` found there), numbered with the standard sites in one layer count:
 * - each fused node's first output, the heads concatenated `[batch, pos, n_heads·d_head]`
 *   (TransformerLens's `hook_z` flattened): `blocks.L.attn.fused_z`, and `<module>.fused_z` where
 *   the exporter recorded the node's module;
 * - each site {@link unfuse} made: `blocks.L.attn.hook_q` / `hook_k` / `hook_v` (and
 *   `hook_rot_q` / `hook_rot_k` after a rotary embedding) and `<module>.q` / `.k` / `.v`,
 *   `[batch, pos, head, d_head]` as in TransformerLens; `hook_k` / `hook_v` have the key/value heads (fewer than the
 *   query heads in grouped-query attention).
 */
export function fusedAttentionNames(graph: Graph, order: readonly NodeProto[], sites: readonly AttentionSite[]): AliasName[] {
  const opset = 23; // a standard `Attention` node can only exist in a model importing opset ≥ 23
  const position = new Map(order.map((n, i) => [n, i]));
  const softmaxAt = sites.map((s) => position.get(graph.producerOf(s.pattern)!) ?? -1);
  const named: AliasName[] = [];
  order.forEach((node, i) => {
    if (fusedAttentionKind(node, opset) === undefined || node.output[0] === undefined || node.output[0] === '') return;
    const layer = softmaxAt.filter((at) => at < i).length + order.slice(0, i).filter((n) => fusedAttentionKind(n, opset) !== undefined).length;
    const module = moduleOf(node);
    named.push({ name: `blocks.${layer}.attn.fused_z`, value: node.output[0], axes: FLAT_AXES });
    if (module !== undefined && module !== '' && module !== `blocks.${layer}.attn`) named.push({ name: `${module}.fused_z`, value: node.output[0], axes: FLAT_AXES });
  });
  for (const site of sites) {
    if (!site.pattern.endsWith(UNFUSED_VALUES.pattern)) continue;
    const base = site.pattern.slice(0, -UNFUSED_VALUES.pattern.length);
    const attn = site.module ?? `blocks.${site.layer}.attn`;
    for (const [key, suffix] of [['q', UNFUSED_VALUES.q], ['k', UNFUSED_VALUES.k], ['v', UNFUSED_VALUES.v], ['rot_q', UNFUSED_VALUES.rotQ], ['rot_k', UNFUSED_VALUES.rotK]] as const) {
      const value = `${base}${suffix}`;
      if (!graph.has(value)) continue;
      named.push({ name: `blocks.${site.layer}.attn.hook_${key}`, value, axes: HEAD_AXES });
      if (attn !== `blocks.${site.layer}.attn`) named.push({ name: `${attn}.${key}`, value, axes: HEAD_AXES });
    }
  }
  return named;
}
