/**
 * Gradient rules of DFT (opset 17: axis attribute; opset 20: axis input) and STFT. The transforms
 * are linear; the adjoint of a DFT on [re, im] pairs is its conjugate transpose: N·IDFT for the
 * forward transform, DFT / N for the inverse one.
 */
import type { GradContext, GradRule } from '../context.js';

/** The signal axis (non-negative), from the attribute (opset 17) or the constant input (opset 20). */
function signalAxis(ctx: GradContext, rank: number): number {
  const fromInput = ctx.opset >= 20 && ctx.input(2) !== '';
  const axis = fromInput ? ctx.constantInts(ctx.input(2))?.[0] : ctx.opset >= 20 ? -2 : ctx.attrInt('axis', 1);
  if (axis === undefined) ctx.unsupported('an axis computed at run time');
  return axis < 0 ? axis + rank : axis;
}

/** `v` with its `axis` dim cut or zero-padded at the end to `size` (int64 `[1]`). */
function fitAxis(ctx: GradContext, v: string, axis: number, rank: number, size: string): string {
  const cut = ctx.op('Slice', [v, ctx.ints([0]), size, ctx.ints([axis])]);
  const missing = ctx.op('Max', [ctx.op('Sub', [size, ctx.op('Slice', [ctx.shape(cut), ctx.ints([axis]), ctx.ints([axis + 1])])]), ctx.ints([0])]);
  const zeros = (n: number) => ctx.ints(new Array<number>(n).fill(0));
  const pads = ctx.op('Concat', [zeros(rank + axis), missing, zeros(rank - axis - 1)], { axis: 0n });
  return ctx.op('Pad', [cut, pads]);
}

/** A full (two-sided) DFT of `v` along `axis`, in the opset's form. */
function dft(ctx: GradContext, v: string, axis: number, inverse: boolean): string {
  const attributes = { inverse: inverse ? 1n : 0n, onesided: 0n };
  return ctx.opset >= 20 ? ctx.op('DFT', [v, '', ctx.int(axis)], attributes) : ctx.op('DFT', [v], { ...attributes, axis: BigInt(axis) });
}

/** The int64 `[]` value of a scalar (or one-element) integer input. */
const intScalar = (ctx: GradContext, name: string) => ctx.op('Reshape', [ctx.castLike(name, ctx.ints([0])), ctx.ints([])]);

/**
 * STFT: frame f of the signal, `x[f·step + l]`, times the window, then a DFT of length L. The
 * adjoint: each frame's spectrum gradient through L·IDFT, times the window, overlap-added back
 * into the signal; the window's gradient is that (unwindowed) frame gradient times the frames.
 */
function stftBack(ctx: GradContext): (string | undefined)[] {
  const [x, step, window, frameLength] = [0, 1, 2, 3].map((i) => ctx.input(i)) as [string, string, string, string];
  if (ctx.needs(2) && window === '') ctx.unsupported('a window gradient without a window');
  const dim = (v: string, i: number) => ctx.op('Slice', [ctx.shape(v), ctx.ints([i]), ctx.ints([i + 1])]);
  const length = window !== '' ? dim(window, 0) : ctx.op('Reshape', [ctx.castLike(frameLength, ctx.ints([0])), ctx.ints([1])]);
  const g = ctx.attrInt('onesided', 1) === 1 ? fitAxis(ctx, ctx.grad(0)!, 2, 4, length) : ctx.grad(0)!;
  const perFrame = ctx.op('Mul', [dft(ctx, g, 2, true), ctx.castLike(dim(g, 2), x)]);
  const frameGrad = ctx.op('Slice', [perFrame, ctx.ints([0]), dim(x, 2), ctx.ints([3])]);
  const frames = dim(g, 1);
  const starts = ctx.op('Mul', [ctx.op('Range', [ctx.int(0), ctx.op('Reshape', [frames, ctx.ints([])]), ctx.int(1)]), intScalar(ctx, step)]);
  const offsets = ctx.op('Range', [ctx.int(0), ctx.op('Reshape', [length, ctx.ints([])]), ctx.int(1)]);
  const positions = ctx.op('Add', [ctx.unsqueeze(starts, [1]), ctx.unsqueeze(offsets, [0])]);
  const column = (w: string) => ctx.op('Reshape', [w, ctx.ints([-1, 1])]);
  let gx: string | undefined;
  if (ctx.needs(0)) {
    const windowed = window === '' ? frameGrad : ctx.op('Mul', [frameGrad, column(window)]);
    const updates = ctx.op('Reshape', [windowed, ctx.op('Concat', [dim(x, 0), ctx.ints([-1]), dim(x, 2)], { axis: 0n })]);
    const targets = ctx.op('Expand', [ctx.op('Reshape', [positions, ctx.ints([1, -1, 1])]), ctx.shape(updates)]);
    gx = ctx.op('ScatterElements', [ctx.zerosLike(x), targets, updates], { axis: 1n, reduction: 'add' });
  }
  const gWindow = ctx.needs(2) ? ctx.reduceSum(ctx.op('Mul', [frameGrad, ctx.op('Gather', [x, positions], { axis: 1n })]), [0, 1, 3], false) : undefined;
  return [gx, undefined, gWindow, undefined];
}

/** Rules by operator type. */
export const SPECTRAL_RULES: Readonly<Record<string, GradRule>> = {
  DFT: (ctx) => {
    const x = ctx.input(0);
    const rank = ctx.rankOf(x) ?? ctx.unsupported('an input of unknown rank');
    const axis = signalAxis(ctx, rank);
    const inverse = ctx.attrInt('inverse', 0) === 1;
    const dim = (v: string, i: number) => ctx.op('Slice', [ctx.shape(v), ctx.ints([i]), ctx.ints([i + 1])]);
    const length = ctx.input(1) === '' ? dim(x, axis) : ctx.op('Reshape', [ctx.castLike(ctx.input(1), ctx.ints([0])), ctx.ints([1])]);
    // A one-sided spectrum's missing bins got no gradient: zeros, up to the full length.
    const g = ctx.attrInt('onesided', 0) === 1 ? fitAxis(ctx, ctx.grad(0)!, axis, rank, length) : ctx.grad(0)!;
    const adjoint = dft(ctx, g, axis, !inverse);
    const n = ctx.castLike(dim(g, axis), x);
    const scaled = ctx.op(inverse ? 'Div' : 'Mul', [adjoint, n]);
    const complex = ctx.op('Slice', [scaled, ctx.ints([0]), dim(x, rank - 1), ctx.ints([rank - 1])]);
    // dft_length zero-padded or cut the signal: the gradient is cut or zero-padded back.
    return [ctx.input(1) === '' ? complex : fitAxis(ctx, complex, axis, rank, dim(x, axis)), undefined, undefined];
  },
  STFT: stftBack,
};
