/**
 * Gradient rules of normalisations beyond LayerNormalization and BatchNormalization:
 * InstanceNormalization, GroupNormalization (opset 18 per-group and opset 21 per-channel affine),
 * RMSNormalization (opset 23), LpNormalization, LRN, MeanVarianceNormalization.
 */
import { Tensor } from '../../tensor/tensor.js';
import type { GradContext, GradRule } from '../context.js';

/** Statistics of `x` standardised over its last axis: `x̂ = (x − mean)·invStd`, `invStd = (var + ε)^−½`. */
function standardize(ctx: GradContext, x: string, eps: number): { xhat: string; invStd: string } {
  const mean = (v: string) => ctx.reduce('ReduceMean', v, [-1], true);
  const centred = ctx.op('Sub', [x, mean(x)]);
  const invStd = ctx.op('Reciprocal', [ctx.op('Sqrt', [ctx.op('Add', [mean(ctx.op('Mul', [centred, centred])), ctx.scalar(eps, x)])])]);
  return { xhat: ctx.op('Mul', [centred, invStd]), invStd };
}

/** The input gradient of a standardisation over the last axis, given `gh` = ∂L/∂x̂: `invStd·(gh − mean(gh) − x̂·mean(gh·x̂))`. */
function standardizeBack(ctx: GradContext, gh: string, xhat: string, invStd: string): string {
  const mean = (v: string) => ctx.reduce('ReduceMean', v, [-1], true);
  return ctx.op('Mul', [invStd, ctx.op('Sub', [ctx.op('Sub', [gh, mean(gh)]), ctx.op('Mul', [xhat, mean(ctx.op('Mul', [gh, xhat]))])])]);
}

/**
 * Normalisation over channel groups of `[N, C, ...]`: `x` is seen as `[N, groups, C/groups·spatial]`;
 * `perGroup` says whether scale and bias hold one value per group (GroupNormalization-18) or per
 * channel (GroupNormalization-21, InstanceNormalization).
 */
function groupNormBack(ctx: GradContext, groups: string, perGroup: boolean): (string | undefined)[] {
  const g = ctx.grad(0)!;
  const [x, scale, bias] = [ctx.input(0), ctx.input(1), ctx.input(2)];
  const eps = ctx.attrFloat('epsilon', 1e-5);
  const grouped = ctx.op('Concat', [ctx.ints([0]), groups, ctx.ints([-1])], { axis: 0n });
  const byGroup = (v: string) => ctx.op('Reshape', [v, grouped]);
  const byChannel = (v: string) => ctx.op('Reshape', [v, ctx.ints([0, 0, -1])]);
  const { xhat, invStd } = standardize(ctx, byGroup(x), eps);
  const column = (v: string) => ctx.op('Reshape', [v, ctx.ints([-1, 1])]);
  const gh = perGroup ? ctx.op('Mul', [byGroup(g), column(scale)]) : byGroup(ctx.op('Mul', [byChannel(g), column(scale)]));
  const gx = ctx.needs(0) ? ctx.op('Reshape', [standardizeBack(ctx, gh, xhat, invStd), ctx.shape(x)]) : undefined;
  const gScale = !ctx.needs(1) ? undefined : perGroup ? ctx.reduceSum(ctx.op('Mul', [byGroup(g), xhat]), [0, 2], false) : ctx.reduceSum(ctx.op('Mul', [byChannel(g), ctx.op('Reshape', [xhat, ctx.shape(byChannel(g))])]), [0, 2], false);
  const gBias = !ctx.needs(2) ? undefined : ctx.reduceSum(perGroup ? byGroup(g) : byChannel(g), [0, 2], false);
  return [gx, gScale, ctx.needs(2) ? ctx.op('Reshape', [gBias!, ctx.shape(bias)]) : undefined];
}

/**
 * The sum of `t` `[N, C, ...]` over the channel window `[c − before, c + after]` (clipped at the
 * ends), as a convolution of `[N, 1, C, S]` with a column of ones.
 */
function channelWindowSum(ctx: GradContext, t: string, before: number, after: number): string {
  const size = before + after + 1;
  const ones = ctx.castLike(ctx.constant(Tensor.from(new Float32Array(size).fill(1), [1, 1, size, 1])), t);
  const summed = ctx.op('Conv', [ctx.unsqueeze(ctx.op('Reshape', [t, ctx.ints([0, 0, -1])]), [1]), ones], { pads: [BigInt(before), 0n, BigInt(after), 0n] });
  return ctx.op('Reshape', [summed, ctx.shape(t)]);
}

/** Rules by operator type. */
export const NORMALIZATION_RULES: Readonly<Record<string, GradRule>> = {
  InstanceNormalization: (ctx) => groupNormBack(ctx, ctx.op('Slice', [ctx.shape(ctx.input(0)), ctx.ints([1]), ctx.ints([2])]), false),
  /** Opset 18: scale and bias per group; opset 21: per channel. */
  GroupNormalization: (ctx) => groupNormBack(ctx, ctx.ints([ctx.attrInt('num_groups', 0)]), ctx.opset < 21),
  /** y = x·invRms·scale over the axes from `axis` on, invRms = (mean(x²) + ε)^−½; scale broadcasts. */
  RMSNormalization: (ctx) => {
    const g = ctx.grad(0)!;
    const [x, scale] = [ctx.input(0), ctx.input(1)];
    const axis = ctx.attrInt('axis', -1);
    const eps = ctx.attrFloat('epsilon', 1e-5);
    const flat = (v: string) => ctx.op('Flatten', [v], { axis: BigInt(axis) });
    const mean = (v: string) => ctx.reduce('ReduceMean', v, [-1], true);
    const x2 = flat(x);
    const invRms = ctx.op('Reciprocal', [ctx.op('Sqrt', [ctx.op('Add', [mean(ctx.op('Mul', [x2, x2])), ctx.scalar(eps, x)])])]);
    const xhat = ctx.op('Mul', [x2, invRms]);
    let gx: string | undefined;
    if (ctx.needs(0)) {
      const gh = flat(ctx.op('Mul', [g, scale]));
      gx = ctx.op('Reshape', [ctx.op('Mul', [invRms, ctx.op('Sub', [gh, ctx.op('Mul', [xhat, mean(ctx.op('Mul', [gh, xhat]))])])]), ctx.shape(x)]);
    }
    const gScale = ctx.needs(1) ? ctx.reduceLike(ctx.op('Mul', [g, ctx.op('Reshape', [xhat, ctx.shape(x)])]), scale) : undefined;
    return [gx, gScale];
  },
  /**
   * y = x·d^−β, d = bias + α/size·Σ_window x² over the channels [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉]:
   * ∂L/∂x = g·d^−β − (2αβ/size)·x·Σ_window′(g·x·d^(−β−1)), the adjoint window mirrored.
   */
  LRN: (ctx) => {
    const g = ctx.grad(0)!;
    const x = ctx.input(0);
    const size = ctx.attrInt('size', 1);
    const [alpha, beta, bias] = [ctx.attrFloat('alpha', 1e-4), ctx.attrFloat('beta', 0.75), ctx.attrFloat('bias', 1)];
    const [before, after] = [Math.floor((size - 1) / 2), Math.ceil((size - 1) / 2)];
    const d = ctx.op('Add', [ctx.scalar(bias, x), ctx.op('Mul', [ctx.scalar(alpha / size, x), channelWindowSum(ctx, ctx.op('Mul', [x, x]), before, after)])]);
    const direct = ctx.op('Mul', [g, ctx.op('Pow', [d, ctx.scalar(-beta, x)])]);
    const spread = channelWindowSum(ctx, ctx.op('Mul', [ctx.op('Mul', [g, x]), ctx.op('Pow', [d, ctx.scalar(-beta - 1, x)])]), after, before);
    return [ctx.op('Sub', [direct, ctx.op('Mul', [ctx.scalar((2 * alpha * beta) / size, x), ctx.op('Mul', [x, spread])])])];
  },
  /** y = (x − mean) / std over `axes` (default [0, 2, 3]): the standardisation's gradient over those axes. */
  MeanVarianceNormalization: (ctx) => {
    const g = ctx.grad(0)!;
    const x = ctx.input(0);
    const axes = ctx.attrInts('axes') ?? [0, 2, 3];
    const mean = (v: string) => ctx.reduce('ReduceMean', v, axes, true);
    const centred = ctx.op('Sub', [x, mean(x)]);
    const invStd = ctx.op('Reciprocal', [ctx.op('Sqrt', [mean(ctx.op('Mul', [centred, centred]))])]);
    const xhat = ctx.op('Mul', [centred, invStd]);
    return [ctx.op('Mul', [invStd, ctx.op('Sub', [ctx.op('Sub', [g, mean(g)]), ctx.op('Mul', [xhat, mean(ctx.op('Mul', [g, xhat]))])])])];
  },
  /** y = x / ‖x‖ₚ along `axis` (p = 1 or 2): ∂L/∂x = (g − s·Σ(g·y)) / ‖x‖ₚ with s = y (p = 2) or sign(x) (p = 1). */
  LpNormalization: (ctx) => {
    const g = ctx.grad(0)!;
    const x = ctx.input(0);
    const y = ctx.output(0);
    const axis = ctx.attrInt('axis', -1);
    const p = ctx.attrInt('p', 2);
    if (p !== 1 && p !== 2) ctx.unsupported(`p=${p} (the operator defines p = 1 and 2 only)`);
    const norm = p === 2 ? ctx.op('Sqrt', [ctx.reduceSum(ctx.op('Mul', [x, x]), [axis], true)]) : ctx.reduceSum(ctx.op('Abs', [x]), [axis], true);
    const s = p === 2 ? y : ctx.op('Sign', [x]);
    return [ctx.op('Div', [ctx.op('Sub', [g, ctx.op('Mul', [s, ctx.reduceSum(ctx.op('Mul', [g, y]), [axis], true)])]), norm])];
  },
};
