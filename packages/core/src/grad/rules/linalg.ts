/**
 * Gradient rules of MatMul and Gemm.
 */
import type { GradContext, GradRule } from '../context.js';

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
    const swapLast = (x: string) => ctx.op('Einsum', [x], { equation: '...ij->...ji' });
    const ga = ctx.needs(0) ? ctx.reduceLike(ctx.op('MatMul', [g, swapLast(b)]), a, undefined) : undefined;
    const gb = ctx.needs(1) ? ctx.reduceLike(ctx.op('MatMul', [swapLast(a), g]), b, undefined) : undefined;
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
