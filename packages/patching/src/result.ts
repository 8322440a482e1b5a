/**
 * The result of a sweep: raw metric values and their normalization against the two unpatched
 * runs, shaped by labelled axes.
 */
import { Tensor } from '@mechint/core';

/** One labelled axis of a result. */
export interface ResultAxis {
  /** `hook`, `position`, `head`, `feature`, `sender` or `component`. */
  name: string;
  /** The label of each index: hook names, position / head / feature indices, component names. */
  labels: readonly (string | number)[];
}

/** Scores of a patching sweep. */
export interface PatchingResult {
  /** The raw metric under each patch (float64), shaped by `axes`. */
  scores: Tensor<'float64'>;
  /** `(m − m_corrupted) / (m_clean − m_corrupted)`: 0 = as corrupted, 1 = as clean (±Infinity or NaN when the two metrics are equal). */
  normalized: Tensor<'float64'>;
  /** What each axis of `scores` indexes, outermost first. */
  axes: readonly ResultAxis[];
  /** The metric of the unpatched clean run. */
  clean: number;
  /** The metric of the unpatched corrupted run. */
  corrupted: number;
}

/** Builds a result from flat scores in row-major order over `axes`. */
export function resultOf(values: readonly number[], axes: readonly ResultAxis[], clean: number, corrupted: number): PatchingResult {
  const shape = axes.map((a) => a.labels.length);
  const span = clean - corrupted;
  return {
    scores: new Tensor('float64', Float64Array.from(values), shape),
    normalized: new Tensor('float64', Float64Array.from(values, (m) => (m - corrupted) / span), shape),
    axes,
    clean,
    corrupted,
  };
}
