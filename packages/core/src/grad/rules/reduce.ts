/**
 * Gradient rules of reductions and normalisations: every Reduce*, Softmax, LogSoftmax,
 * LayerNormalization, BatchNormalization (inference).
 */
import { attr } from '../../builder/attributes.js';
import type { GradContext, GradRule } from '../context.js';

/** The reduced axes of a Reduce* node (input 1 from opset 18, or 13 for ReduceSum; attribute before), or `undefined` for all. */
function reducedAxes(ctx: GradContext): number[] | undefined {
  const fromInput = ctx.node.input[1] !== undefined && ctx.node.input[1] !== '';
  const axes = fromInput ? ctx.constantInts(ctx.input(1)) : ctx.attrInts('axes');
  if (fromInput && axes === undefined) ctx.unsupported('axes computed at run time');
  return axes !== undefined && axes.length > 0 ? axes : undefined;
}

/** Whether the node returns its input unchanged (`noop_with_empty_axes=1` and no axes). */
function reducesNothing(ctx: GradContext): boolean {
  return ctx.attrInt('noop_with_empty_axes', 0) === 1 && reducedAxes(ctx) === undefined;
}

/** The output gradient broadcast back to the input's shape (and `Y` likewise, if asked). */
function expandBack(ctx: GradContext, value: string): string {
  const axes = reducedAxes(ctx);
  const keep = ctx.attrInt('keepdims', 1) === 1;
  const kept = keep || axes === undefined ? value : ctx.unsqueeze(value, axes.map((a) => (a < 0 && ctx.rankOf(ctx.input(0)) !== undefined ? a + ctx.rankOf(ctx.input(0))! : a)));
  if (!keep && axes !== undefined && axes.some((a) => a < 0) && ctx.rankOf(ctx.input(0)) === undefined) ctx.unsupported('negative axes with keepdims=0 on an input of unknown rank');
  return ctx.op('Expand', [kept, ctx.shape(ctx.input(0))]);
}

/** Refuses `noop_with_empty_axes=1` without axes, whose output operators define inconsistently (x or its elementwise image). */
function reducing(rule: GradRule): GradRule {
  return (ctx) => (reducesNothing(ctx) ? ctx.unsupported('noop_with_empty_axes=1 with no axes') : rule(ctx));
}

function count(ctx: GradContext): string {
  return ctx.castLike(ctx.op('Div', [ctx.op('Size', [ctx.input(0)]), ctx.op('Size', [ctx.output(0)])]), ctx.input(0));
}

/** ReduceMax / ReduceMin: the gradient goes to the elements equal to the result, shared among ties. */
const extremum: GradRule = (ctx) => {
  if (reducesNothing(ctx)) return [ctx.grad(0)];
  const x = ctx.input(0);
  const hit = ctx.castLike(ctx.op('Equal', [x, expandBack(ctx, ctx.output(0))]), x);
  const ties = expandBack(ctx, ctx.reduceSum(hit, reducedAxes(ctx), ctx.attrInt('keepdims', 1) === 1));
  return [ctx.op('Div', [ctx.op('Mul', [expandBack(ctx, ctx.grad(0)!), hit]), ties])];
};

/** Rules by operator type. */
export const REDUCE_RULES: Readonly<Record<string, GradRule>> = {
  ReduceSum: (ctx) => [expandBack(ctx, ctx.grad(0)!)],
  ReduceMean: (ctx) => [ctx.op('Div', [expandBack(ctx, ctx.grad(0)!), count(ctx)])],
  ReduceMax: extremum,
  ReduceMin: extremum,
  /** ∂y/∂x = y / x (inputs that are exactly zero give NaN, never a silent wrong number). */
  ReduceProd: reducing((ctx) => [ctx.op('Div', [ctx.op('Mul', [expandBack(ctx, ctx.grad(0)!), expandBack(ctx, ctx.output(0))]), ctx.input(0)])]),
  ReduceL1: reducing((ctx) => [ctx.op('Mul', [expandBack(ctx, ctx.grad(0)!), ctx.op('Sign', [ctx.input(0)])])]),
  ReduceSumSquare: reducing((ctx) => [ctx.op('Mul', [expandBack(ctx, ctx.grad(0)!), ctx.op('Mul', [ctx.input(0), ctx.scalar(2, ctx.input(0))])])]),
  /** y = log Σx: ∂y/∂x = 1 / Σx = e^−y. */
  ReduceLogSum: reducing((ctx) => [ctx.op('Mul', [expandBack(ctx, ctx.grad(0)!), ctx.op('Exp', [ctx.op('Neg', [expandBack(ctx, ctx.output(0))])])])]),
  /** y = log Σeˣ: ∂y/∂x = e^(x − y), the softmax over the reduced axes. */
  ReduceLogSumExp: reducing((ctx) => [ctx.op('Mul', [expandBack(ctx, ctx.grad(0)!), ctx.op('Exp', [ctx.op('Sub', [ctx.input(0), expandBack(ctx, ctx.output(0))])])])]),
  ReduceL2: (ctx) => [ctx.op('Div', [ctx.op('Mul', [ctx.input(0), expandBack(ctx, ctx.grad(0)!)]), expandBack(ctx, ctx.output(0))])],
  Softmax: (ctx) => {
    const g = ctx.grad(0)!;
    const y = ctx.output(0);
    const axis = ctx.attrInt('axis', -1);
    return [ctx.op('Mul', [y, ctx.op('Sub', [g, ctx.reduceSum(ctx.op('Mul', [g, y]), [axis], true)])])];
  },
  LogSoftmax: (ctx) => {
    const g = ctx.grad(0)!;
    const axis = ctx.attrInt('axis', -1);
    return [ctx.op('Sub', [g, ctx.op('Mul', [ctx.op('Exp', [ctx.output(0)]), ctx.reduceSum(g, [axis], true)])])];
  },
  LayerNormalization: (ctx) => {
    if (ctx.grad(1) !== undefined || ctx.grad(2) !== undefined) ctx.unsupported('gradients flowing into the Mean or InvStdDev outputs');
    const g = ctx.grad(0)!;
    const [x, scale, bias] = [ctx.input(0), ctx.input(1), ctx.input(2)];
    const axis = ctx.attrInt('axis', -1);
    const eps = ctx.attrFloat('epsilon', 1e-5);
    const flat = (v: string) => ctx.op('Flatten', [v], { axis: BigInt(axis) });
    const mean = (v: string) => ctx.reduce('ReduceMean', v, [1], true);
    const x2 = flat(x);
    const centred = ctx.op('Sub', [x2, mean(x2)]);
    const invStd = ctx.op('Reciprocal', [ctx.op('Sqrt', [ctx.op('Add', [mean(ctx.op('Mul', [centred, centred])), ctx.scalar(eps)])])]);
    const xhat = ctx.op('Mul', [centred, invStd]);
    const g2 = flat(g);
    const gScale = ctx.needs(1) ? ctx.op('Reshape', [ctx.reduceSum(ctx.op('Mul', [g2, xhat]), [0], false), ctx.shape(scale)]) : undefined;
    const gBias = bias !== '' && ctx.needs(2) ? ctx.op('Reshape', [ctx.reduceSum(g2, [0], false), ctx.shape(bias)]) : undefined;
    let gx: string | undefined;
    if (ctx.needs(0)) {
      const gh = ctx.op('Mul', [g2, ctx.op('Reshape', [scale, ctx.ints([1, -1])])]);
      const inner = ctx.op('Sub', [ctx.op('Sub', [gh, mean(gh)]), ctx.op('Mul', [xhat, mean(ctx.op('Mul', [gh, xhat]))])]);
      gx = ctx.op('Reshape', [ctx.op('Mul', [invStd, inner]), ctx.shape(x)]);
    }
    return [gx, gScale, gBias];
  },
  BatchNormalization: (ctx) => {
    // y = scale · (x − mean) · invStd + bias, invStd = (var + ε)^−½, per channel (axis 1).
    if (ctx.attrInt('training_mode', 0) !== 0) ctx.unsupported('training_mode=1');
    const g = ctx.grad(0)!;
    const [x, scale, mean, variance] = [0, 1, 3, 4].map((i) => ctx.input(i)) as [string, string, string, string];
    const eps = ctx.attrFloat('epsilon', 1e-5);
    const invStd = ctx.op('Reciprocal', [ctx.op('Sqrt', [ctx.op('Add', [variance, ctx.scalar(eps, variance)])])]);
    const zeros = ctx.zerosLike(mean);
    const unitVariance = ctx.op('Add', [zeros, ctx.scalar(1 - eps, variance)]);
    const perChannel = (v: string, s: string, b: string, m: string) => ctx.op('BatchNormalization', [v, s, b, m, unitVariance], { epsilon: attr.float(eps) });
    const channelSum = (v: string) => ctx.reduceSum(ctx.op('Reshape', [v, ctx.ints([0, 0, -1])]), [0, 2], false);
    const gain = ctx.op('Mul', [scale, invStd]);
    const gx = ctx.needs(0) ? perChannel(g, gain, zeros, zeros) : undefined;
    const gBias = ctx.needs(2) || ctx.needs(3) ? channelSum(g) : undefined;
    const gScale = ctx.needs(1) || ctx.needs(4) ? channelSum(ctx.op('Mul', [g, perChannel(x, invStd, zeros, mean)])) : undefined;
    const gMean = ctx.needs(3) ? ctx.op('Neg', [ctx.op('Mul', [gain, gBias!])]) : undefined;
    const gVariance = ctx.needs(4) ? ctx.op('Mul', [ctx.op('Mul', [gain, invStd]), ctx.op('Mul', [gScale!, ctx.scalar(-0.5, variance)])]) : undefined;
    return [gx, ctx.needs(1) ? gScale : undefined, ctx.needs(2) ? gBias : undefined, gMean, gVariance];
  },
};
