/**
 * Time-major inputs and outputs of the simulators: a current (or spike train) of shape
 * `[T, batch, n]` or `[T, n]`, checked and viewed as `T` steps of `batch · n` numbers.
 */
import { MechintError, Tensor } from '@mechint/core';

/** A checked time-major input: its data, step count, batch size, width and original shape. @example `const s = timeMajor(current, 'current', 3)` */
export interface TimeMajor {
  /** The elements, `[T, batch, n]` in C order. */
  readonly data: ArrayLike<number>;
  /** Number of time steps. */
  readonly steps: number;
  /** Batch size (1 for a `[T, n]` input). */
  readonly batch: number;
  /** Number of neurons (or synapses) per batch item. */
  readonly width: number;
  /** The input's shape, which every output of the run takes. */
  readonly shape: readonly number[];
}

/**
 * Checks that `input` is a float tensor `[T, batch, n]` or `[T, n]` whose last axis is `width`,
 * with no NaN or infinite entry, and views it. Throws `SHAPE_MISMATCH`, `DTYPE_MISMATCH` or
 * `INVALID_ARGUMENT` (non-finite entry) with what to pass.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { timeMajor } from './signal.js'; // internal to the package
 * const view = timeMajor(Tensor.zeros([100, 2, 3]), 'current', 3); // steps 100, batch 2, width 3
 * ```
 */
export function timeMajor(input: Tensor, name: string, width: number): TimeMajor {
  if (!(input instanceof Tensor)) {
    throw new MechintError('INVALID_ARGUMENT', `${name} must be a Tensor of shape [T, batch, ${width}] or [T, ${width}]; got ${typeof input}.`);
  }
  if (input.dtype !== 'float32' && input.dtype !== 'float64') {
    throw new MechintError('DTYPE_MISMATCH', `${name} must be float32 or float64; got ${input.dtype}. Convert with tensor.clone('float32').`);
  }
  const shape = input.shape;
  if ((shape.length !== 2 && shape.length !== 3) || shape[shape.length - 1] !== width || shape[0] === 0) {
    throw new MechintError('SHAPE_MISMATCH', `${name} must have shape [T, batch, ${width}] or [T, ${width}] with T ≥ 1; got [${shape.join(', ')}].`, {
      details: { name, shape, width },
    });
  }
  const data = input.data as Float32Array | Float64Array;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      throw new MechintError('INVALID_ARGUMENT', `${name} has a non-finite entry (${data[i]}) at flat index ${i}; replace NaN / Infinity before simulating.`, {
        details: { name, index: i },
      });
    }
  }
  return { data, steps: shape[0]!, batch: shape.length === 3 ? shape[1]! : 1, width, shape };
}

/** A float32 output tensor of the same shape as a time-major input. @internal @example `outputLike(view)` */
export function outputLike(view: TimeMajor): Tensor<'float32'> {
  return new Tensor('float32', new Float32Array(view.steps * view.batch * view.width), view.shape);
}
