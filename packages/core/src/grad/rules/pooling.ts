/**
 * Gradient rules of the global poolings beyond GlobalAveragePool: GlobalMaxPool, GlobalLpPool.
 */
import type { GradContext, GradRule } from '../context.js';

/** `[N, C, ...]` as `[N, C, S]`, and the gradient `[N, C, 1, …]` as `[N, C, 1]`. */
const rows = (ctx: GradContext, v: string) => ctx.op('Reshape', [v, ctx.ints([0, 0, -1])]);

/** Rules by operator type. */
export const POOLING_RULES: Readonly<Record<string, GradRule>> = {
  /** The gradient goes to the maximal elements of each channel, shared among ties. */
  GlobalMaxPool: (ctx) => {
    const x = ctx.input(0);
    const hit = ctx.castLike(ctx.op('Equal', [rows(ctx, x), rows(ctx, ctx.output(0))]), x);
    const share = ctx.op('Div', [rows(ctx, ctx.grad(0)!), ctx.reduceSum(hit, [2], true)]);
    return [ctx.op('Reshape', [ctx.op('Mul', [hit, share]), ctx.shape(x)])];
  },
  /** y = (Σ|x|ᵖ)^(1/p) per channel: ∂y/∂x = sign(x)·|x|^(p−1)·y^(1−p). */
  GlobalLpPool: (ctx) => {
    const x = ctx.input(0);
    const p = ctx.attrInt('p', 2);
    const x3 = rows(ctx, x);
    const power = (v: string, e: number) => ctx.op('Pow', [v, ctx.scalar(e, x)]);
    const slope = ctx.op('Mul', [ctx.op('Mul', [ctx.op('Sign', [x3]), power(ctx.op('Abs', [x3]), p - 1)]), power(rows(ctx, ctx.output(0)), 1 - p)]);
    return [ctx.op('Reshape', [ctx.op('Mul', [slope, rows(ctx, ctx.grad(0)!)]), ctx.shape(x)])];
  },
};
