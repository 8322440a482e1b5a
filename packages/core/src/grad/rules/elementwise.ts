/**
 * Gradient rules of elementwise operators (broadcasting inputs get their gradients summed back).
 */
import type { GradContext, GradRule } from '../context.js';

const unary = (local: (ctx: GradContext, g: string) => string): GradRule => (ctx) => {
  const g = ctx.grad(0);
  return [g === undefined ? undefined : local(ctx, g)];
};

const where = (ctx: GradContext, condition: string, g: string, otherwise?: string) => ctx.op('Where', [condition, g, otherwise ?? ctx.scalar(0, g)]);

const FLOAT_TYPES = new Set(['float16', 'float32', 'float64']);

/** Rules by operator type. */
export const ELEMENTWISE_RULES: Readonly<Record<string, GradRule>> = {
  Identity: (ctx) => [ctx.grad(0)],
  Dropout: (ctx) => [ctx.grad(0)],
  Add: (ctx) => {
    const g = ctx.grad(0)!;
    return [ctx.needs(0) ? ctx.reduceLike(g, ctx.input(0)) : undefined, ctx.needs(1) ? ctx.reduceLike(g, ctx.input(1)) : undefined];
  },
  Sub: (ctx) => {
    const g = ctx.grad(0)!;
    return [ctx.needs(0) ? ctx.reduceLike(g, ctx.input(0)) : undefined, ctx.needs(1) ? ctx.reduceLike(ctx.op('Neg', [g]), ctx.input(1)) : undefined];
  },
  Mul: (ctx) => {
    const g = ctx.grad(0)!;
    const [a, b] = [ctx.input(0), ctx.input(1)];
    return [ctx.needs(0) ? ctx.reduceLike(ctx.op('Mul', [g, b]), a) : undefined, ctx.needs(1) ? ctx.reduceLike(ctx.op('Mul', [g, a]), b) : undefined];
  },
  Div: (ctx) => {
    const g = ctx.grad(0)!;
    const [a, b] = [ctx.input(0), ctx.input(1)];
    const ga = ctx.op('Div', [g, b]);
    return [ctx.needs(0) ? ctx.reduceLike(ga, a) : undefined, ctx.needs(1) ? ctx.reduceLike(ctx.op('Neg', [ctx.op('Mul', [ga, ctx.output(0)])]), b) : undefined];
  },
  Pow: (ctx) => {
    const g = ctx.grad(0)!;
    const [a, b] = [ctx.input(0), ctx.input(1)];
    const bAsA = ctx.castLike(b, a);
    const ga = ctx.needs(0) ? ctx.reduceLike(ctx.op('Mul', [g, ctx.op('Mul', [bAsA, ctx.op('Pow', [a, ctx.op('Sub', [bAsA, ctx.scalar(1, a)])])])]), a) : undefined;
    const gb = ctx.needs(1) ? ctx.reduceLike(ctx.op('Mul', [g, ctx.op('Mul', [ctx.output(0), ctx.op('Log', [a])])]), b) : undefined;
    return [ga, gb];
  },
  Neg: unary((ctx, g) => ctx.op('Neg', [g])),
  Sqrt: unary((ctx, g) => ctx.op('Div', [g, ctx.op('Mul', [ctx.output(0), ctx.scalar(2)])])),
  Reciprocal: unary((ctx, g) => ctx.op('Neg', [ctx.op('Mul', [g, ctx.op('Mul', [ctx.output(0), ctx.output(0)])])])),
  Exp: unary((ctx, g) => ctx.op('Mul', [g, ctx.output(0)])),
  Log: unary((ctx, g) => ctx.op('Div', [g, ctx.input(0)])),
  Abs: unary((ctx, g) => ctx.op('Mul', [g, ctx.op('Sign', [ctx.input(0)])])),
  Tanh: unary((ctx, g) => ctx.op('Mul', [g, ctx.op('Sub', [ctx.scalar(1), ctx.op('Mul', [ctx.output(0), ctx.output(0)])])])),
  Sigmoid: unary((ctx, g) => ctx.op('Mul', [g, ctx.op('Mul', [ctx.output(0), ctx.op('Sub', [ctx.scalar(1), ctx.output(0)])])])),
  Relu: unary((ctx, g) => where(ctx, ctx.op('Greater', [ctx.input(0), ctx.scalar(0)]), g)),
  LeakyRelu: unary((ctx, g) => where(ctx, ctx.op('Greater', [ctx.input(0), ctx.scalar(0)]), g, ctx.op('Mul', [g, ctx.scalar(ctx.attrFloat('alpha', 0.01))]))),
  Elu: unary((ctx, g) => where(ctx, ctx.op('Greater', [ctx.input(0), ctx.scalar(0)]), g, ctx.op('Mul', [g, ctx.op('Add', [ctx.output(0), ctx.scalar(ctx.attrFloat('alpha', 1))])]))),
  Softplus: unary((ctx, g) => ctx.op('Mul', [g, ctx.op('Sigmoid', [ctx.input(0)])])),
  Erf: unary((ctx, g) => {
    const x = ctx.input(0);
    return ctx.op('Mul', [g, ctx.op('Mul', [ctx.scalar(2 / Math.sqrt(Math.PI)), ctx.op('Exp', [ctx.op('Neg', [ctx.op('Mul', [x, x])])])])]);
  }),
  Gelu: unary((ctx, g) => {
    const x = ctx.input(0);
    if (ctx.attrString('approximate', 'none') === 'tanh') {
      const c = Math.sqrt(2 / Math.PI);
      const x2 = ctx.op('Mul', [x, x]);
      const t = ctx.op('Tanh', [ctx.op('Mul', [ctx.scalar(c), ctx.op('Mul', [x, ctx.op('Add', [ctx.scalar(1), ctx.op('Mul', [ctx.scalar(0.044715), x2])])])])]);
      const dInner = ctx.op('Mul', [ctx.scalar(c), ctx.op('Add', [ctx.scalar(1), ctx.op('Mul', [ctx.scalar(3 * 0.044715), x2])])]);
      const half = ctx.op('Mul', [ctx.scalar(0.5), ctx.op('Add', [ctx.scalar(1), t])]);
      const slope = ctx.op('Mul', [ctx.op('Mul', [ctx.scalar(0.5), x]), ctx.op('Mul', [ctx.op('Sub', [ctx.scalar(1), ctx.op('Mul', [t, t])]), dInner])]);
      return ctx.op('Mul', [g, ctx.op('Add', [half, slope])]);
    }
    const cdf = ctx.op('Mul', [ctx.scalar(0.5), ctx.op('Add', [ctx.scalar(1), ctx.op('Erf', [ctx.op('Mul', [x, ctx.scalar(Math.SQRT1_2)])])])]);
    const pdf = ctx.op('Mul', [ctx.scalar(1 / Math.sqrt(2 * Math.PI)), ctx.op('Exp', [ctx.op('Mul', [ctx.scalar(-0.5), ctx.op('Mul', [x, x])])])]);
    return ctx.op('Mul', [g, ctx.op('Add', [cdf, ctx.op('Mul', [x, pdf])])]);
  }),
  Clip: (ctx) => {
    // Clip(x) = Min(Max(x, min), max): x gets the gradient where neither bound won, each bound
    // where it did (ties go to x; a NaN x gets none).
    const g = ctx.grad(0)!;
    const [x, lo, hi] = [ctx.input(0), ctx.input(1), ctx.input(2)];
    const aboveLo = lo === '' ? undefined : ctx.op('GreaterOrEqual', [x, lo]);
    const belowHi = hi === '' ? undefined : ctx.op('LessOrEqual', [lo === '' ? x : ctx.op('Max', [x, lo]), hi]);
    const throughHi = belowHi === undefined ? g : where(ctx, belowHi, g);
    const gx = aboveLo === undefined ? where(ctx, ctx.op('Not', [ctx.op('IsNaN', [x])]), throughHi) : where(ctx, aboveLo, throughHi);
    return [
      gx,
      aboveLo !== undefined && ctx.needs(1) ? ctx.reduceLike(ctx.op('Where', [aboveLo, ctx.scalar(0, g), throughHi]), lo) : undefined,
      belowHi !== undefined && ctx.needs(2) ? ctx.reduceLike(ctx.op('Where', [belowHi, ctx.scalar(0, g), g]), hi) : undefined,
    ];
  },
  Max: (ctx) => pickGrad(ctx, 'GreaterOrEqual'),
  Min: (ctx) => pickGrad(ctx, 'LessOrEqual'),
  Where: (ctx) => {
    const g = ctx.grad(0)!;
    const c = ctx.input(0);
    return [
      undefined,
      ctx.needs(1) ? ctx.reduceLike(where(ctx, c, g), ctx.input(1)) : undefined,
      ctx.needs(2) ? ctx.reduceLike(ctx.op('Where', [c, ctx.scalar(0, g), g]), ctx.input(2)) : undefined,
    ];
  },
  /**
   * A float input gets the gradient cast back to its type. A boolean or integer input (a
   * comparison such as a spike's Heaviside step) passes the gradient on as it is: nothing
   * differentiates a comparison, unless a `nodeOverrides` rule on it supplies a surrogate.
   */
  Cast: (ctx) => [ctx.needs(0) ? (FLOAT_TYPES.has(ctx.dtypeOf(ctx.input(0))) ? ctx.castLike(ctx.grad(0)!, ctx.input(0)) : ctx.grad(0)) : undefined],
  Expand: (ctx) => [ctx.needs(0) ? ctx.reduceLike(ctx.grad(0)!, ctx.input(0), undefined) : undefined],
};

/** Max / Min of two inputs: the gradient goes to the chosen input (the first one on ties). */
function pickGrad(ctx: GradContext, compare: 'GreaterOrEqual' | 'LessOrEqual'): (string | undefined)[] {
  if (ctx.node.input.length === 1) return [ctx.grad(0)];
  if (ctx.node.input.length !== 2) ctx.unsupported('more than two inputs');
  const g = ctx.grad(0)!;
  const first = ctx.op(compare, [ctx.input(0), ctx.input(1)]);
  return [
    ctx.needs(0) ? ctx.reduceLike(where(ctx, first, g), ctx.input(0)) : undefined,
    ctx.needs(1) ? ctx.reduceLike(ctx.op('Where', [first, ctx.scalar(0, g), g]), ctx.input(1)) : undefined,
  ];
}
