/**
 * Gradient rules of quantized graphs. Dequantization, integer matrix products and 4-bit weight
 * products are differentiated exactly, as the real-valued maps they compute (`(q − zero)·scale`,
 * `(A − a₀)(B − b₀)`); the rounding steps (`QuantizeLinear`, `DynamicQuantizeLinear`) are treated
 * straight-through: as the identity `x ↦ x` seen through their scale (g_x = g_q / scale), ignoring
 * rounding, clipping and the dependence of a dynamic scale on x. The gradient with respect to a
 * float activation is then that of the same network with dequantized weights. `gradients(...,
 * { quantized: 'refuse' })` refuses the straight-through steps instead.
 */
import { Tensor } from '../../tensor/tensor.js';
import type { GradContext, GradRule } from '../context.js';
import { attentionGrads } from './contrib.js';

/** `scale` shaped to broadcast along `axis` of a tensor of rank `rank` (a scalar as it is). */
function alongAxis(ctx: GradContext, scale: string, like: string): string {
  const scaleRank = ctx.rankOf(scale);
  if (scaleRank === 0) return scale;
  if (ctx.attrInt('block_size', 0) !== 0) ctx.unsupported('blocked quantization (block_size)');
  const rank = ctx.rankOf(like) ?? ctx.unsupported('a per-axis scale on an input of unknown rank');
  if (scaleRank === undefined) ctx.unsupported('a scale of unknown rank');
  const axis = ctx.attrInt('axis', 1);
  const positive = axis < 0 ? axis + rank : axis;
  return ctx.op('Reshape', [scale, ctx.ints([-1, ...new Array<number>(rank - positive - 1).fill(1)])]);
}

/** `v` (an integer tensor) as float, minus its zero point when there is one. */
function centred(ctx: GradContext, v: string, zero: string, like: string, zeroShape: readonly number[]): string {
  const f = ctx.castLike(v, like);
  return zero === '' ? f : ctx.op('Sub', [f, ctx.op('Reshape', [ctx.castLike(zero, like), ctx.ints(zeroShape)])]);
}

/** `x` with its last two axes swapped. */
function swapLast(ctx: GradContext, x: string): string {
  return ctx.op('Einsum', [x], { equation: '...ij->...ji' });
}

/**
 * The input gradient of Y = conv(X, W) (X integer, as a real tensor): the transposed convolution of
 * `g` with the float kernel, without pads, cut to X's elements (padded coordinate i is input element
 * i − pad_begin) and zero-padded at the end where no window reached.
 */
function convInputGrad(ctx: GradContext, g: string, kernel: string, x: string): string {
  if (ctx.attrString('auto_pad', 'NOTSET') !== 'NOTSET') ctx.unsupported("auto_pad other than 'NOTSET'");
  const rank = ctx.rankOf(x) ?? ctx.rankOf(ctx.input(1)) ?? ctx.unsupported('an input of unknown rank');
  const spatial = rank - 2;
  const ones = new Array<number>(spatial).fill(1);
  const pads = ctx.attrInts('pads') ?? new Array<number>(2 * spatial).fill(0);
  const attributes = { strides: (ctx.attrInts('strides') ?? ones).map(BigInt), dilations: (ctx.attrInts('dilations') ?? ones).map(BigInt), group: BigInt(ctx.attrInt('group', 1)) };
  const full = ctx.op('ConvTranspose', [g, kernel], attributes);
  const axes = Array.from({ length: spatial }, (_, i) => i + 2);
  const begins = pads.slice(0, spatial);
  const size = ctx.op('Slice', [ctx.shape(x), ctx.ints([2]), ctx.ints([rank])]);
  const cut = ctx.op('Slice', [full, ctx.ints(begins), ctx.op('Add', [size, ctx.ints(begins)]), ctx.ints(axes)]);
  const missing = ctx.op('Sub', [ctx.shape(x), ctx.shape(cut)]);
  return ctx.op('Pad', [cut, ctx.op('Concat', [ctx.ints(new Array<number>(rank).fill(0)), missing], { axis: 0n })]);
}

/** Rules of default-domain operators of quantized graphs. */
export const QUANTIZED_RULES: Readonly<Record<string, GradRule>> = {
  /** Y = conv(X − x₀, W − w₀) over the reals (w₀ per output channel or scalar): the input's gradient. */
  ConvInteger: (ctx) => {
    if (ctx.needs(1) || ctx.needs(3)) ctx.unsupported('gradients with respect to the integer kernel or its zero point');
    const g = ctx.grad(0)!;
    const w = ctx.input(1);
    const rank = ctx.rankOf(w) ?? ctx.unsupported('a kernel of unknown rank');
    const kernel = centred(ctx, w, ctx.input(3), g, [-1, ...new Array<number>(rank - 1).fill(1)]);
    return [ctx.needs(0) ? convInputGrad(ctx, g, kernel, ctx.input(0)) : undefined];
  },
  /** y = (x − zero)·scale: g_x = g·scale (x is integer: this is the straight-through gradient a quantize step upstream divides again), g_scale = Σ g·(x − zero). */
  DequantizeLinear: (ctx) => {
    const g = ctx.grad(0)!;
    const [x, scale, zero] = [ctx.input(0), ctx.input(1), ctx.input(2)];
    const s = alongAxis(ctx, scale, x);
    const gx = ctx.needs(0) ? ctx.op('Mul', [g, s]) : undefined;
    let gScale: string | undefined;
    if (ctx.needs(1)) {
      const xf = ctx.castLike(x, g);
      const shifted = zero === '' ? xf : ctx.op('Sub', [xf, alongAxis(ctx, ctx.castLike(zero, g), x)]);
      gScale = ctx.op('Reshape', [ctx.reduceLike(ctx.op('Mul', [g, shifted]), s, x), ctx.shape(scale)]);
    }
    return [gx, gScale];
  },
  /** Straight-through: q ≈ x / scale + zero, so g_x = g_q / scale (rounding and saturation ignored). */
  QuantizeLinear: (ctx) => [ctx.op('Div', [ctx.castLike(ctx.grad(0)!, ctx.input(1)), alongAxis(ctx, ctx.input(1), ctx.input(0))])],
  /**
   * Straight-through: g_x = g_y / y_scale. The scale and zero point, functions of x's range, count
   * as constants: with them, x = y_scale·(y − y_zero) exactly as straight-through assumes.
   */
  DynamicQuantizeLinear: (ctx) => [ctx.grad(0) === undefined ? undefined : ctx.op('Div', [ctx.grad(0)!, ctx.output(1)])],
  /** Y = (A − a₀)(B − b₀) over the reals (a₀ per row of A or scalar, b₀ per column of B or scalar). */
  MatMulInteger: (ctx) => {
    const g = ctx.grad(0)!;
    const [a, b] = [ctx.input(0), ctx.input(1)];
    const ga = ctx.needs(0) ? ctx.reduceLike(ctx.op('MatMul', [g, swapLast(ctx, centred(ctx, b, ctx.input(3), g, [1, -1]))]), a, undefined) : undefined;
    const gb = ctx.needs(1) ? ctx.reduceLike(ctx.op('MatMul', [swapLast(ctx, centred(ctx, a, ctx.input(2), g, [-1, 1])), g]), b, undefined) : undefined;
    return [ga, gb];
  },
};

/** Rules of `com.microsoft` operators of quantized graphs. */
export const QUANTIZED_CONTRIB_RULES: Readonly<Record<string, GradRule>> = {
  /**
   * QAttention(input, weight, bias, input_scale, weight_scale, mask_index, input_zero_point,
   * weight_zero_point, past): Attention on the dequantized input and weight, exactly; the input's
   * gradient comes back as that of the integer input (times input_scale), for the quantize step
   * upstream to divide again. The input's scale and zero point come from that step, which treats
   * them as constants (straight-through), so they get none.
   */
  QAttention: (ctx) => {
    if (ctx.input(8) !== '') ctx.unsupported('a past key / value state');
    if ([1, 4, 7].some((i) => ctx.needs(i))) ctx.unsupported("gradients with respect to the quantized weight, its scale or zero point");
    const g = ctx.grad(0)!;
    const [xScale, wScale] = [ctx.input(3), ctx.input(4)];
    const x = ctx.op('Mul', [centred(ctx, ctx.input(0), ctx.input(6), g, [-1]), xScale]);
    const w = ctx.op('Mul', [centred(ctx, ctx.input(1), ctx.input(7), g, [1, -1]), ctx.op('Reshape', [wScale, ctx.ints([1, -1])])]);
    const [gx, , gb] = attentionGrads(ctx, { x, w, bias: ctx.input(2), mask: ctx.input(5), attentionBias: '', weightShape: ctx.input(1) });
    return [ctx.needs(0) ? ctx.op('Mul', [gx!, xScale]) : undefined, undefined, gb];
  },
  /**
   * MatMulNBits: Y = A·Wᵀ (+ bias) with W [N, K] dequantized from blocks of `bits`-bit integers.
   * Wᵀ is read by running the same op on the K×K identity (without the bias), so every
   * quantization layout onnxruntime supports is handled by onnxruntime itself.
   */
  MatMulNBits: (ctx) => {
    if (ctx.needs(1) || ctx.needs(2) || ctx.needs(3)) ctx.unsupported('gradients with respect to the packed weights, scales or zero points');
    const g = ctx.grad(0)!;
    const k = ctx.attrInt('K', 0);
    const eye = Float32Array.from({ length: k * k }, (_, i) => (i % (k + 1) === 0 ? 1 : 0));
    const identity = ctx.castLike(ctx.constant(Tensor.from(eye, [k, k])), ctx.input(0));
    const inputs = [identity, ...ctx.node.input.slice(1, 5)];
    const [weightT] = ctx.replay(inputs, 1);
    const ga = ctx.needs(0) ? ctx.op('MatMul', [g, ctx.op('Transpose', [weightT!], { perm: [1n, 0n] })]) : undefined;
    const bias = ctx.input(5);
    const gBias = bias !== '' && ctx.needs(5) ? ctx.reduceLike(g, bias) : undefined;
    return [ga, undefined, undefined, undefined, undefined, gBias];
  },
};

/** The operators whose rules are straight-through (refused under `quantized: 'refuse'`), by domain. */
export const STRAIGHT_THROUGH_OPS = { default: ['QuantizeLinear', 'DynamicQuantizeLinear'], contrib: [] as string[] } as const;
