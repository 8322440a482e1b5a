/**
 * Elementwise operators: arithmetic with numpy broadcasting, unary math, `min` / `max` / `clip`.
 */
import { MechintError } from '../errors.js';
import type { DType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { BuilderCore } from './core.js';
import { broadcastShapes } from './shapes.js';
import { Value, type Operand } from './value.js';

/** Options of `GraphBuilder.clip`: bounds as numbers (of `x`'s dtype) or rank-0 values; a missing bound is open. @example `g.clip(x, { min: 0 })` */
export interface ClipOptions {
  /** Lower bound (none when left out). */
  min?: Operand;
  /** Upper bound (none when left out). */
  max?: Operand;
}

/** @internal Elementwise operators of `GraphBuilder`. @example `new GraphBuilder().add` */
export abstract class ElementwiseOps extends BuilderCore {
  /** `a + b` with numpy broadcasting. @example `g.add(x, 1)` */
  add<D extends DType>(a: Operand<D>, b: Operand<D>): Value<D> {
    return this.binary('Add', a, b);
  }

  /** `a - b` with numpy broadcasting. @example `g.sub(1, x)` */
  sub<D extends DType>(a: Operand<D>, b: Operand<D>): Value<D> {
    return this.binary('Sub', a, b);
  }

  /** `a * b` with numpy broadcasting. @example `g.mul(x, 2)` */
  mul<D extends DType>(a: Operand<D>, b: Operand<D>): Value<D> {
    return this.binary('Mul', a, b);
  }

  /** `a / b` with numpy broadcasting (integer division truncates, as in C). @example `g.div(x, g.reduceSum(x))` */
  div<D extends DType>(a: Operand<D>, b: Operand<D>): Value<D> {
    return this.binary('Div', a, b);
  }

  /**
   * `base ** exponent` with numpy broadcasting. The exponent may have another numeric dtype than
   * the base (ONNX `Pow` allows it); a plain-number exponent takes the base's dtype.
   *
   * @example `g.pow(x, 2)`
   */
  pow<D extends DType>(base: Operand<D>, exponent: Operand): Value<D> {
    const anchor = base instanceof Value || base instanceof Tensor ? base : exponent;
    if (!(anchor instanceof Value || anchor instanceof Tensor)) {
      throw new MechintError('INVALID_ARGUMENT', 'pow: base or exponent must be a Value or a Tensor; for two numbers use g.scalar(base ** exponent, dtype).');
    }
    const b = this.value(base, anchor.dtype as D);
    const e = this.value(exponent, b.dtype);
    return this.emit1('Pow', [b, e], b.dtype, broadcastShapes([b.shape, e.shape], 'pow'));
  }

  /** The elementwise minimum of one or more operands, with broadcasting. @example `g.min(x, 0)` */
  min<D extends DType>(...operands: Operand<D>[]): Value<D> {
    return this.variadic('Min', operands);
  }

  /** The elementwise maximum of one or more operands, with broadcasting. @example `g.max(x, y, 0)` */
  max<D extends DType>(...operands: Operand<D>[]): Value<D> {
    return this.variadic('Max', operands);
  }

  /** `x` limited to `[min, max]`; either bound may be left out. @example `g.clip(x, { min: 0, max: 6 })` */
  clip<D extends DType>(x: Value<D>, options: ClipOptions = {}): Value<D> {
    this.own([x], 'clip');
    const bound = (b: Operand | undefined, which: string): Value | null => {
      if (b === undefined) return null;
      const v = this.unify([x, b as Operand<D>], `clip ${which}`)[1]!;
      if (v.rank !== undefined && v.rank !== 0) throw new MechintError('SHAPE_MISMATCH', `clip: ${which} must be a scalar (rank 0); '${v.name}' has rank ${v.rank}.`);
      return v;
    };
    const lo = bound(options.min, 'min');
    const hi = bound(options.max, 'max');
    return this.emit1('Clip', hi === null ? (lo === null ? [x] : [x, lo]) : [x, lo, hi], x.dtype, x.shape);
  }

  /** `-x`. @example `g.neg(x)` */
  neg<D extends DType>(x: Value<D>): Value<D> {
    return this.unary('Neg', x);
  }

  /** `|x|`. @example `g.abs(x)` */
  abs<D extends DType>(x: Value<D>): Value<D> {
    return this.unary('Abs', x);
  }

  /** `e^x` (floats). @example `g.exp(x)` */
  exp<D extends DType>(x: Value<D>): Value<D> {
    return this.unary('Exp', x, true);
  }

  /** Natural logarithm (floats). @example `g.log(x)` */
  log<D extends DType>(x: Value<D>): Value<D> {
    return this.unary('Log', x, true);
  }

  /** Square root (floats). @example `g.sqrt(x)` */
  sqrt<D extends DType>(x: Value<D>): Value<D> {
    return this.unary('Sqrt', x, true);
  }

  /** `1 / x` (floats). @example `g.reciprocal(x)` */
  reciprocal<D extends DType>(x: Value<D>): Value<D> {
    return this.unary('Reciprocal', x, true);
  }

  /** Sine (floats). @example `g.sin(x)` */
  sin<D extends DType>(x: Value<D>): Value<D> {
    return this.unary('Sin', x, true);
  }

  /** Cosine (floats). @example `g.cos(x)` */
  cos<D extends DType>(x: Value<D>): Value<D> {
    return this.unary('Cos', x, true);
  }

  /** Hyperbolic tangent (floats). @example `g.tanh(x)` */
  tanh<D extends DType>(x: Value<D>): Value<D> {
    return this.unary('Tanh', x, true);
  }

  /** Logistic sigmoid `1 / (1 + e^-x)` (floats). @example `g.sigmoid(x)` */
  sigmoid<D extends DType>(x: Value<D>): Value<D> {
    return this.unary('Sigmoid', x, true);
  }

  /** `max(x, 0)`. @example `g.relu(x)` */
  relu<D extends DType>(x: Value<D>): Value<D> {
    return this.unary('Relu', x);
  }

  /** The Gauss error function. @example `g.erf(x)` */
  erf<D extends DType>(x: Value<D>): Value<D> {
    return this.unary('Erf', x);
  }

  /** Round down (floats). @example `g.floor(x)` */
  floor<D extends DType>(x: Value<D>): Value<D> {
    return this.unary('Floor', x, true);
  }

  /** Round up (floats). @example `g.ceil(x)` */
  ceil<D extends DType>(x: Value<D>): Value<D> {
    return this.unary('Ceil', x, true);
  }

  /** -1, 0 or 1 by the sign of `x`. @example `g.sign(x)` */
  sign<D extends DType>(x: Value<D>): Value<D> {
    return this.unary('Sign', x);
  }

  /** A broadcasting two-operand node whose output has the operands' dtype. @internal */
  protected binary<D extends DType>(opType: string, a: Operand<D>, b: Operand<D>): Value<D> {
    const [x, y] = this.unify([a, b], opType) as [Value<D>, Value<D>];
    return this.emit1(opType, [x, y], x.dtype, broadcastShapes([x.shape, y.shape], opType));
  }

  private variadic<D extends DType>(opType: string, operands: readonly Operand<D>[]): Value<D> {
    if (operands.length === 0) throw new MechintError('INVALID_ARGUMENT', `${opType.toLowerCase()} needs at least one operand.`);
    const values = this.unify(operands, opType);
    return this.emit1(opType, values, values[0]!.dtype, broadcastShapes(values.map((v) => v.shape), opType));
  }

  private unary<D extends DType>(opType: string, x: Value<D>, floatsOnly = false): Value<D> {
    this.own([x], opType);
    if (floatsOnly) this.requireFloat(x, opType);
    return this.emit1(opType, [x], x.dtype, x.shape);
  }
}
