/**
 * Gradient rules of MatMul and Gemm.
 */
import type { GradRule } from '../context.js';

/** Rules by operator type. */
export const LINALG_RULES: Readonly<Record<string, GradRule>> = {
  MatMul: (ctx) => {
    const g = ctx.grad(0)!;
    const [a, b] = [ctx.input(0), ctx.input(1)];
    if (ctx.rankOf(a) === 1 || ctx.rankOf(b) === 1) ctx.unsupported('one-dimensional operands');
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
