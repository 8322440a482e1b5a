/**
 * Gradient rules of the remaining elementwise operators of the default domain: activations
 * (Selu, Celu, Mish, Softsign, ThresholdedRelu, PRelu, Shrink), trigonometric and hyperbolic
 * functions, Mod (fmod), CastLike, and the variadic Sum and Mean.
 */
import type { GradContext, GradRule } from '../context.js';

const unary = (local: (ctx: GradContext, g: string, x: string) => string): GradRule => (ctx) => {
  const g = ctx.grad(0);
  return [g === undefined ? undefined : local(ctx, g, ctx.input(0))];
};

/** `g · d` for a unary operator whose derivative is `d`. */
const slope = (derivative: (ctx: GradContext, x: string) => string): GradRule => unary((ctx, g, x) => ctx.op('Mul', [g, derivative(ctx, x)]));

const square = (ctx: GradContext, x: string) => ctx.op('Mul', [x, x]);

/** Rules by operator type. */
export const ACTIVATION_RULES: Readonly<Record<string, GradRule>> = {
  /** y = γ·x for x > 0, γ·α·(eˣ − 1) otherwise: the slope is γ, or y + γ·α. */
  Selu: unary((ctx, g, x) => {
    const alpha = ctx.attrFloat('alpha', 1.67326319217681884765625);
    const gamma = ctx.attrFloat('gamma', 1.05070102214813232421875);
    const negative = ctx.op('Mul', [g, ctx.op('Add', [ctx.output(0), ctx.scalar(gamma * alpha)])]);
    return ctx.op('Where', [ctx.op('Greater', [x, ctx.scalar(0)]), ctx.op('Mul', [g, ctx.scalar(gamma)]), negative]);
  }),
  /** y = max(0, x) + min(0, α·(exp(x/α) − 1)): the slope is 1, or exp(x/α) = y/α + 1. */
  Celu: unary((ctx, g, x) => {
    const alpha = ctx.attrFloat('alpha', 1);
    const negative = ctx.op('Mul', [g, ctx.op('Exp', [ctx.op('Div', [x, ctx.scalar(alpha)])])]);
    return ctx.op('Where', [ctx.op('Greater', [x, ctx.scalar(0)]), g, negative]);
  }),
  /** y = x·tanh(softplus(x)): the slope is t + x·(1 − t²)·σ(x), t = tanh(softplus(x)). */
  Mish: slope((ctx, x) => {
    // softplus as log(1 + eˣ): onnxruntime's Softplus has no float64 kernel.
    const t = ctx.op('Tanh', [ctx.op('Log', [ctx.op('Add', [ctx.op('Exp', [x]), ctx.scalar(1)])])]);
    const dt = ctx.op('Mul', [ctx.op('Sub', [ctx.scalar(1), square(ctx, t)]), ctx.op('Sigmoid', [x])]);
    return ctx.op('Add', [t, ctx.op('Mul', [x, dt])]);
  }),
  /** y = x / (1 + |x|): the slope is 1 / (1 + |x|)². */
  Softsign: unary((ctx, g, x) => ctx.op('Div', [g, square(ctx, ctx.op('Add', [ctx.op('Abs', [x]), ctx.scalar(1)]))])),
  /** y = x where x > α, else 0. */
  ThresholdedRelu: unary((ctx, g, x) => ctx.op('Where', [ctx.op('Greater', [x, ctx.scalar(ctx.attrFloat('alpha', 1))]), g, ctx.scalar(0)])),
  /** y = x − bias where x > λ, x + bias where x < −λ, else 0. */
  Shrink: unary((ctx, g, x) => {
    const lambd = ctx.attrFloat('lambd', 0.5);
    const outside = ctx.op('Or', [ctx.op('Greater', [x, ctx.scalar(lambd)]), ctx.op('Less', [x, ctx.scalar(-lambd)])]);
    return ctx.op('Where', [outside, g, ctx.scalar(0)]);
  }),
  /** y = x where x > 0, slope·x otherwise, `slope` broadcasting to x (its gradient is summed back). */
  PRelu: (ctx) => {
    const g = ctx.grad(0)!;
    const [x, s] = [ctx.input(0), ctx.input(1)];
    const positive = ctx.op('Greater', [x, ctx.scalar(0)]);
    const gx = ctx.needs(0) ? ctx.op('Where', [positive, g, ctx.op('Mul', [g, s])]) : undefined;
    const gs = ctx.needs(1) ? ctx.reduceLike(ctx.op('Where', [positive, ctx.scalar(0), ctx.op('Mul', [g, x])]), s) : undefined;
    return [gx, gs];
  },
  Sin: slope((ctx, x) => ctx.op('Cos', [x])),
  Cos: slope((ctx, x) => ctx.op('Neg', [ctx.op('Sin', [x])])),
  Tan: slope((ctx) => ctx.op('Add', [ctx.scalar(1), square(ctx, ctx.output(0))])),
  Asin: unary((ctx, g, x) => ctx.op('Div', [g, ctx.op('Sqrt', [ctx.op('Sub', [ctx.scalar(1), square(ctx, x)])])])),
  Acos: unary((ctx, g, x) => ctx.op('Neg', [ctx.op('Div', [g, ctx.op('Sqrt', [ctx.op('Sub', [ctx.scalar(1), square(ctx, x)])])])])),
  Atan: unary((ctx, g, x) => ctx.op('Div', [g, ctx.op('Add', [ctx.scalar(1), square(ctx, x)])])),
  Sinh: slope((ctx, x) => ctx.op('Cosh', [x])),
  Cosh: slope((ctx, x) => ctx.op('Sinh', [x])),
  Asinh: unary((ctx, g, x) => ctx.op('Div', [g, ctx.op('Sqrt', [ctx.op('Add', [square(ctx, x), ctx.scalar(1)])])])),
  Acosh: unary((ctx, g, x) => ctx.op('Div', [g, ctx.op('Sqrt', [ctx.op('Sub', [square(ctx, x), ctx.scalar(1)])])])),
  Atanh: unary((ctx, g, x) => ctx.op('Div', [g, ctx.op('Sub', [ctx.scalar(1), square(ctx, x)])])),
  /** fmod (the only float form): y = a − b·trunc(a/b), so ∂y/∂a = 1 and ∂y/∂b = −trunc(a/b) = (y − a)/b. */
  Mod: (ctx) => {
    if (ctx.attrInt('fmod', 0) !== 1) ctx.unsupported('fmod=0 (integer Mod has no gradient)');
    const g = ctx.grad(0)!;
    const [a, b] = [ctx.input(0), ctx.input(1)];
    const gb = ctx.needs(1) ? ctx.reduceLike(ctx.op('Mul', [g, ctx.op('Div', [ctx.op('Sub', [ctx.output(0), a]), b])]), b) : undefined;
    return [ctx.needs(0) ? ctx.reduceLike(g, a) : undefined, gb];
  },
  /** The gradient cast back to the first input's type (the second input only gives the type). */
  CastLike: (ctx) => [ctx.castLike(ctx.grad(0)!, ctx.input(0)), undefined],
  /** Every input gets the gradient, summed over the axes it was broadcast along. */
  Sum: (ctx) => ctx.node.input.map((x, i) => (ctx.needs(i) ? ctx.reduceLike(ctx.grad(0)!, x) : undefined)),
  /** Every input gets the gradient over the input count, summed over the axes it was broadcast along. */
  Mean: (ctx) => {
    const share = ctx.op('Div', [ctx.grad(0)!, ctx.scalar(ctx.node.input.length)]);
    return ctx.node.input.map((x, i) => (ctx.needs(i) ? ctx.reduceLike(share, x) : undefined));
  },
};
