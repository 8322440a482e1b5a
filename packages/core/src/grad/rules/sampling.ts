/**
 * Gradient rule of GridSample (opset 16 and 20 forms) in its bilinear mode with zero padding on
 * 4-D inputs: the input's gradient is the output gradient scattered to the four corners with the
 * interpolation weights; the grid's gradient is the weights' derivative times the corner values.
 */
import type { GradContext, GradRule } from '../context.js';

interface Axis {
  /** The four corners' (low / high) integer coordinates, int64. */
  low: string;
  high: string;
  /** Weights of the high corner (the low one's is 1 − it). */
  frac: string;
  /** d(pixel coordinate) / d(normalised coordinate). */
  scale: string;
  /** Whether each corner lies inside the input. */
  lowIn: string;
  highIn: string;
  size: string;
}

/** One grid coordinate `[N, Ho, Wo]` against an input extent `size` (int64 `[]`), unnormalised as the operator does. */
function axis(ctx: GradContext, coordinate: string, size: string, alignCorners: boolean): Axis {
  const x = ctx.input(0);
  const extent = ctx.castLike(size, x);
  const one = ctx.scalar(1, x);
  const half = ctx.scalar(0.5, x);
  const scale = alignCorners ? ctx.op('Mul', [ctx.op('Sub', [extent, one]), half]) : ctx.op('Mul', [extent, half]);
  const pixel = alignCorners ? ctx.op('Mul', [ctx.op('Add', [coordinate, one]), scale]) : ctx.op('Sub', [ctx.op('Mul', [ctx.op('Add', [coordinate, one]), scale]), half]);
  const lowF = ctx.op('Floor', [pixel]);
  const low = ctx.op('Cast', [lowF], { to: 7n });
  const high = ctx.op('Add', [low, ctx.int(1)]);
  const inside = (i: string) => ctx.op('And', [ctx.op('GreaterOrEqual', [i, ctx.int(0)]), ctx.op('Less', [i, size])]);
  return { low, high, frac: ctx.op('Sub', [pixel, lowF]), scale, lowIn: inside(low), highIn: inside(high), size };
}

/** Rules by operator type. */
export const SAMPLING_RULES: Readonly<Record<string, GradRule>> = {
  GridSample: (ctx) => {
    const mode = ctx.attrString('mode', ctx.opset >= 20 ? 'linear' : 'bilinear');
    if (mode !== 'linear' && mode !== 'bilinear') ctx.unsupported(`mode '${mode}' (only bilinear interpolation is differentiated)`);
    const padding = ctx.attrString('padding_mode', 'zeros');
    if (padding !== 'zeros') ctx.unsupported(`padding_mode '${padding}' (only 'zeros' is differentiated)`);
    const [x, grid] = [ctx.input(0), ctx.input(1)];
    if (ctx.rankOf(x) !== 4) ctx.unsupported('inputs other than 4-D [N, C, H, W]');
    const alignCorners = ctx.attrInt('align_corners', 0) === 1;
    const g = ctx.grad(0)!;
    const dims = ctx.shape(x);
    const dim = (i: number) => ctx.op('Reshape', [ctx.op('Slice', [dims, ctx.ints([i]), ctx.ints([i + 1])]), ctx.ints([])]);
    const coordinate = (i: number) => ctx.op('Reshape', [ctx.op('Slice', [grid, ctx.ints([i]), ctx.ints([i + 1]), ctx.ints([3])]), ctx.ints([0, 0, -1])]);
    const ax = axis(ctx, coordinate(0), dim(3), alignCorners);
    const ay = axis(ctx, coordinate(1), dim(2), alignCorners);
    const flatX = ctx.op('Reshape', [x, ctx.ints([0, 0, -1])]);
    const flatG = ctx.op('Reshape', [g, ctx.ints([0, 0, -1])]);
    const perPoint = (v: string) => ctx.op('Reshape', [v, ctx.ints([0, 1, -1])]);
    const one = ctx.scalar(1, x);
    const zero = ctx.scalar(0, x);
    const corner = (yi: string, yIn: string, xi: string, xIn: string) => {
      const valid = ctx.op('And', [yIn, xIn]);
      const index = perPoint(ctx.op('Where', [valid, ctx.op('Add', [ctx.op('Mul', [yi, ax.size]), xi]), ctx.int(0)]));
      const expanded = ctx.op('Expand', [index, ctx.shape(flatG)]);
      const value = ctx.op('Where', [perPoint(valid), ctx.op('GatherElements', [flatX, expanded], { axis: 2n }), zero]);
      return { expanded, valid: perPoint(valid), value };
    };
    const wx = [ctx.op('Sub', [one, ax.frac]), ax.frac].map(perPoint) as [string, string];
    const wy = [ctx.op('Sub', [one, ay.frac]), ay.frac].map(perPoint) as [string, string];
    const corners = [
      { c: corner(ay.low, ay.lowIn, ax.low, ax.lowIn), wy: wy[0], wx: wx[0], sy: -1, sx: -1 },
      { c: corner(ay.low, ay.lowIn, ax.high, ax.highIn), wy: wy[0], wx: wx[1], sy: -1, sx: 1 },
      { c: corner(ay.high, ay.highIn, ax.low, ax.lowIn), wy: wy[1], wx: wx[0], sy: 1, sx: -1 },
      { c: corner(ay.high, ay.highIn, ax.high, ax.highIn), wy: wy[1], wx: wx[1], sy: 1, sx: 1 },
    ];
    let gx: string | undefined;
    if (ctx.needs(0)) {
      const updates = corners.map(({ c, wy: y, wx: xw }) => ctx.op('Where', [c.valid, ctx.op('Mul', [flatG, ctx.op('Mul', [y, xw])]), zero]));
      const scattered = ctx.op('ScatterElements', [ctx.zerosLike(flatX), ctx.op('Concat', corners.map(({ c }) => c.expanded), { axis: 2n }), ctx.op('Concat', updates, { axis: 2n })], { axis: 2n, reduction: 'add' });
      gx = ctx.op('Reshape', [scattered, dims]);
    }
    let gGrid: string | undefined;
    if (ctx.needs(1)) {
      // ∂y/∂px = Σ ±wy·value, ∂y/∂py = Σ ±wx·value; summed over channels against g.
      const along = (pick: (k: (typeof corners)[number]) => [string, number]) =>
        ctx.op('Sum', corners.map((k) => {
          const [w, sign] = pick(k);
          return ctx.op('Mul', [k.c.value, ctx.op('Mul', [w, ctx.scalar(sign, x)])]);
        }));
      const dPx = ctx.reduceSum(ctx.op('Mul', [flatG, along((k) => [k.wy, k.sx])]), [1], false);
      const dPy = ctx.reduceSum(ctx.op('Mul', [flatG, along((k) => [k.wx, k.sy])]), [1], false);
      const back = (d: string, a: Axis) => ctx.unsqueeze(ctx.op('Reshape', [ctx.op('Mul', [d, a.scale]), ctx.op('Slice', [ctx.shape(grid), ctx.ints([0]), ctx.ints([3])])]), [3]);
      gGrid = ctx.op('Concat', [back(dPx, ax), back(dPy, ay)], { axis: 3n });
    }
    return [gx, gGrid];
  },
};
