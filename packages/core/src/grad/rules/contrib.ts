/**
 * Gradient rules of the `com.microsoft` operators that onnxruntime's transformer optimizer emits
 * (GELU variants, fused layer norms, rotary embeddings), with their semantics as in onnxruntime's
 * docs/ContribOperators.md. Every rule is exact (no approximation beyond the forward op's own).
 */
import type { ModelIR } from '../../onnx/model.js';
import { Splicer } from '../../hooks/splicer.js';
import type { GradContext, GradRule } from '../context.js';

/** d/dx of the exact (erf) GELU, x·Φ(x): Φ(x) + x·φ(x). */
function erfGeluSlope(ctx: GradContext, x: string): string {
  const cdf = ctx.op('Mul', [ctx.scalar(0.5, x), ctx.op('Add', [ctx.scalar(1, x), ctx.op('Erf', [ctx.op('Mul', [x, ctx.scalar(Math.SQRT1_2, x)])])])]);
  const pdf = ctx.op('Mul', [ctx.scalar(1 / Math.sqrt(2 * Math.PI), x), ctx.op('Exp', [ctx.op('Mul', [ctx.scalar(-0.5, x), ctx.op('Mul', [x, x])])])]);
  return ctx.op('Add', [cdf, ctx.op('Mul', [x, pdf])]);
}

/** d/dx of the tanh GELU ½x(1 + tanh(√(2/π)(x + 0.044715x³))). */
function tanhGeluSlope(ctx: GradContext, x: string): string {
  const c = Math.sqrt(2 / Math.PI);
  const x2 = ctx.op('Mul', [x, x]);
  const t = ctx.op('Tanh', [ctx.op('Mul', [ctx.scalar(c, x), ctx.op('Mul', [x, ctx.op('Add', [ctx.scalar(1, x), ctx.op('Mul', [ctx.scalar(0.044715, x), x2])])])])]);
  const dInner = ctx.op('Mul', [ctx.scalar(c, x), ctx.op('Add', [ctx.scalar(1, x), ctx.op('Mul', [ctx.scalar(3 * 0.044715, x), x2])])]);
  const half = ctx.op('Mul', [ctx.scalar(0.5, x), ctx.op('Add', [ctx.scalar(1, x), t])]);
  const slope = ctx.op('Mul', [ctx.op('Mul', [ctx.scalar(0.5, x), x]), ctx.op('Mul', [ctx.op('Sub', [ctx.scalar(1, x), ctx.op('Mul', [t, t])]), dInner])]);
  return ctx.op('Add', [half, slope]);
}

/** A GELU of `X + bias` (bias optional, input 1): the gradient of X, and of the bias summed over the leading axes. */
function biasedActivation(slope: (ctx: GradContext, x: string) => string): GradRule {
  return (ctx) => {
    const bias = ctx.input(1);
    const x = bias === '' ? ctx.input(0) : ctx.op('Add', [ctx.input(0), bias]);
    const gx = ctx.op('Mul', [ctx.grad(0)!, slope(ctx, x)]);
    return [ctx.needs(0) ? ctx.reduceLike(gx, ctx.input(0)) : undefined, bias !== '' && ctx.needs(1) ? ctx.reduceLike(gx, bias) : undefined];
  };
}

/**
 * The backward pass of a layer norm over the axes from `axis` on (`rms`: the simplified one, no
 * mean subtracted): gradients of the normalised input `x`, the scale and (when present) the bias.
 */
function normBackward(ctx: GradContext, x: string, g: string, scale: string, bias: string, rms: boolean): { gx: string; gScale: string; gBias: string | undefined } {
  const axis = ctx.attrInt('axis', -1);
  const eps = ctx.attrFloat('epsilon', 1e-5);
  const flat = (v: string) => ctx.op('Flatten', [v], { axis: BigInt(axis) });
  const mean = (v: string) => ctx.reduce('ReduceMean', v, [1], true);
  const x2 = flat(x);
  const centred = rms ? x2 : ctx.op('Sub', [x2, mean(x2)]);
  const invStd = ctx.op('Reciprocal', [ctx.op('Sqrt', [ctx.op('Add', [mean(ctx.op('Mul', [centred, centred])), ctx.scalar(eps, x)])])]);
  const xhat = ctx.op('Mul', [centred, invStd]);
  const g2 = flat(g);
  const gScale = ctx.op('Reshape', [ctx.reduceSum(ctx.op('Mul', [g2, xhat]), [0], false), ctx.shape(scale)]);
  const gBias = bias === '' ? undefined : ctx.op('Reshape', [ctx.reduceSum(g2, [0], false), ctx.shape(bias)]);
  const gh = ctx.op('Mul', [g2, ctx.op('Reshape', [scale, ctx.ints([1, -1])])]);
  const projected = ctx.op('Mul', [xhat, mean(ctx.op('Mul', [gh, xhat]))]);
  const inner = rms ? ctx.op('Sub', [gh, projected]) : ctx.op('Sub', [ctx.op('Sub', [gh, mean(gh)]), projected]);
  return { gx: ctx.op('Reshape', [ctx.op('Mul', [invStd, inner]), ctx.shape(x)]), gScale, gBias };
}

/** Refuses gradients flowing into the statistics outputs (mean, inverse std) of a norm. */
function noStatisticsGrads(ctx: GradContext, outputs: readonly number[]): void {
  if (outputs.some((i) => ctx.grad(i) !== undefined)) ctx.unsupported('gradients flowing into the mean or inv_std_var outputs');
}

/**
 * Skip(Simplified)LayerNormalization: s = input + skip (+ bias), y = norm(s)·gamma (+ beta); output 3
 * is s itself (the residual stream the next block reads), so its gradient adds to s's.
 */
function skipNorm(rms: boolean): GradRule {
  return (ctx) => {
    noStatisticsGrads(ctx, [1, 2]);
    const [input, skip, gamma] = [ctx.input(0), ctx.input(1), ctx.input(2)];
    const beta = rms ? '' : ctx.input(3);
    const biasIndex = rms ? 3 : 4;
    const bias = ctx.input(biasIndex);
    const sum = ctx.output(3) !== '' ? ctx.output(3) : bias === '' ? ctx.op('Add', [input, skip]) : ctx.op('Add', [ctx.op('Add', [input, skip]), bias]);
    const g = ctx.gradOrZeros(0);
    const { gx, gScale, gBias } = normBackward(ctx, sum, g, gamma, beta, rms);
    const gs = ctx.grad(3) === undefined ? gx : ctx.op('Add', [gx, ctx.grad(3)!]);
    const grads: (string | undefined)[] = [
      ctx.needs(0) ? gs : undefined,
      ctx.needs(1) ? ctx.reduceLike(gs, skip, input) : undefined,
      ctx.needs(2) ? gScale : undefined,
    ];
    if (!rms) grads.push(ctx.needs(3) ? gBias : undefined);
    grads.push(bias !== '' && ctx.needs(biasIndex) ? ctx.reduceLike(gs, bias, input) : undefined);
    return grads;
  };
}

/** SimplifiedLayerNormalization (RMSNorm: y = x / √(mean(x²) + ε) · scale over the axes from `axis`). */
const simplifiedNorm: GradRule = (ctx) => {
  noStatisticsGrads(ctx, [1]);
  const { gx, gScale } = normBackward(ctx, ctx.input(0), ctx.grad(0)!, ctx.input(1), '', true);
  return [ctx.needs(0) ? gx : undefined, ctx.needs(1) ? gScale : undefined];
};

/** Rules of `com.microsoft` operators, by operator type. */
export const CONTRIB_RULES: Readonly<Record<string, GradRule>> = {
  /** Gelu: exact x·Φ(x). */
  Gelu: biasedActivation(erfGeluSlope),
  /** BiasGelu(A, B) = Gelu(A + B). */
  BiasGelu: biasedActivation(erfGeluSlope),
  /** FastGelu(X, bias?) = tanh-approximated Gelu(X + bias). */
  FastGelu: biasedActivation(tanhGeluSlope),
  /** QuickGelu(X) = X·σ(αX), α = `alpha` (default 1.702): slope σ(αx)(1 + αx(1 − σ(αx))). */
  QuickGelu: (ctx) => {
    const x = ctx.input(0);
    const ax = ctx.op('Mul', [x, ctx.scalar(ctx.attrFloat('alpha', 1.702), x)]);
    const s = ctx.op('Sigmoid', [ax]);
    const slope = ctx.op('Mul', [s, ctx.op('Add', [ctx.scalar(1, x), ctx.op('Mul', [ax, ctx.op('Sub', [ctx.scalar(1, x), s])])])]);
    return [ctx.op('Mul', [ctx.grad(0)!, slope])];
  },
  SkipLayerNormalization: skipNorm(false),
  SkipSimplifiedLayerNormalization: skipNorm(true),
  /**
   * RotaryEmbedding(input, position_ids, cos_cache, sin_cache) rotates each pair of the first
   * `rotary_embedding_dim` features by the position's angle θ (the rest passes unchanged): a linear
   * map whose transpose is the rotation by −θ, i.e. the same op with the sine cache negated.
   */
  RotaryEmbedding: (ctx) => {
    if (ctx.needs(2) || ctx.needs(3)) ctx.unsupported('gradients with respect to the cos / sin caches');
    const [back] = ctx.replay([ctx.grad(0)!, ctx.input(1), ctx.input(2), ctx.op('Neg', [ctx.input(3)])], 1);
    return [back];
  },
};

/**
 * Operators that onnxruntime registers in the default domain although ONNX does not define them
 * there (its transformer optimizer writes them so; there is no `com.microsoft` form). Its
 * `LayerNormalization` of the default domain before opset 17 has the standard operator's rule.
 */
export const ORT_DEFAULT_DOMAIN_RULES: Readonly<Record<string, GradRule>> = {
  SimplifiedLayerNormalization: simplifiedNorm,
};

const FUSED_SUMS = new Set(['SkipLayerNormalization', 'SkipSimplifiedLayerNormalization']);

/**
 * Splits the residual sum out of every Skip(Simplified)LayerNormalization whose sum output
 * (`input_skip_bias_sum`, output 3) is in `wrt`, in place: `s = input + skip (+ bias)` becomes its own
 * `Add` (keeping the name), and the norm reads `s` (with a zero skip). Inside the fused node the
 * norm reads the inputs, not output 3, so without the split the gradient with respect to output 3
 * would miss the path through the norm — the residual stream's gradient would be partial.
 */
export function exposeFusedSums(model: ModelIR, wrt: readonly string[]): ModelIR {
  const wanted = new Set(wrt);
  const graph = model.graph;
  const targets = graph.nodes.filter((n) => n.domain === 'com.microsoft' && FUSED_SUMS.has(n.opType) && wanted.has(n.output[3] ?? ''));
  if (targets.length === 0) return model;
  const splicer = new Splicer(graph, model.opset() ?? 17, '__mechint_unfuse');
  for (const node of targets) {
    const sum = node.output[3]!;
    const biasIndex = node.opType === 'SkipLayerNormalization' ? 4 : 3;
    const bias = node.input[biasIndex] ?? '';
    node.output[3] = '';
    graph.invalidate();
    const partial = bias === '' ? [node.input[0]!, node.input[1]!] : [splicer.op('Add', [node.input[0]!, node.input[1]!]), bias];
    splicer.node('Add', partial, {}, [sum]);
    node.input[0] = sum;
    node.input[1] = splicer.op('Sub', [sum, sum]);
    if (bias !== '') node.input[biasIndex] = '';
    graph.invalidate();
  }
  return model;
}
