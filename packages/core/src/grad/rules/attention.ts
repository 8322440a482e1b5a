/**
 * Gradient rules of the opset-23 attention operators: Attention (recomputing its softmax
 * probabilities in the backward graph) and RotaryEmbedding (a rotation, whose adjoint is the
 * rotation by the opposite angles).
 */
import { Tensor } from '../../tensor/tensor.js';
import type { GradContext, GradRule } from '../context.js';

/** `[B, S, H·d]` → `[B, H, S, d]`. */
function splitHeads(ctx: GradContext, x: string, heads: number): string {
  return ctx.op('Transpose', [ctx.op('Reshape', [x, ctx.ints([0, 0, heads, -1])])], { perm: [0n, 2n, 1n, 3n] });
}

/** `[B, H, S, d]` → `[B, S, H·d]`. */
function mergeHeads(ctx: GradContext, x: string): string {
  return ctx.op('Reshape', [ctx.op('Transpose', [x], { perm: [0n, 2n, 1n, 3n] }), ctx.ints([0, 0, -1])]);
}

const dim = (ctx: GradContext, shape: string, i: number) => ctx.op('Slice', [shape, ctx.ints([i]), ctx.ints([i + 1])]);
const swapLast = (ctx: GradContext, x: string) => ctx.op('Transpose', [x], { perm: [0n, 1n, 3n, 2n] });

/**
 * K or V `[B, Hkv, S, d]` repeated to the query heads as `[h0, h0, h1, h1, …]` (group-query
 * attention; a no-op copy when the head counts agree), and the adjoint: the gradients of each
 * group's heads summed.
 */
function groups(ctx: GradContext, q: string, kv: string): { repeat: string; sum: (g: string) => string } {
  const qShape = ctx.shape(q);
  const kvShape = ctx.shape(kv);
  const reps = ctx.op('Div', [dim(ctx, qShape, 1), dim(ctx, kvShape, 1)]);
  const grouped = ctx.op('Concat', [dim(ctx, kvShape, 0), dim(ctx, kvShape, 1), reps, dim(ctx, kvShape, 2), dim(ctx, kvShape, 3)], { axis: 0n });
  const repeated = ctx.op('Concat', [dim(ctx, kvShape, 0), dim(ctx, qShape, 1), dim(ctx, kvShape, 2), dim(ctx, kvShape, 3)], { axis: 0n });
  return {
    repeat: ctx.op('Reshape', [ctx.op('Expand', [ctx.unsqueeze(kv, [2]), grouped]), repeated]),
    sum: (g) => ctx.reduceSum(ctx.op('Reshape', [g, grouped]), [2], false),
  };
}

/** Rules by operator type. */
export const ATTENTION_RULES: Readonly<Record<string, GradRule>> = {
  /**
   * Y = softmax(s·Q·Kᵀ (soft-capped) + mask (+ causal)) · V, in its 4-D form or its 3-D form
   * (`q_num_heads` / `kv_num_heads`), with group-query attention, a float or boolean mask and
   * `is_causal`. A KV cache (`past_key` / `past_value`), `nonpad_kv_seqlen` and gradients
   * flowing into the present_key / present_value / qk outputs are refused.
   */
  Attention: (ctx) => {
    if (ctx.input(4) !== '' || ctx.input(5) !== '') ctx.unsupported('a KV cache (past_key / past_value inputs)');
    if (ctx.input(6) !== '') ctx.unsupported('the nonpad_kv_seqlen input');
    if ([1, 2, 3].some((i) => ctx.grad(i) !== undefined)) ctx.unsupported('gradients flowing into the present_key, present_value or qk_matmul_output outputs');
    const [q, k, v, mask] = [0, 1, 2, 3].map((i) => ctx.input(i)) as [string, string, string, string];
    const rank = ctx.rankOf(q);
    const threeD = rank === 3 || (rank === undefined && ctx.attrInt('q_num_heads', 0) > 0);
    if (threeD && (ctx.attrInt('q_num_heads', 0) <= 0 || ctx.attrInt('kv_num_heads', 0) <= 0)) ctx.unsupported('3-D inputs without q_num_heads and kv_num_heads');
    const [q4, k4, v4] = threeD ? [splitHeads(ctx, q, ctx.attrInt('q_num_heads', 0)), splitHeads(ctx, k, ctx.attrInt('kv_num_heads', 0)), splitHeads(ctx, v, ctx.attrInt('kv_num_heads', 0))] : [q, k, v];
    const g4 = threeD ? splitHeads(ctx, ctx.grad(0)!, ctx.attrInt('q_num_heads', 0)) : ctx.grad(0)!;
    const explicit = ctx.attrFloat('scale', Number.NaN);
    const scale = Number.isNaN(explicit) ? ctx.op('Reciprocal', [ctx.op('Sqrt', [ctx.castLike(dim(ctx, ctx.shape(q4), 3), q)])]) : ctx.scalar(explicit, q);
    const kGroups = groups(ctx, q4, k4);
    const vGroups = groups(ctx, q4, v4);
    const scores = ctx.op('Mul', [ctx.op('MatMul', [q4, swapLast(ctx, kGroups.repeat)]), scale]);
    const softcap = ctx.attrFloat('softcap', 0);
    const capped = softcap > 0 ? ctx.op('Tanh', [ctx.op('Div', [scores, ctx.scalar(softcap, q)])]) : undefined;
    let logits = capped === undefined ? scores : ctx.op('Mul', [capped, ctx.scalar(softcap, q)]);
    const negInf = ctx.scalar(Number.NEGATIVE_INFINITY, q);
    const boolMask = mask !== '' && ctx.dtypeOf(mask) === 'bool';
    if (mask !== '') logits = ctx.op('Add', [logits, boolMask ? ctx.op('Where', [mask, ctx.scalar(0, q), negInf]) : mask]);
    if (ctx.attrInt('is_causal', 0) === 1) {
      const sizes = ctx.op('Concat', [dim(ctx, ctx.shape(q4), 2), dim(ctx, ctx.shape(k4), 2)], { axis: 0n });
      const above = ctx.op('Trilu', [ctx.op('ConstantOfShape', [sizes], { value: Tensor.from([1n], [1], 'int64') }), ctx.int(1)], { upper: 1n });
      logits = ctx.op('Add', [logits, ctx.op('Where', [ctx.op('Cast', [above], { to: 9n }), negInf, ctx.scalar(0, q)])]);
    }
    const p = ctx.op('Softmax', [logits], { axis: -1n });
    const gP = ctx.op('MatMul', [g4, swapLast(ctx, vGroups.repeat)]);
    const gLogits = ctx.op('Mul', [p, ctx.op('Sub', [gP, ctx.reduceSum(ctx.op('Mul', [gP, p]), [-1], true)])]);
    const gScores = capped === undefined ? gLogits : ctx.op('Mul', [gLogits, ctx.op('Sub', [ctx.scalar(1, q), ctx.op('Mul', [capped, capped])])]);
    const back = (x4: string) => (threeD ? mergeHeads(ctx, x4) : x4);
    const gq = ctx.needs(0) ? back(ctx.op('Mul', [ctx.op('MatMul', [gScores, kGroups.repeat]), scale])) : undefined;
    const gk = ctx.needs(1) ? back(kGroups.sum(ctx.op('Mul', [ctx.op('MatMul', [swapLast(ctx, gScores), q4]), scale]))) : undefined;
    const gv = ctx.needs(2) ? back(vGroups.sum(ctx.op('MatMul', [swapLast(ctx, p), g4]))) : undefined;
    const gMask = mask !== '' && !boolMask && ctx.needs(3) ? ctx.reduceLike(gLogits, mask, undefined) : undefined;
    return [gq, gk, gv, gMask];
  },
  /** A rotation of pairs by angles θ: the adjoint rotates by −θ (the same operator with −sin). */
  RotaryEmbedding: (ctx) => {
    if (ctx.needs(1) || ctx.needs(2)) ctx.unsupported('gradients with respect to cos_cache or sin_cache');
    const inputs = [ctx.grad(0)!, ctx.input(1), ctx.op('Neg', [ctx.input(2)]), ...ctx.node.input.slice(3)];
    return [ctx.replay(inputs, 1)[0]];
  },
};
