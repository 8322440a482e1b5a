/**
 * Linear algebra: `MatMul`, `Gemm`, `Einsum`.
 */
import { MechintError } from '../errors.js';
import type { Dim } from '../onnx/types.js';
import type { DType } from '../tensor/dtype.js';
import { float, type Attributes } from './attributes.js';
import { LogicOps } from './logic.js';
import { broadcastShapes, formatShape, matmulShape, sameDim, type Shape } from './shapes.js';
import type { Operand, Value } from './value.js';

/** Options of `GraphBuilder.gemm`, with ONNX's defaults. @example `g.gemm(x, w, b, { transB: true, alpha: 0.5 })` */
export interface GemmOptions {
  /** Scale of `A·B`. Defaults to 1. */
  alpha?: number;
  /** Scale of `C`. Defaults to 1. */
  beta?: number;
  /** Use `Aᵀ`. Defaults to false. */
  transA?: boolean;
  /** Use `Bᵀ`. Defaults to false. */
  transB?: boolean;
}

/** @internal Linear-algebra operators of `GraphBuilder`. @example `new GraphBuilder().matmul` */
export abstract class LinalgOps extends LogicOps {
  /**
   * The matrix product with numpy `matmul` semantics: batch dimensions broadcast, a rank-1
   * operand is a vector. Throws `SHAPE_MISMATCH` when known inner sizes differ.
   *
   * @example `g.matmul(x, g.transpose(x))` (the Gram matrix of the rows of `x`)
   */
  matmul<D extends DType>(a: Operand<D>, b: Operand<D>): Value<D> {
    const [x, y] = this.unify([a, b], 'matmul') as [Value<D>, Value<D>];
    return this.emit1('MatMul', [x, y], x.dtype, matmulShape(x.shape, y.shape));
  }

  /**
   * `alpha · op(A) · op(B) + beta · C` for rank-2 `A` and `B` (`op` transposes when asked), `C`
   * broadcast to the result; `C` may be left out.
   *
   * @example `g.gemm(x, w, b, { transB: true })` (a linear layer with PyTorch's weight layout)
   */
  gemm<D extends DType>(a: Operand<D>, b: Operand<D>, c?: Operand<D>, options: GemmOptions = {}): Value<D> {
    const values = this.unify(c === undefined ? [a, b] : [a, b, c], 'gemm') as Value<D>[];
    const [x, y, z] = values as [Value<D>, Value<D>, Value<D> | undefined];
    for (const v of [x, y]) {
      if (v.rank !== undefined && v.rank !== 2) throw new MechintError('SHAPE_MISMATCH', `gemm takes rank-2 A and B; '${v.name}' is ${formatShape(v.shape)}. Use matmul for batches.`);
    }
    let shape: Shape;
    if (x.shape !== undefined && y.shape !== undefined) {
      const [m, k1] = options.transA === true ? [x.shape[1]!, x.shape[0]!] : [x.shape[0]!, x.shape[1]!];
      const [k2, n] = options.transB === true ? [y.shape[1]!, y.shape[0]!] : [y.shape[0]!, y.shape[1]!];
      sameDim(k1, k2, `gemm: inner sizes of ${formatShape(x.shape)} and ${formatShape(y.shape)}`);
      shape = [m, n];
      if (z !== undefined) broadcastShapes([z.shape, shape], 'gemm C');
    }
    const attributes: Attributes = {
      alpha: options.alpha === undefined ? undefined : float(options.alpha),
      beta: options.beta === undefined ? undefined : float(options.beta),
      transA: options.transA,
      transB: options.transB,
    };
    return this.emit1('Gemm', z === undefined ? [x, y] : [x, y, z], x.dtype, shape, attributes);
  }

  /**
   * Einstein summation over one or more operands of one dtype, as `numpy.einsum`
   * (`'ij,kj->ik'`; an equation without `->` sums the repeated letters and keeps the rest in
   * alphabetical order).
   *
   * @example `g.einsum('nd,md->nm', x, y)` (all pairwise dot products)
   */
  einsum<D extends DType>(equation: string, ...operands: Operand<D>[]): Value<D> {
    const values = this.unify(operands, 'einsum') as Value<D>[];
    return this.emit1('Einsum', values, values[0]!.dtype, einsumShape(equation, values), { equation: equation.replace(/\s+/g, '') });
  }
}

function einsumShape(equation: string, values: readonly Value[]): Shape {
  const compact = equation.replace(/\s+/g, '');
  const [lhs, rhs] = compact.split('->') as [string, string | undefined];
  const terms = lhs.split(',');
  if (terms.length !== values.length) {
    throw new MechintError('INVALID_ARGUMENT', `einsum: '${equation}' names ${terms.length} operands but ${values.length} were given.`);
  }
  if (compact.includes('.')) return undefined;
  const dims = new Map<string, Dim>();
  const counts = new Map<string, number>();
  terms.forEach((term, i) => {
    const shape = values[i]!.shape;
    if (shape !== undefined && shape.length !== term.length) {
      throw new MechintError('SHAPE_MISMATCH', `einsum: term '${term}' has ${term.length} letters but operand ${i} is ${formatShape(shape)}.`);
    }
    [...term].forEach((letter, axis) => {
      counts.set(letter, (counts.get(letter) ?? 0) + 1);
      const d = shape === undefined ? null : shape[axis]!;
      dims.set(letter, dims.has(letter) ? sameDim(dims.get(letter)!, d, `einsum: letter '${letter}'`) : d);
    });
  });
  const output = rhs ?? [...counts].filter(([, n]) => n === 1).map(([l]) => l).sort().join('');
  if (values.some((v) => v.shape === undefined)) return [...output].map(() => null);
  return [...output].map((letter) => {
    if (!dims.has(letter)) throw new MechintError('INVALID_ARGUMENT', `einsum: output letter '${letter}' of '${equation}' appears in no input.`);
    return dims.get(letter)!;
  });
}
