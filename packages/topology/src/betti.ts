/**
 * Betti curves: the number of classes alive at each scale.
 */
import { checkDiagram, splitDiagram, type Diagram } from './diagram.js';
import { gridOf, type GridOptions } from './grid.js';

/** A curve sampled over the filtration scale. @example `const { t, values } = bettiCurve(diagram)` */
export interface Curve {
  /** The sample points. */
  t: Float64Array;
  /** The values at the sample points. */
  values: Float64Array;
}

/**
 * The Betti curve β(t) = #{pairs with birth ≤ t < death}: the rank of homology at scale t
 * (half-open intervals, as Ripser reports them; essential classes count at every t ≥ birth).
 *
 * @see G. Carlsson, "Topology and data", Bull. AMS 46 (2009); giotto-tda's `BettiCurve`.
 * @example
 * ```ts
 * import { bettiCurve } from '@mechint/topology';
 * const { values } = bettiCurve([[0, 2], [1, 3], [0, Infinity]], { samples: [0, 1, 2, 3] });
 * Array.from(values); // [2, 3, 2, 1]
 * ```
 */
export function bettiCurve(diagram: Diagram, options: GridOptions = {}): Curve {
  checkDiagram(diagram, 'bettiCurve');
  const t = gridOf(splitDiagram(diagram).finite, options, 'bettiCurve');
  const values = new Float64Array(t.length);
  for (const [birth, death] of diagram) {
    for (let i = 0; i < t.length; i++) if (birth <= t[i]! && t[i]! < death) values[i]!++;
  }
  return { t, values };
}
