/**
 * Gradient rules of operators that move elements around: reshapes, transposes, concatenation,
 * splitting, slicing, gathering, padding.
 */
import type { GradContext, GradRule } from '../context.js';

const reshapeBack: GradRule = (ctx) => [ctx.needs(0) ? ctx.op('Reshape', [ctx.grad(0)!, ctx.shape(ctx.input(0))]) : undefined];

/**
 * Scatters `g` back to the elements of `data` that `select` picked: `select` maps a tensor of
 * `data`'s flat indices through the forward operator, so any indexing pattern (steps, negative
 * indices, padding) is undone exactly; repeated picks accumulate.
 */
export function scatterThrough(ctx: GradContext, data: string, g: string, select: (indices: string) => string): string {
  const shape = ctx.shape(data);
  const size = ctx.op('Size', [data]);
  const flat = ctx.op('Range', [ctx.int(0), size, ctx.int(1)]);
  const picked = ctx.op('Reshape', [select(ctx.op('Reshape', [flat, shape])), ctx.ints([-1])]);
  const zeros = ctx.op('Reshape', [ctx.zerosLike(data), ctx.ints([-1])]);
  const summed = ctx.op('ScatterElements', [zeros, picked, ctx.op('Reshape', [g, ctx.ints([-1])])], { reduction: 'add' });
  return ctx.op('Reshape', [summed, shape]);
}

/**
 * `Range(start, limit, delta)` yields `start + i·delta` for i < n: ∂/∂start = Σ g, ∂/∂delta = Σ i·g,
 * and the limit only moves the (integer) count, so its derivative is zero. An integer `Range` (positions,
 * indices) passes no gradient.
 */
const rangeBack: GradRule = (ctx) => {
  const g = ctx.grad(0);
  const dtype = ctx.dtypeOf(ctx.output(0));
  if (g === undefined || (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'float16')) return [undefined, undefined, undefined];
  if (dtype === 'float16' && (ctx.needs(0) || ctx.needs(2))) ctx.unsupported('a float16 Range on the gradient path (export it in float32)');
  const index = () => ctx.op('Range', [ctx.scalar(0, g), ctx.castLike(ctx.op('Size', [g]), g), ctx.scalar(1, g)]);
  return [
    ctx.needs(0) ? ctx.reduceSum(g, undefined, false) : undefined,
    ctx.needs(1) ? ctx.scalar(0, g) : undefined,
    ctx.needs(2) ? ctx.reduceSum(ctx.op('Mul', [g, index()]), undefined, false) : undefined,
  ];
};

/** Rules by operator type. */
export const SHAPE_RULES: Readonly<Record<string, GradRule>> = {
  Range: rangeBack,
  Reshape: reshapeBack,
  Flatten: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  Transpose: (ctx) => {
    const perm = ctx.attrInts('perm');
    if (perm === undefined) return [ctx.op('Transpose', [ctx.grad(0)!])];
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [ctx.op('Transpose', [ctx.grad(0)!], { perm: inverse.map(BigInt) })];
  },
  Concat: (ctx) => {
    const axis = ctx.attrInt('axis', 0);
    const sizes = ctx.op('Concat', ctx.node.input.map((x) => ctx.op('Gather', [ctx.shape(x), ctx.ints([axis])])), { axis: 0n });
    const parts = ctx.ops('Split', [ctx.grad(0)!, sizes], { axis: BigInt(axis) }, ctx.node.input.length);
    return parts.map((p, i) => (ctx.needs(i) ? p : undefined));
  },
  Split: (ctx) => {
    const axis = ctx.attrInt('axis', 0);
    const grads = ctx.node.output.map((_, i) => ctx.gradOrZeros(i));
    return [ctx.op('Concat', grads, { axis: BigInt(axis) })];
  },
  Tile: (ctx) => [ctx.needs(0) ? scatterThrough(ctx, ctx.input(0), ctx.grad(0)!, (idx) => ctx.op('Tile', [idx, ctx.input(1)])) : undefined, undefined],
  Slice: (ctx) => [scatterThrough(ctx, ctx.input(0), ctx.grad(0)!, (idx) => ctx.op('Slice', [idx, ...ctx.node.input.slice(1)]))],
  Gather: (ctx) => {
    if (!ctx.needs(0)) return [undefined, undefined];
    const axis = ctx.attrInt('axis', 0);
    const [data, indices] = [ctx.input(0), ctx.input(1)];
    if (axis === 0) {
      const updates = ctx.op('ScatterND', [ctx.zerosLike(data), ctx.unsqueeze(indices, [-1]), ctx.grad(0)!], { reduction: 'add' });
      return [updates, undefined];
    }
    return [scatterThrough(ctx, data, ctx.grad(0)!, (idx) => ctx.op('Gather', [idx, indices], { axis: BigInt(axis) })), undefined];
  },
  GatherElements: (ctx) => {
    const [data, indices] = [ctx.input(0), ctx.input(1)];
    return [ctx.op('ScatterElements', [ctx.zerosLike(data), indices, ctx.grad(0)!], { axis: BigInt(ctx.attrInt('axis', 0)), reduction: 'add' }), undefined];
  },
  Pad: (ctx) => {
    const data = ctx.input(0);
    const g = ctx.grad(0)!;
    if (ctx.attrString('mode', 'constant') !== 'constant') {
      // reflect / edge / wrap copy input elements: pad the flat element indices the same way and add g back where each came from
      const shape = ctx.shape(data);
      const flat = ctx.op('Reshape', [ctx.op('Range', [ctx.int(0), ctx.op('Size', [data]), ctx.int(1)]), shape]);
      const source = ctx.op('Reshape', [ctx.replay([flat, ctx.input(1), '', ...ctx.node.input.slice(3)], 1)[0]!, ctx.ints([-1])]);
      const summed = ctx.op('ScatterElements', [ctx.op('Reshape', [ctx.zerosLike(data), ctx.ints([-1])]), source, ctx.op('Reshape', [g, ctx.ints([-1])])], { reduction: 'add' });
      return [ctx.op('Reshape', [summed, shape])];
    }
    const pads = ctx.constantInts(ctx.input(1));
    const onlyData = !ctx.needs(2) && (ctx.node.input[3] ?? '') === '';
    if (pads !== undefined && pads.every((p) => p >= 0) && onlyData) {
      const rank = pads.length / 2;
      const ends = ctx.op('Sub', [ctx.shape(g), ctx.ints(pads.slice(rank))]);
      return [ctx.op('Slice', [g, ctx.ints(pads.slice(0, rank)), ends])];
    }
    const shape = ctx.shape(data);
    const size = ctx.op('Size', [data]);
    const flat = ctx.op('Range', [ctx.int(0), size, ctx.int(1)]);
    const padded = ctx.op('Pad', [ctx.op('Reshape', [flat, shape]), ctx.input(1), ctx.int(-1), ...ctx.node.input.slice(3)]);
    const inside = ctx.op('GreaterOrEqual', [padded, ctx.int(0)]);
    const target = ctx.op('Reshape', [ctx.op('Where', [inside, padded, ctx.int(0)]), ctx.ints([-1])]);
    const updates = ctx.op('Reshape', [ctx.op('Where', [inside, g, ctx.scalar(0, g)]), ctx.ints([-1])]);
    const summed = ctx.op('ScatterElements', [ctx.op('Reshape', [ctx.zerosLike(data), ctx.ints([-1])]), target, updates], { reduction: 'add' });
    // The constant value fills every element outside the data: it gets their gradients' sum.
    const value = ctx.input(2);
    const gValue = value !== '' && ctx.needs(2) ? ctx.op('Reshape', [ctx.reduceSum(ctx.op('Where', [inside, ctx.scalar(0, g), g]), undefined, false), ctx.shape(value)]) : undefined;
    return [ctx.op('Reshape', [summed, shape]), undefined, gValue];
  },
  TopK: (ctx) => {
    const g = ctx.grad(0);
    if (g === undefined) return [undefined];
    const x = ctx.input(0);
    return [ctx.op('ScatterElements', [ctx.zerosLike(x), ctx.output(1), g], { axis: BigInt(ctx.attrInt('axis', -1)), reduction: 'add' })];
  },
};
