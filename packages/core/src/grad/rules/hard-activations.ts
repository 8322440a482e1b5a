/**
 * Gradient rules of the piecewise-linear activations `HardSigmoid` and `HardSwish`.
 */
import type { GradRule } from '../context.js';

/** Rules by operator type. */
export const HARD_ACTIVATION_RULES: Readonly<Record<string, GradRule>> = {
  /**
   * `y = max(0, min(1, αx + β))`: `α·g` where `0 < αx + β < 1`, zero on the flat parts (and at
   * the two kinks, as torch's `hardsigmoid_backward` does).
   */
  HardSigmoid: (ctx) => {
    const g = ctx.grad(0)!;
    const alpha = ctx.attrFloat('alpha', 0.2);
    const linear = ctx.op('Add', [ctx.op('Mul', [ctx.input(0), ctx.scalar(alpha)]), ctx.scalar(ctx.attrFloat('beta', 0.5))]);
    const inside = ctx.op('And', [ctx.op('Greater', [linear, ctx.scalar(0)]), ctx.op('Less', [linear, ctx.scalar(1)])]);
    return [ctx.op('Where', [inside, ctx.op('Mul', [g, ctx.scalar(alpha)]), ctx.scalar(0)])];
  },
  /**
   * `y = x · max(0, min(1, x/6 + 1/2))`: `0` for `x < −3`, `x/3 + 1/2` for `−3 ≤ x ≤ 3`, `1` above,
   * as torch's `hardswish_backward`.
   */
  HardSwish: (ctx) => {
    const g = ctx.grad(0)!;
    const x = ctx.input(0);
    const slope = ctx.op('Add', [ctx.op('Div', [x, ctx.scalar(3)]), ctx.scalar(0.5)]);
    const upper = ctx.op('Where', [ctx.op('LessOrEqual', [x, ctx.scalar(3)]), slope, ctx.scalar(1)]);
    const local = ctx.op('Where', [ctx.op('Less', [x, ctx.scalar(-3)]), ctx.scalar(0), upper]);
    return [ctx.op('Mul', [g, local])];
  },
};
