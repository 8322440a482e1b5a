/**
 * Gradient rules of indexing and rearranging operators: CumSum, GatherND, ScatterND,
 * ScatterElements, CenterCropPad, MaxUnpool, AffineGrid, Trilu, DepthToSpace, SpaceToDepth, ReverseSequence,
 * Compress.
 */
import { Tensor } from '../../tensor/tensor.js';
import type { GradContext, GradRule } from '../context.js';
import { scatterThrough } from './shape.js';

/** Refuses scatter reductions other than `none` (the gradient of max / min / mul scatters depends on ties and order). */
function plainScatter(ctx: GradContext): void {
  const reduction = ctx.attrString('reduction', 'none');
  if (reduction !== 'none') ctx.unsupported(`reduction='${reduction}' (only 'none' is differentiated)`);
}

/** Rules by operator type. */
export const INDEXING_RULES: Readonly<Record<string, GradRule>> = {
  /** The adjoint of a cumulative sum is the cumulative sum in the other direction (exclusive stays exclusive). */
  CumSum: (ctx) => [ctx.replay([ctx.grad(0)!, ctx.input(1)], 1, { reverse: BigInt(1 - ctx.attrInt('reverse', 0)) })[0], undefined],
  GatherND: (ctx) => [scatterThrough(ctx, ctx.input(0), ctx.grad(0)!, (idx) => ctx.replay([idx, ctx.input(1)], 1)[0]!), undefined],
  /** data gets the gradient where no update landed; updates get the gradient at their targets. */
  ScatterND: (ctx) => {
    plainScatter(ctx);
    const g = ctx.grad(0)!;
    const [indices, updates] = [ctx.input(1), ctx.input(2)];
    const gData = ctx.needs(0) ? ctx.replay([g, indices, ctx.zerosLike(updates)], 1)[0] : undefined;
    return [gData, undefined, ctx.needs(2) ? ctx.op('GatherND', [g, indices]) : undefined];
  },
  ScatterElements: (ctx) => {
    plainScatter(ctx);
    const g = ctx.grad(0)!;
    const [indices, updates] = [ctx.input(1), ctx.input(2)];
    const gData = ctx.needs(0) ? ctx.replay([g, indices, ctx.zerosLike(updates)], 1)[0] : undefined;
    return [gData, undefined, ctx.needs(2) ? ctx.op('GatherElements', [g, indices], { axis: BigInt(ctx.attrInt('axis', 0)) }) : undefined];
  },
  /**
   * Cropping picks elements, padding adds zeros: the operator replays on `data`'s flat indices
   * shifted by one (so the zero padding marks elements that came from nowhere), and the gradient of
   * every picked element is scattered back.
   */
  CenterCropPad: (ctx) => {
    const data = ctx.input(0);
    const g = ctx.grad(0)!;
    const shape = ctx.shape(data);
    const shifted = ctx.op('Reshape', [ctx.op('Range', [ctx.int(1), ctx.op('Add', [ctx.op('Size', [data]), ctx.int(1)]), ctx.int(1)]), shape]);
    const picked = ctx.op('Reshape', [ctx.replay([shifted, ...ctx.node.input.slice(1)], 1)[0]!, ctx.ints([-1])]);
    const inside = ctx.op('Greater', [picked, ctx.int(0)]);
    const target = ctx.op('Where', [inside, ctx.op('Sub', [picked, ctx.int(1)]), ctx.int(0)]);
    const updates = ctx.op('Where', [inside, ctx.op('Reshape', [g, ctx.ints([-1])]), ctx.scalar(0, g)]);
    const summed = ctx.op('ScatterElements', [ctx.op('Reshape', [ctx.zerosLike(data), ctx.ints([-1])]), target, updates], { reduction: 'add' });
    return [ctx.op('Reshape', [summed, shape]), undefined];
  },
  /** Each input element was written to the flat output index its `indices` entry names: read it back there. */
  MaxUnpool: (ctx) => {
    const flat = ctx.op('Gather', [ctx.op('Reshape', [ctx.grad(0)!, ctx.ints([-1])]), ctx.op('Reshape', [ctx.input(1), ctx.ints([-1])])]);
    return [ctx.op('Reshape', [flat, ctx.shape(ctx.input(0))]), undefined];
  },
  /**
   * grid[n, p] = θ[n]·[coords(p), 1], linear in θ: ∂L/∂θ[n] = Σₚ g[n, p] ⊗ [coords(p), 1], the
   * coordinates being the operator's own grid for the identity transform.
   */
  AffineGrid: (ctx) => {
    const theta = ctx.input(0);
    const rows = ctx.shapeOf(theta)?.[1];
    const gridRank = ctx.rankOf(ctx.output(0));
    const spatial = typeof rows === 'number' ? rows : gridRank !== undefined ? gridRank - 2 : ctx.unsupported('a theta of unknown shape (2-D or 3-D grid?)');
    if (spatial !== 2 && spatial !== 3) ctx.unsupported(`a theta of shape [N, ${spatial}, …]`);
    const eye = Array.from({ length: spatial * (spatial + 1) }, (_, i) => (i % (spatial + 2) === 0 ? 1 : 0));
    const identity = ctx.castLike(ctx.constant(Tensor.from(Float32Array.from(eye), [1, spatial, spatial + 1])), theta);
    const oneItem = ctx.op('Concat', [ctx.ints([1]), ctx.op('Slice', [ctx.input(1), ctx.ints([1]), ctx.ints([spatial + 2])])], { axis: 0n });
    const coords = ctx.op('Reshape', [ctx.replay([identity, oneItem], 1)[0]!, ctx.ints([1, -1, spatial])]);
    const ones = ctx.op('Add', [ctx.zerosLike(ctx.op('Slice', [coords, ctx.ints([0]), ctx.ints([1]), ctx.ints([2])])), ctx.scalar(1, theta)]);
    const homogeneous = ctx.op('Concat', [coords, ones], { axis: 2n });
    const g = ctx.op('Reshape', [ctx.grad(0)!, ctx.op('Concat', [ctx.op('Slice', [ctx.shape(theta), ctx.ints([0]), ctx.ints([1])]), ctx.ints([-1, spatial])], { axis: 0n })]);
    return [ctx.op('MatMul', [ctx.op('Transpose', [g], { perm: [0n, 2n, 1n] }), homogeneous]), undefined];
  },
  /** Keeping a triangle is a mask: the gradient keeps the same triangle. */
  Trilu: (ctx) => [ctx.replay([ctx.grad(0)!, ...ctx.node.input.slice(1)], 1)[0], undefined],
  /** Reversing each sequence's first `len` steps is its own inverse. */
  ReverseSequence: (ctx) => [ctx.replay([ctx.grad(0)!, ctx.input(1)], 1)[0], undefined],
  Compress: (ctx) => [scatterThrough(ctx, ctx.input(0), ctx.grad(0)!, (idx) => ctx.replay([idx, ctx.input(1)], 1)[0]!), undefined],
  /**
   * SpaceToDepth inverts DCR DepthToSpace; CRD differs from DCR by the order of the channels
   * (c·b² + k instead of k·C′ + c), restored by a transpose of `[N, b², C′, H, W]`.
   */
  DepthToSpace: (ctx) => {
    const b = ctx.attrInt('blocksize', 1);
    const dcr = ctx.op('SpaceToDepth', [ctx.grad(0)!], { blocksize: BigInt(b) });
    if (ctx.attrString('mode', 'DCR') === 'DCR') return [dcr];
    const shape = ctx.shape(dcr);
    const blocks = ctx.op('Concat', [ctx.op('Slice', [shape, ctx.ints([0]), ctx.ints([1])]), ctx.ints([b * b, -1]), ctx.op('Slice', [shape, ctx.ints([2]), ctx.ints([4])])], { axis: 0n });
    const split = ctx.op('Reshape', [dcr, blocks]);
    return [ctx.op('Reshape', [ctx.op('Transpose', [split], { perm: [0n, 2n, 1n, 3n, 4n] }), ctx.shape(ctx.input(0))])];
  },
  SpaceToDepth: (ctx) => [ctx.op('DepthToSpace', [ctx.grad(0)!], { blocksize: BigInt(ctx.attrInt('blocksize', 1)), mode: 'DCR' })],
};
