/**
 * The discrete Fourier transform (`DFT`, opset ≥ 17).
 */
import { MechintError, check } from '../errors.js';
import type { Dim } from '../onnx/types.js';
import type { DType } from '../tensor/dtype.js';
import { IndexingOps } from './indexing.js';
import { formatShape, normalizeAxis } from './shapes.js';
import { Value } from './value.js';

/** Options of `GraphBuilder.dft`, with ONNX's defaults. @example `g.dft(x, { axis: 1, onesided: true, length: 128 })` */
export interface DftOptions {
  /**
   * The signal axis, never the last (the real / imaginary axis). Defaults to -2, the axis just
   * before it (for a `[batch, n, 2]` input the same as opset 17's default of 1).
   */
  axis?: number;
  /** The inverse transform, scaled by `1 / n`. Defaults to false. */
  inverse?: boolean;
  /**
   * Return only the `floor(n / 2) + 1` non-negative frequencies of a real signal (the rest are
   * their complex conjugates). Not with `inverse`. Defaults to false.
   */
  onesided?: boolean;
  /** Transform length: the signal is cut or zero-padded to it. Defaults to the axis size. */
  length?: number | Value;
}

/** @internal The spectral operator of `GraphBuilder`. @example `new GraphBuilder().dft` */
export abstract class SpectralOps extends IndexingOps {
  /**
   * The discrete Fourier transform `X[k] = Σₙ x[n] · e^(−2πi·k·n/N)` along `axis` (opset ≥ 17).
   *
   * Complex numbers live in a last axis of size 2, `[..., re/im]`: the input is `[..., n, 1]` for
   * a real signal or `[..., n, 2]` for a complex one (real part at index 0, imaginary at 1), and
   * the output is always `[..., N, 2]`. To transform a real signal `s` of shape `[batch, n]`,
   * pass `g.unsqueeze(s, [-1])`.
   *
   * @example
   * ```ts
   * import { GraphBuilder } from '@mechint/core';
   * const g = new GraphBuilder({ opset: 17 });
   * const signal = g.input('signal', 'float32', ['batch', 64]);
   * const spectrum = g.dft(g.unsqueeze(signal, [-1]), { axis: 1, onesided: true }); // [batch, 33, 2]
   * const power = g.reduceSum(g.mul(spectrum, spectrum), { axes: [-1], keepdims: false });
   * g.output(power, 'power');
   * ```
   */
  dft<D extends DType>(x: Value<D>, options: DftOptions = {}): Value<D> {
    this.own([x], 'DFT');
    this.requireOpset(17, 'dft');
    this.requireFloat(x, 'dft');
    const inverse = options.inverse === true;
    const onesided = options.onesided === true;
    check(!(inverse && onesided), 'dft: onesided applies to the forward transform of a real signal; drop it for the inverse.');
    if (x.rank !== undefined) {
      check(x.rank >= 2, `dft: the input needs a signal axis and a last axis of size 1 (real) or 2 (complex); got ${formatShape(x.shape)}.`, 'SHAPE_MISMATCH');
      const last = x.shape![x.rank - 1];
      check(last === null || typeof last === 'string' || last === 1 || last === 2, `dft: the last axis holds [re] or [re, im] and has size 1 or 2; got ${formatShape(x.shape)}.`, 'SHAPE_MISMATCH');
    }
    const axis = normalizeAxis(options.axis ?? -2, x.rank, 'dft');
    if (x.rank !== undefined && axis === x.rank - 1) {
      throw new MechintError('INVALID_ARGUMENT', `dft: axis ${options.axis ?? -2} is the real / imaginary axis; pick a signal axis of ${formatShape(x.shape)}.`);
    }
    const length = this.dftLength(options.length);
    const shape = x.shape?.map((d, i): Dim => {
      if (i === x.shape!.length - 1) return 2;
      if (i !== axis) return d;
      const n = typeof options.length === 'number' ? options.length : d;
      return typeof n === 'number' ? (onesided ? Math.floor(n / 2) + 1 : n) : null;
    });
    const attributes = { inverse: inverse ? true : undefined, onesided: onesided ? true : undefined };
    if (this.opset >= 20) return this.emit1('DFT', [x, length, this.scalar(axis, 'int64')], x.dtype, shape, attributes);
    return this.emit1('DFT', length === null ? [x] : [x, length], x.dtype, shape, { ...attributes, axis: BigInt(axis) });
  }

  private dftLength(length: number | Value | undefined): Value | null {
    if (length === undefined) return null;
    if (typeof length === 'number') {
      check(Number.isSafeInteger(length) && length > 0, `dft: length must be a positive integer; got ${length}.`);
      return this.scalar(length, 'int64');
    }
    this.own([length], 'DFT');
    this.requireDType(length, ['int64', 'int32'], 'dft length');
    return length;
  }
}
