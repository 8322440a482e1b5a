/**
 * Comparisons, boolean logic, `where` and `cast`.
 */
import { check } from '../errors.js';
import { isDType, onnxTypeOf, type DType } from '../tensor/dtype.js';
import { ElementwiseOps } from './elementwise.js';
import { broadcastShapes } from './shapes.js';
import type { Operand, Value } from './value.js';

/** @internal Comparison, logic and type operators of `GraphBuilder`. @example `new GraphBuilder().where` */
export abstract class LogicOps extends ElementwiseOps {
  /** `a == b` elementwise, as `bool`. @example `g.equal(labels, 3n)` */
  equal<D extends DType>(a: Operand<D>, b: Operand<D>): Value<'bool'> {
    return this.compare('Equal', a, b);
  }

  /** `a < b` elementwise, as `bool`. @example `g.less(x, 0)` */
  less<D extends DType>(a: Operand<D>, b: Operand<D>): Value<'bool'> {
    return this.compare('Less', a, b);
  }

  /** `a > b` elementwise, as `bool`. @example `g.greater(x, 0)` */
  greater<D extends DType>(a: Operand<D>, b: Operand<D>): Value<'bool'> {
    return this.compare('Greater', a, b);
  }

  /** `a <= b` elementwise, as `bool`. @example `g.lessOrEqual(x, y)` */
  lessOrEqual<D extends DType>(a: Operand<D>, b: Operand<D>): Value<'bool'> {
    return this.compare('LessOrEqual', a, b);
  }

  /** `a >= b` elementwise, as `bool`. @example `g.greaterOrEqual(x, y)` */
  greaterOrEqual<D extends DType>(a: Operand<D>, b: Operand<D>): Value<'bool'> {
    return this.compare('GreaterOrEqual', a, b);
  }

  /** Logical not of a `bool` value (`DTYPE_MISMATCH` for any other dtype). @example `g.not(g.less(x, 0))` */
  not(x: Value): Value<'bool'> {
    this.own([x], 'Not');
    this.requireDType(x, ['bool'], 'not');
    return this.emit1('Not', [x], 'bool', x.shape);
  }

  /** Logical and of `bool` operands (`DTYPE_MISMATCH` otherwise), with broadcasting. @example `g.and(g.greater(x, 0), g.less(x, 1))` */
  and(a: Operand, b: Operand): Value<'bool'> {
    return this.logical('And', a, b);
  }

  /** Logical or of `bool` operands, with broadcasting. @example `g.or(g.less(x, 0), g.greater(x, 1))` */
  or(a: Operand, b: Operand): Value<'bool'> {
    return this.logical('Or', a, b);
  }

  /** Logical exclusive or of `bool` operands, with broadcasting. @example `g.xor(p, q)` */
  xor(a: Operand, b: Operand): Value<'bool'> {
    return this.logical('Xor', a, b);
  }

  /**
   * `condition ? a : b` elementwise, broadcasting all three. The condition is `bool`; `a` and `b`
   * share a dtype, and plain numbers take the other branch's dtype.
   *
   * @example `g.where(g.greater(x, 0), x, 0)` (a ReLU)
   */
  where<D extends DType>(condition: Value, a: Operand<D>, b: Operand<D>): Value<D> {
    this.own([condition], 'Where');
    this.requireDType(condition, ['bool'], 'where condition');
    const [x, y] = this.unify([a, b], 'where') as [Value<D>, Value<D>];
    return this.emit1('Where', [condition, x, y], x.dtype, broadcastShapes([condition.shape, x.shape, y.shape], 'where'));
  }

  /**
   * `x` converted to `to` (floats to integers truncate toward zero; anything non-zero becomes
   * `true`).
   *
   * @example `g.cast(mask, 'float32')`
   */
  cast<T extends DType>(x: Value, to: T): Value<T> {
    this.own([x], 'Cast');
    check(isDType(to), `cast: unknown dtype ${String(to)}.`, 'UNSUPPORTED_DTYPE');
    return this.emit1('Cast', [x], to, x.shape, { to: { kind: 'int', value: onnxTypeOf(to) } });
  }

  private compare<D extends DType>(opType: string, a: Operand<D>, b: Operand<D>): Value<'bool'> {
    const [x, y] = this.unify([a, b], opType) as [Value<D>, Value<D>];
    return this.emit1(opType, [x, y], 'bool', broadcastShapes([x.shape, y.shape], opType));
  }

  private logical(opType: string, a: Operand, b: Operand): Value<'bool'> {
    const [x, y] = this.unify([a, b], opType) as [Value, Value];
    this.requireDType(x, ['bool'], opType);
    return this.emit1(opType, [x, y], 'bool', broadcastShapes([x.shape, y.shape], opType));
  }
}
