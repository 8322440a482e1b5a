/**
 * The sample points of a curve over a diagram's scale: given, or evenly spaced over a range.
 */
import { MechintError } from '@mechint/core';
import type { PersistencePair } from './diagram.js';

/** Where a curve over the filtration scale is sampled. @example `bettiCurve(diagram, { range: [0, 2], resolution: 50 })` */
export interface GridOptions {
  /** Explicit, increasing sample points; when given, `range` and `resolution` are ignored. */
  samples?: readonly number[];
  /** `[from, to]` of evenly spaced samples. Defaults to the smallest birth and largest finite death, as giotto-tda fits it. */
  range?: readonly [number, number];
  /** Number of evenly spaced samples (ends included, like `numpy.linspace`). Defaults to 100, giotto-tda's `n_bins`. */
  resolution?: number;
}

/** @internal The sample points. */
export function gridOf(finite: readonly PersistencePair[], options: GridOptions, what: string): Float64Array {
  if (options.samples !== undefined) {
    const t = Float64Array.from(options.samples);
    for (let i = 0; i < t.length; i++) {
      if (!Number.isFinite(t[i]!) || (i > 0 && t[i]! <= t[i - 1]!)) throw new MechintError('INVALID_ARGUMENT', `${what}: samples must be finite and increasing; check entry ${i}.`);
    }
    return t;
  }
  const resolution = options.resolution ?? 100;
  if (!Number.isInteger(resolution) || resolution < 2) throw new MechintError('INVALID_ARGUMENT', `${what}: resolution must be an integer ≥ 2; got ${resolution}.`);
  let range = options.range;
  if (range === undefined) {
    if (finite.length === 0) throw new MechintError('INVALID_ARGUMENT', `${what}: the diagram has no finite pair to take a range from; pass { range: [from, to] }.`);
    range = [Math.min(...finite.map((p) => p[0])), Math.max(...finite.map((p) => p[1]))];
  }
  const [from, to] = range;
  if (!Number.isFinite(from) || !Number.isFinite(to) || !(to > from)) throw new MechintError('INVALID_ARGUMENT', `${what}: range must be two finite numbers, from < to; got [${from}, ${to}].`);
  return Float64Array.from({ length: resolution }, (_, i) => from + ((to - from) * i) / (resolution - 1));
}
