/**
 * Gradient rules of MatMul and Gemm.
 */
import type { GradContext, GradRule } from '../context.js';

/** `x` with its last two axes swapped: a Transpose when the rank is known (onnxruntime fuses it into MatMul), else an Einsum. */
function swapLast(ctx: GradContext, x: string): string {
  const rank = ctx.rankOf(x);
  if (rank === undefined) return ctx.op('Einsum', [x], { equation: '...ij->...ji' });
  const perm = Array.from({ length: rank }, (_, i) => BigInt(i === rank - 2 ? rank - 1 : i === rank - 1 ? rank - 2 : i));
  return ctx.op('Transpose', [x], { perm });
}

/**
 * The gradient of operand `x` summed over the batch dims it was broadcast along — skipped when
 * both operands are statically known to have the same batch dims (attention's q·kᵀ, p·v).
 */
function reduceBatch(ctx: GradContext, g: string, x: string, other: string): string {
  const [sx, so] = [ctx.shapeOf(x), ctx.shapeOf(other)];
  const sameBatch = sx !== undefined && so !== undefined && sx.length === so.length && sx.slice(0, -2).every((d, i) => d !== null && d === so[i]);
  return sameBatch ? g : ctx.reduceLike(g, x, undefined);
}

/**
 * MatMul by a 2-D matrix (a layer's weight): the input gradient is `g · bᵀ` with no reduction,
 * and the weight gradient one `[K, N]` product over every batch row at once — never a per-batch
 * `[..., K, N]` tensor summed afterwards.
 */
function matrixWeightMatMul(ctx: GradContext, g: string, a: string, b: string): (string | undefined)[] {
  const ga = ctx.needs(0) ? ctx.op('MatMul', [g, ctx.op('Transpose', [b], { perm: [1n, 0n] })]) : undefined;
  if (!ctx.needs(1)) return [ga, undefined];
  const rows = (x: string, columns: string) => ctx.op('Reshape', [x, ctx.op('Concat', [ctx.ints([-1]), columns], { axis: 0n })]);
  const bShape = ctx.shape(b);
  const k = ctx.op('Slice', [bShape, ctx.ints([0]), ctx.ints([1])]);
  const n = ctx.op('Slice', [bShape, ctx.ints([1]), ctx.ints([2])]);
  const gb = ctx.op('Gemm', [rows(a, k), rows(g, n)], { transA: 1n });
  return [ga, gb];
}

/**
 * MatMul with a one-dimensional operand (numpy semantics: a vector on the left acts as a row, on
 * the right as a column, and that axis is dropped from the result).
 */
function vectorMatMul(ctx: GradContext, g: string, a: string, b: string, vectorA: boolean, vectorB: boolean): (string | undefined)[] {
  if (vectorA && vectorB) return [ctx.needs(0) ? ctx.op('Mul', [g, b]) : undefined, ctx.needs(1) ? ctx.op('Mul', [g, a]) : undefined];
  if (vectorA) {
    const ga = ctx.needs(0) ? ctx.reduceLike(ctx.reduceSum(ctx.op('Mul', [b, ctx.unsqueeze(g, [-2])]), [-1], false), a, undefined) : undefined;
    const gb = ctx.needs(1) ? ctx.reduceLike(ctx.op('Mul', [ctx.unsqueeze(a, [-1]), ctx.unsqueeze(g, [-2])]), b, undefined) : undefined;
    return [ga, gb];
  }
  const ga = ctx.needs(0) ? ctx.reduceLike(ctx.op('Mul', [ctx.unsqueeze(g, [-1]), b]), a, undefined) : undefined;
  const gb = ctx.needs(1) ? ctx.reduceLike(ctx.reduceSum(ctx.op('Mul', [a, ctx.unsqueeze(g, [-1])]), [-2], false), b, undefined) : undefined;
  return [ga, gb];
}

/** Rules by operator type. */
export const LINALG_RULES: Readonly<Record<string, GradRule>> = {
  MatMul: (ctx) => {
    const g = ctx.grad(0)!;
    const [a, b] = [ctx.input(0), ctx.input(1)];
    const vectorA = ctx.rankOf(a) === 1;
    const vectorB = ctx.rankOf(b) === 1;
    if (vectorA || vectorB) return vectorMatMul(ctx, g, a, b, vectorA, vectorB);
    if (ctx.rankOf(b) === 2) return matrixWeightMatMul(ctx, g, a, b);
    const ga = ctx.needs(0) ? reduceBatch(ctx, ctx.op('MatMul', [g, swapLast(ctx, b)]), a, b) : undefined;
    const gb = ctx.needs(1) ? reduceBatch(ctx, ctx.op('MatMul', [swapLast(ctx, a), g]), b, a) : undefined;
    return [ga, gb];
  },
  Gemm: (ctx) => {
    const g = ctx.grad(0)!;
    const [a, b, c] = [ctx.input(0), ctx.input(1), ctx.input(2)];
    const alpha = ctx.attrFloat('alpha', 1);
    const beta = ctx.attrFloat('beta', 1);
    const transA = ctx.attrInt('transA', 0) === 1;
    const transB = ctx.attrInt('transB', 0) === 1;
    const scaled = alpha === 1 ? g : ctx.op('Mul', [g, ctx.scalar(alpha)]);
    const ga = !ctx.needs(0) ? undefined : transA ? ctx.op('Gemm', [b, scaled], { transA: BigInt(transB ? 1 : 0), transB: 1n }) : ctx.op('Gemm', [scaled, b], { transB: BigInt(transB ? 0 : 1) });
    const gb = !ctx.needs(1) ? undefined : transB ? ctx.op('Gemm', [scaled, a], { transA: 1n, transB: BigInt(transA ? 1 : 0) }) : ctx.op('Gemm', [a, scaled], { transA: BigInt(transA ? 0 : 1) });
    const gc = c === '' || !ctx.needs(2) ? undefined : ctx.reduceLike(beta === 1 ? g : ctx.op('Mul', [g, ctx.scalar(beta)]), c);
    return [ga, gb, gc];
  },
};
