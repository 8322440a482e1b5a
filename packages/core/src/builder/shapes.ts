/**
 * Cheap shape rules the builder uses to track ranks and dimensions, and to reject wrong axes and
 * incompatible shapes before a model is ever built. Unknown stays unknown: `undefined` for an
 * unknown rank, `null` for an unknown dimension.
 */
import { MechintError } from '../errors.js';
import type { Dim } from '../onnx/types.js';

/** A tracked shape: dimensions, or `undefined` when the rank is unknown. @example `['n', 3, null]` */
export type Shape = readonly Dim[] | undefined;

/**
 * The axis `axis` of a rank-`rank` tensor counted from the front. Throws `INVALID_ARGUMENT` when
 * it is not an integer in `[-rank, rank)`; with an unknown rank it is returned as given.
 *
 * @example `normalizeAxis(-1, 3, 'softmax') === 2`
 */
export function normalizeAxis(axis: number, rank: number | undefined, what: string): number {
  if (!Number.isInteger(axis)) throw new MechintError('INVALID_ARGUMENT', `${what}: axis must be an integer; got ${axis}.`);
  if (rank === undefined) return axis;
  if (axis < -rank || axis >= rank) {
    throw new MechintError('INVALID_ARGUMENT', `${what}: axis ${axis} does not exist in a rank-${rank} tensor; use an axis in [${-rank}, ${rank - 1}].`, {
      details: { axis, rank },
    });
  }
  return axis < 0 ? axis + rank : axis;
}

/** Normalized, duplicate-free axes; throws `INVALID_ARGUMENT` for a repeated axis. @example `normalizeAxes([0, -1], 3, 'sum')` is `[0, 2]` */
export function normalizeAxes(axes: readonly number[], rank: number | undefined, what: string): number[] {
  const out = axes.map((a) => normalizeAxis(a, rank, what));
  if (new Set(out).size !== out.length) throw new MechintError('INVALID_ARGUMENT', `${what}: axes [${axes.join(', ')}] repeat an axis.`);
  return out;
}

/**
 * The numpy-broadcast shape of `shapes`. Throws `SHAPE_MISMATCH` when two known dimensions
 * differ and neither is 1.
 *
 * @example `broadcastShapes([['n', 1], [3]], 'add')` is `['n', 3]`
 */
export function broadcastShapes(shapes: readonly Shape[], what: string): Shape {
  if (shapes.some((s) => s === undefined)) return undefined;
  const known = shapes as readonly (readonly Dim[])[];
  const rank = Math.max(0, ...known.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const dims = known.map((s) => (i < rank - s.length ? 1 : s[i - (rank - s.length)]!)).filter((d) => d !== 1);
    const numbers = [...new Set(dims.filter((d): d is number => typeof d === 'number'))];
    if (numbers.length > 1) {
      throw new MechintError('SHAPE_MISMATCH', `${what}: shapes ${known.map(formatShape).join(' and ')} do not broadcast (axis ${i - rank} has sizes ${numbers.join(' and ')}).`, {
        details: { shapes: known },
      });
    }
    const names = [...new Set(dims)];
    out.push(numbers[0] ?? (dims.length === 0 ? 1 : names.length === 1 ? names[0]! : null));
  }
  return out;
}

/** Two dimensions that must be equal: the known one, or `null`; throws when both are known and differ. @example `sameDim('n', 4, 'concat') === 4` */
export function sameDim(a: Dim | undefined, b: Dim | undefined, what: string): Dim {
  if (typeof a === 'number' && typeof b === 'number' && a !== b) throw new MechintError('SHAPE_MISMATCH', `${what}: sizes ${a} and ${b} must be equal.`);
  if (a === undefined || a === null) return b ?? null;
  if (b === undefined || b === null) return a;
  return typeof a === 'number' ? a : typeof b === 'number' ? b : a === b ? a : null;
}

/** The product of dimensions, or `null` unless all are numbers. @example `dimProduct([2, 3]) === 6` */
export function dimProduct(dims: readonly Dim[]): Dim {
  let n = 1;
  for (const d of dims) {
    if (typeof d !== 'number') return null;
    n *= d;
  }
  return n;
}

/** Text of a shape for messages. @example `formatShape([2, 'n', null]) === '[2, n, ?]'` */
export function formatShape(shape: Shape): string {
  return shape === undefined ? '[?]' : `[${shape.map((d) => d ?? '?').join(', ')}]`;
}

/** The shape of `MatMul(a, b)` (numpy `matmul`); throws `SHAPE_MISMATCH` for a known contraction mismatch. @example `matmulShape(['n', 3], [3, 4])` is `['n', 4]` */
export function matmulShape(a: Shape, b: Shape): Shape {
  if (a === undefined || b === undefined) return undefined;
  if (a.length === 0 || b.length === 0) throw new MechintError('SHAPE_MISMATCH', 'matmul: operands must have rank ≥ 1; use mul for scalars.');
  const left = a.length === 1 ? [1, a[0]!] : a;
  const right = b.length === 1 ? [b[0]!, 1] : b;
  const k1 = left[left.length - 1]!;
  const k2 = right[right.length - 2]!;
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
    throw new MechintError('SHAPE_MISMATCH', `matmul: ${formatShape(a)} × ${formatShape(b)} contracts ${k1} with ${k2}.`, { details: { a, b } });
  }
  const batch = broadcastShapes([left.slice(0, -2), right.slice(0, -2)], 'matmul batch dimensions')!;
  const out = [...batch];
  if (a.length > 1) out.push(left[left.length - 2]!);
  if (b.length > 1) out.push(right[right.length - 1]!);
  return out;
}

/** The shape left by reducing the normalized `axes` (all when `undefined`) of `shape`. @example `reducedShape([2, 3], [1], false)` is `[2]` */
export function reducedShape(shape: Shape, axes: readonly number[] | undefined, keepdims: boolean): Shape {
  if (shape === undefined) return undefined;
  if (axes !== undefined && axes.some((a) => a < 0)) return undefined;
  const reduced = new Set(axes ?? shape.map((_, i) => i));
  return keepdims ? shape.map((d, i) => (reduced.has(i) ? 1 : d)) : shape.filter((_, i) => !reduced.has(i));
}

/**
 * Number of elements ONNX `Slice` takes from an axis of size `n`: negative indices count from the
 * end, then starts clamp to `[0, n]` (`[0, n - 1]` for a negative step) and ends to `[0, n]`
 * (`[-1, n - 1]` for a negative step).
 *
 * @example `sliceLength(5, -1, -6, -1) === 5`
 */
export function sliceLength(n: number, start: number, end: number, step: number): number {
  const clampTo = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const resolve = (v: number) => (v < 0 ? v + n : v);
  if (step > 0) {
    const s = clampTo(resolve(start), 0, n);
    const e = clampTo(resolve(end), 0, n);
    return Math.max(0, Math.ceil((e - s) / step));
  }
  const s = clampTo(resolve(start), 0, n - 1);
  const e = clampTo(resolve(end), -1, n - 1);
  return Math.max(0, Math.ceil((e - s) / step));
}
