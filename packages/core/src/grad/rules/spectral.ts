/**
 * Gradient rule of DFT (opset 17: axis attribute; opset 20: axis input). The transform is linear;
 * its adjoint on [re, im] pairs is the conjugate transpose: N·IDFT for the forward transform,
 * DFT / N for the inverse one.
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
    const attributes = { inverse: inverse ? 0n : 1n, onesided: 0n };
    const adjoint = ctx.opset >= 20 ? ctx.op('DFT', [g, '', ctx.int(axis)], attributes) : ctx.op('DFT', [g], { ...attributes, axis: BigInt(axis) });
    const n = ctx.castLike(dim(g, axis), x);
    const scaled = ctx.op(inverse ? 'Div' : 'Mul', [adjoint, n]);
    const complex = ctx.op('Slice', [scaled, ctx.ints([0]), dim(x, rank - 1), ctx.ints([rank - 1])]);
    // dft_length zero-padded or cut the signal: the gradient is cut or zero-padded back.
    return [ctx.input(1) === '' ? complex : fitAxis(ctx, complex, axis, rank, dim(x, axis)), undefined, undefined];
  },
};
