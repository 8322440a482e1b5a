/**
 * Gradient rules of convolution and pooling.
 */
import { Tensor } from '../../tensor/tensor.js';
import type { GradContext, GradRule } from '../context.js';

interface ConvGeometry {
  spatial: number;
  strides: number[];
  dilations: number[];
  pads: number[];
}

function geometry(ctx: GradContext, kernelRank: number | undefined): ConvGeometry {
  if (ctx.attrString('auto_pad', 'NOTSET') !== 'NOTSET') ctx.unsupported("auto_pad other than 'NOTSET'");
  const spatial = kernelRank ?? ctx.attrInts('kernel_shape')?.length ?? ctx.unsupported('a kernel of unknown rank');
  const ones = new Array<number>(spatial).fill(1);
  return {
    spatial,
    strides: ctx.attrInts('strides') ?? ones,
    dilations: ctx.attrInts('dilations') ?? ones,
    pads: ctx.attrInts('pads') ?? new Array<number>(2 * spatial).fill(0),
  };
}

/**
 * The output of an unpadded transposed convolution (whose element i is padded input element i)
 * cut to the input's elements `[begin, begin + size)` on each spatial axis, then zero-padded at
 * the end where no forward window reached. Cropping here rather than with ConvTranspose pads also
 * keeps input elements next to an end padding that the windows only partly read, and keeps the
 * ConvTranspose pads symmetric (zero), as the CUDA provider needs.
 */
function cropToInput(ctx: GradContext, value: string, like: string, rank: number, begins: readonly number[]): string {
  const axes = Array.from({ length: rank - 2 }, (_, i) => i + 2);
  const size = ctx.op('Slice', [ctx.shape(like), ctx.ints([2]), ctx.ints([rank])]);
  const cut = ctx.op('Slice', [value, ctx.ints(begins), ctx.op('Add', [size, ctx.ints(begins)]), ctx.ints(axes)]);
  const missing = ctx.op('Sub', [ctx.shape(like), ctx.shape(cut)]);
  const pads = ctx.op('Concat', [ctx.ints(new Array<number>(rank).fill(0)), missing], { axis: 0n });
  return ctx.op('Pad', [cut, pads]);
}

const ints = (values: readonly number[]) => values.map(BigInt);

/**
 * The weight gradient of a convolution from `input` to `output` (for ConvTranspose the roles swap:
 * its gradient is the convolution's from `g` to `x`): the correlation of the two over the batch,
 * computed as a convolution with batch and channels swapped — strides and dilations trade places —
 * then cropped to the kernel and swapped back.
 */
function correlateWeights(ctx: GradContext, input: string, output: string, w: string, geo: ConvGeometry): string {
  const rank = geo.spatial + 2;
  const spatialAxes = Array.from({ length: geo.spatial }, (_, i) => i + 2);
  const swap = [1, 0, ...spatialAxes].map(BigInt);
  const correlated = ctx.op('Conv', [ctx.op('Transpose', [input], { perm: swap }), ctx.op('Transpose', [output], { perm: swap })], {
    strides: ints(geo.dilations),
    dilations: ints(geo.strides),
    pads: ints(geo.pads),
  });
  const kernel = ctx.op('Slice', [ctx.op('Shape', [w]), ctx.ints([2]), ctx.ints([rank])]);
  const cropped = ctx.op('Slice', [correlated, ctx.ints(new Array<number>(geo.spatial).fill(0)), kernel, ctx.ints(spatialAxes)]);
  return ctx.op('Transpose', [cropped], { perm: swap });
}

/** True when a unit-stride convolution's input gradient can be a plain convolution (a known kernel, pads within its reach). */
function unitStrideFits(geo: ConvGeometry, wShape: readonly (number | string | null)[] | undefined): boolean {
  if (wShape === undefined || wShape.slice(2).some((d) => typeof d !== 'number') || geo.strides.some((st) => st !== 1)) return false;
  return geo.pads.every((p, i) => p <= geo.dilations[i % geo.spatial]! * ((wShape[2 + (i % geo.spatial)] as number) - 1));
}

/**
 * The input gradient of a unit-stride convolution as a convolution of `g` with the kernel flipped in
 * space and its channel axes swapped, padded by reach − pad: onnxruntime's optimised Conv instead
 * of its much slower ConvTranspose (the flip of a constant kernel is folded at load).
 */
function convolveBack(ctx: GradContext, g: string, w: string, geo: ConvGeometry, wShape: readonly (number | string | null)[]): string {
  const spatialAxes = Array.from({ length: geo.spatial }, (_, i) => i + 2);
  const flipped = ctx.op('Slice', [w, ctx.ints(spatialAxes.map(() => -1)), ctx.ints(spatialAxes.map(() => -(2 ** 31))), ctx.ints(spatialAxes), ctx.ints(spatialAxes.map(() => -1))]);
  const swapped = ctx.op('Transpose', [flipped], { perm: [1n, 0n, ...spatialAxes.map(BigInt)] });
  const reach = spatialAxes.map((axis, i) => geo.dilations[i]! * ((wShape[axis] as number) - 1));
  const pads = [...reach.map((r, i) => r - geo.pads[i]!), ...reach.map((r, i) => r - geo.pads[geo.spatial + i]!)];
  return ctx.op('Conv', [g, swapped], { dilations: ints(geo.dilations), pads: ints(pads) });
}

/** `g` [N, C, h, w] with every element repeated over a `kernel` block: [N, C, h·kh, w·kw]. */
function upsample2d(ctx: GradContext, g: string, kernel: readonly number[]): string {
  const shape = ctx.shape(g);
  const dim = (i: number) => ctx.op('Slice', [shape, ctx.ints([i]), ctx.ints([i + 1])]);
  const blocks = ctx.op('Expand', [ctx.unsqueeze(g, [3, 5]), ctx.op('Concat', [dim(0), dim(1), dim(2), ctx.ints([kernel[0]!]), dim(3), ctx.ints([kernel[1]!])], { axis: 0n })]);
  const size = (i: number, k: number) => ctx.op('Mul', [dim(i), ctx.ints([k])]);
  return ctx.op('Reshape', [blocks, ctx.op('Concat', [dim(0), dim(1), size(2, kernel[0]!), size(3, kernel[1]!)], { axis: 0n })]);
}

/** The bias gradient of a (transposed) convolution: `g` summed over the batch and space. */
function biasGradient(ctx: GradContext, g: string, b: string, geo: ConvGeometry): string | undefined {
  return b !== '' && ctx.needs(2) ? ctx.reduceSum(g, [0, ...Array.from({ length: geo.spatial }, (_, i) => i + 2)], false) : undefined;
}

/**
 * MaxPool's input gradient when the windows tile the input (2-D, stride = kernel, no padding): each
 * window is viewed as one axis by reshapes, the first element equal to its maximum takes the
 * gradient, and the view is undone — no convolution, no indices, any element type.
 */
function maxPoolByTiles(ctx: GradContext, kernel: readonly number[]): string {
  const [x, y] = [ctx.input(0), ctx.output(0)];
  const [kh, kw] = [kernel[0]!, kernel[1]!];
  const yShape = ctx.shape(y);
  const dim = (i: number) => ctx.op('Slice', [yShape, ctx.ints([i]), ctx.ints([i + 1])]);
  const [n, c, h, w] = [0, 1, 2, 3].map(dim) as [string, string, string, string];
  const covered = ctx.op('Slice', [x, ctx.ints([0, 0]), ctx.op('Concat', [ctx.op('Mul', [h, ctx.ints([kh])]), ctx.op('Mul', [w, ctx.ints([kw])])], { axis: 0n }), ctx.ints([2, 3])]);
  const blocks = ctx.op('Concat', [n, c, h, ctx.ints([kh]), w, ctx.ints([kw])], { axis: 0n });
  const perm = [0n, 1n, 2n, 4n, 3n, 5n];
  const windows = ctx.op('Reshape', [ctx.op('Transpose', [ctx.op('Reshape', [covered, blocks])], { perm }), ctx.op('Concat', [n, c, h, w, ctx.ints([kh * kw])], { axis: 0n })]);
  const hit = ctx.op('Equal', [windows, ctx.unsqueeze(y, [4])]);
  const first = ctx.op('And', [hit, ctx.op('Equal', [ctx.op('CumSum', [ctx.castLike(hit, x), ctx.int(4)]), ctx.scalar(1, x)])]);
  const routed = ctx.op('Where', [first, ctx.unsqueeze(ctx.grad(0)!, [4]), ctx.scalar(0, x)]);
  const unblocked = ctx.op('Transpose', [ctx.op('Reshape', [routed, ctx.op('Concat', [n, c, h, w, ctx.ints([kh, kw])], { axis: 0n })])], { perm });
  const spread = ctx.op('Reshape', [unblocked, ctx.op('Concat', [n, c, ctx.op('Mul', [h, ctx.ints([kh])]), ctx.op('Mul', [w, ctx.ints([kw])])], { axis: 0n })]);
  return cropToInput(ctx, spread, x, 4, [0, 0]);
}

/**
 * MaxPool's input gradient without the pooling indices (which some providers, WebGPU among them,
 * cannot produce): every window's elements are gathered as channels by a convolution with one-hot
 * filters over the input padded with the lowest float, the first element equal to the window's
 * maximum takes the window's gradient, and the transposed convolution with the same filters puts
 * each gradient back in place. Matches onnxruntime's and torch's choice of the first maximum.
 */
function maxPoolByPatches(ctx: GradContext, kernel: readonly number[], geo: ConvGeometry): string {
  const x = ctx.input(0);
  const rank = geo.spatial + 2;
  const size = kernel.reduce((a, b) => a * b, 1);
  const oneHot = new Float32Array(size * size);
  for (let k = 0; k < size; k++) oneHot[k * size + k] = 1;
  const filters = ctx.constant(Tensor.from(oneHot, [size, 1, ...kernel]));
  const planeShape = ctx.ints([-1, 1, ...new Array<number>(geo.spatial).fill(0)]);
  const planes = ctx.op('Reshape', [x, planeShape]);
  const begins = geo.pads.slice(0, geo.spatial);
  const ends = geo.pads.slice(geo.spatial);
  const padded = ctx.op('Pad', [planes, ctx.ints([0, 0, ...begins, 0, 0, ...ends]), ctx.scalar(-3.4028234663852886e38, x)]);
  const windows = { strides: ints(geo.strides), dilations: ints(geo.dilations) };
  const patches = ctx.op('Conv', [padded, filters], windows);
  const hit = ctx.op('Equal', [patches, ctx.op('Reshape', [ctx.output(0), planeShape])]);
  const first = ctx.op('And', [hit, ctx.op('Equal', [ctx.op('CumSum', [ctx.castLike(hit, x), ctx.int(1)]), ctx.scalar(1, x)])]);
  const routed = ctx.op('Where', [first, ctx.op('Reshape', [ctx.grad(0)!, planeShape]), ctx.scalar(0, x)]);
  const spread = ctx.op('ConvTranspose', [routed, filters], windows);
  return ctx.op('Reshape', [cropToInput(ctx, spread, planes, rank, begins), ctx.shape(x)]);
}

/**
 * The adjoint of a windowed sum (times `weight`) from `x` to `g`'s shape, undilated and without
 * ceil mode: every window's gradient spread over its elements by a transposed convolution with a
 * kernel of `weight`s, per channel, then cut to `x` past the padding.
 */
function windowSumBack(ctx: GradContext, g: string, x: string, kernel: readonly number[], geo: ConvGeometry, weight: number): string {
  const rank = geo.spatial + 2;
  const weights = ctx.op('Expand', [ctx.scalar(weight, g), ctx.ints([1, 1, ...kernel])]);
  const planes = ctx.op('Reshape', [g, ctx.ints([-1, 1, ...new Array<number>(geo.spatial).fill(0)])]);
  const spread = ctx.op('ConvTranspose', [planes, weights], { strides: ints(geo.strides) });
  const shape = ctx.op('Concat', [ctx.op('Slice', [ctx.shape(x), ctx.ints([0]), ctx.ints([2])]), ctx.op('Slice', [ctx.shape(spread), ctx.ints([2]), ctx.ints([rank])])], { axis: 0n });
  return cropToInput(ctx, ctx.op('Reshape', [spread, shape]), x, rank, geo.pads.slice(0, geo.spatial));
}

/** Rules by operator type. */
export const CONV_RULES: Readonly<Record<string, GradRule>> = {
  Conv: (ctx) => {
    const g = ctx.grad(0)!;
    const [x, w, b] = [ctx.input(0), ctx.input(1), ctx.input(2)];
    const wRank = ctx.rankOf(w);
    const geo = geometry(ctx, wRank === undefined ? undefined : wRank - 2);
    const rank = geo.spatial + 2;
    const group = ctx.attrInt('group', 1);
    let gx: string | undefined;
    if (ctx.needs(0) && group === 1 && unitStrideFits(geo, ctx.shapeOf(w))) {
      gx = convolveBack(ctx, g, w, geo, ctx.shapeOf(w)!);
    } else if (ctx.needs(0)) {
      const transposed = ctx.op('ConvTranspose', [g, w], { strides: ints(geo.strides), dilations: ints(geo.dilations), group: BigInt(group) });
      gx = cropToInput(ctx, transposed, x, rank, geo.pads.slice(0, geo.spatial));
    }
    if (ctx.needs(1) && group !== 1) ctx.unsupported('weight gradients of grouped convolutions');
    const gw = ctx.needs(1) ? correlateWeights(ctx, x, g, w, geo) : undefined;
    return [gx, gw, biasGradient(ctx, g, b, geo)];
  },
  ConvTranspose: (ctx) => {
    const g = ctx.grad(0)!;
    const [x, w, b] = [ctx.input(0), ctx.input(1), ctx.input(2)];
    if (ctx.attrInts('output_shape') !== undefined) ctx.unsupported('output_shape (give pads and output_padding instead)');
    const wRank = ctx.rankOf(w);
    const geo = geometry(ctx, wRank === undefined ? undefined : wRank - 2);
    const group = ctx.attrInt('group', 1);
    const windows = { strides: ints(geo.strides), dilations: ints(geo.dilations), pads: ints(geo.pads) };
    const gx = ctx.needs(0) ? ctx.op('Conv', [g, w], { ...windows, group: BigInt(group) }) : undefined;
    if (ctx.needs(1) && group !== 1) ctx.unsupported('weight gradients of grouped transposed convolutions');
    const gw = ctx.needs(1) ? correlateWeights(ctx, g, x, w, geo) : undefined;
    return [gx, gw, biasGradient(ctx, g, b, geo)];
  },
  MaxPool: (ctx) => {
    const x = ctx.input(0);
    const kernel = ctx.attrInts('kernel_shape') ?? ctx.unsupported('a missing kernel_shape');
    const geo = geometry(ctx, kernel.length);
    const tiles = geo.spatial === 2 && geo.pads.every((p) => p === 0) && geo.dilations.every((d) => d === 1) && geo.strides.every((st, i) => st === kernel[i]);
    if (ctx.attrInt('ceil_mode', 0) === 0 && tiles) return [maxPoolByTiles(ctx, kernel)];
    if (ctx.attrInt('ceil_mode', 0) === 0 && ctx.dtypeOf(x) === 'float32') return [maxPoolByPatches(ctx, kernel, geo)];
    // Row-major indices (storage_order=0) are flat positions in x.
    const [, indices] = ctx.replay([x], 2, { storage_order: 0n });
    const flat = ctx.op('Reshape', [ctx.zerosLike(x), ctx.ints([-1])]);
    const summed = ctx.op('ScatterElements', [flat, ctx.op('Reshape', [indices!, ctx.ints([-1])]), ctx.op('Reshape', [ctx.grad(0)!, ctx.ints([-1])])], { reduction: 'add' });
    return [ctx.op('Reshape', [summed, ctx.shape(x)])];
  },

  AveragePool: (ctx) => {
    const x = ctx.input(0);
    const g = ctx.grad(0)!;
    const kernel = ctx.attrInts('kernel_shape') ?? ctx.unsupported('a missing kernel_shape');
    const geo = geometry(ctx, kernel.length);
    if (geo.pads.some((p) => p !== 0) && ctx.attrInt('count_include_pad', 0) === 0) ctx.unsupported('padding left out of the average (count_include_pad=0)');
    if (ctx.attrInt('ceil_mode', 0) !== 0) ctx.unsupported('ceil_mode=1');
    if (geo.dilations.some((d) => d !== 1)) ctx.unsupported('dilations');
    const rank = geo.spatial + 2;
    const area = kernel.reduce((a, b) => a * b, 1);
    if (geo.spatial === 2 && geo.pads.every((p) => p === 0) && geo.strides.every((st, i) => st === kernel[i])) {
      return [cropToInput(ctx, ctx.op('Div', [upsample2d(ctx, g, kernel), ctx.scalar(area, g)]), x, rank, [0, 0])];
    }
    return [windowSumBack(ctx, g, x, kernel, geo, 1 / area)];
  },
  /**
   * Col2Im adds every column back into its block of the image; the adjoint reads the blocks out
   * (im2col): a convolution of each image plane with one one-hot filter per block element.
   */
  Col2Im: (ctx) => {
    const block = ctx.constantInts(ctx.input(2)) ?? ctx.unsupported('a block_shape computed at run time');
    const spatial = block.length;
    const size = block.reduce((a, b) => a * b, 1);
    const oneHot = new Float32Array(size * size);
    for (let k = 0; k < size; k++) oneHot[k * size + k] = 1;
    const filters = ctx.castLike(ctx.constant(Tensor.from(oneHot, [size, 1, ...block])), ctx.input(0));
    const ones = new Array<number>(spatial).fill(1);
    const planes = ctx.op('Reshape', [ctx.grad(0)!, ctx.ints([-1, 1, ...new Array<number>(spatial).fill(0)])]);
    const patches = ctx.op('Conv', [planes, filters], {
      strides: ints(ctx.attrInts('strides') ?? ones),
      dilations: ints(ctx.attrInts('dilations') ?? ones),
      pads: ints(ctx.attrInts('pads') ?? new Array<number>(2 * spatial).fill(0)),
    });
    return [ctx.op('Reshape', [patches, ctx.shape(ctx.input(0))]), undefined, undefined];
  },
  /** y = (Σ_window |x|ᵖ)^(1/p): ∂L/∂x = sign(x)·|x|^(p−1)·Σ_windows∋x g·y^(1−p). */
  LpPool: (ctx) => {
    const x = ctx.input(0);
    const kernel = ctx.attrInts('kernel_shape') ?? ctx.unsupported('a missing kernel_shape');
    const geo = geometry(ctx, kernel.length);
    if (ctx.attrInt('ceil_mode', 0) !== 0) ctx.unsupported('ceil_mode=1');
    if (geo.dilations.some((d) => d !== 1)) ctx.unsupported('dilations');
    const p = ctx.attrInt('p', 2);
    const power = (v: string, e: number) => ctx.op('Pow', [v, ctx.scalar(e, x)]);
    const spread = windowSumBack(ctx, ctx.op('Mul', [ctx.grad(0)!, power(ctx.output(0), 1 - p)]), x, kernel, geo, 1);
    return [ctx.op('Mul', [ctx.op('Mul', [ctx.op('Sign', [x]), power(ctx.op('Abs', [x]), p - 1)]), spread])];
  },
  GlobalAveragePool: (ctx) => {
    const x = ctx.input(0);
    const count = ctx.castLike(ctx.op('Div', [ctx.op('Size', [x]), ctx.op('Size', [ctx.output(0)])]), x);
    return [ctx.op('Div', [ctx.op('Expand', [ctx.grad(0)!, ctx.shape(x)]), count])];
  },
};
