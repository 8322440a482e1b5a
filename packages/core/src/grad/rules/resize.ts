/**
 * The gradient rule of `Resize` (every mode, coordinate transformation and nearest mode):
 * Resize is linear in its data and separable, `y = (A₀ ⊗ A₁ ⊗ …) x`, so the gradient applies
 * each `A_dᵀ`. Each `A_d` is read off the operator itself: the same Resize (same attributes, the
 * axis' own scale or size, scale 1 elsewhere) applied to an identity matrix.
 */
import { Tensor } from '../../tensor/tensor.js';
import type { GradContext, GradRule } from '../context.js';

/** Rules by operator type. */
export const RESIZE_RULES: Readonly<Record<string, GradRule>> = {
  Resize: (ctx) => {
    if (ctx.needs(1) || ctx.needs(2)) ctx.unsupported('gradients with respect to roi or scales; differentiate with respect to the data (input 0)');
    if (!ctx.needs(0)) return [];
    if (ctx.opset < 11) ctx.unsupported(`opset ${ctx.opset} Resize; gradients upgrade models to opset 13 first, so build the gradient through gradients()`);
    if (ctx.attrString('keep_aspect_ratio_policy', 'stretch') !== 'stretch') ctx.unsupported('keep_aspect_ratio_policy other than stretch (the scale of one axis then depends on the others)');
    const x = ctx.input(0);
    const listedAxes = ctx.attrInts('axes');
    const found = ctx.rankOf(x) ?? (listedAxes === undefined ? ctx.shapeOf(ctx.input(3) === '' ? ctx.input(2) : ctx.input(3))?.[0] : undefined);
    const rank = typeof found === 'number' ? found : ctx.unsupported('the rank of the data is unknown; pass shapes (HookedModel does) or give scales / sizes as constants');
    const listed = listedAxes?.map((a) => (a < 0 ? a + rank : a));
    const axes = listed ?? Array.from({ length: rank }, (_, d) => d);
    let g = ctx.grad(0)!;
    axes.forEach((axis, k) => {
      g = applyTransposed(ctx, g, axis, rank, interpolationMatrix(ctx, axis, k, axes.length));
    });
    return [g];
  },
};

/**
 * `A_dᵀ` as an `[in_d, out_d]` matrix: the node's Resize applied, along one axis, to the identity
 * `I_{in_d}` laid out as `[1, 1, in_d, in_d]` (linear and cubic modes accept 4-D data whose two
 * outer scales are 1; scale 1 on the other inner axis is exactly the identity in every transform).
 */
function interpolationMatrix(ctx: GradContext, axis: number, k: number, count: number): string {
  const x = ctx.input(0);
  const [roi, scales, sizes] = [ctx.input(1), ctx.input(2), ctx.input(3)];
  const n = ctx.op('Slice', [ctx.shape(x), ctx.ints([axis]), ctx.ints([axis + 1])]);
  const zeros = ctx.op('ConstantOfShape', [ctx.op('Concat', [n, n], { axis: 0n })], { value: zeroOf(ctx) });
  const identity = ctx.unsqueeze(ctx.op('EyeLike', [zeros]), [0, 1]);
  const pick = (v: string) => ctx.op('Slice', [v, ctx.ints([k]), ctx.ints([k + 1])]);
  const cropping = ctx.attrString('coordinate_transformation_mode', 'half_pixel') === 'tf_crop_and_resize';
  const floats = (values: number[], like: string) => ctx.castLike(ctx.constant(Tensor.from(new Float32Array(values), [values.length])), like);
  const roi4 = cropping ? ctx.op('Concat', [floats([0, 0, 0], roi), pick(roi), floats([1, 1, 1], roi), ctx.op('Slice', [roi, ctx.ints([count + k]), ctx.ints([count + k + 1])])], { axis: 0n }) : '';
  const bySize = sizes !== '';
  const scales4 = bySize ? '' : ctx.op('Concat', [floats([1, 1, 1], scales), pick(scales)], { axis: 0n });
  const sizes4 = bySize ? ctx.op('Concat', [ctx.ints([1, 1]), n, pick(sizes)], { axis: 0n }) : '';
  // Outside the crop window the output is extrapolation_value, a constant: it carries no gradient.
  const [resized] = ctx.replay([identity, roi4, scales4, sizes4], 1, { axes: undefined, ...(cropping ? { extrapolation_value: { kind: 'float', value: 0 } } : {}) });
  return ctx.op('Squeeze', [resized!, ctx.ints([0, 1])]);
}

/** `g` (axis `axis` of length out_d) contracted with `matrix` `[in_d, out_d]` along that axis. */
function applyTransposed(ctx: GradContext, g: string, axis: number, rank: number, matrix: string): string {
  const perm = Array.from({ length: rank }, (_, d) => d).filter((d) => d !== axis).concat(axis);
  const inverse = perm.map((_, d) => perm.indexOf(d));
  const last = ctx.op('MatMul', [ctx.op('Transpose', [g], { perm: perm.map(BigInt) }), ctx.op('Transpose', [matrix], { perm: [1n, 0n] })]);
  return ctx.op('Transpose', [last], { perm: inverse.map(BigInt) });
}

function zeroOf(ctx: GradContext): Tensor {
  const dtype = ctx.dtypeOf(ctx.input(0));
  return dtype === 'float64' ? Tensor.from(new Float64Array([0]), [1]) : Tensor.from(new Float32Array([0]), [1]);
}
