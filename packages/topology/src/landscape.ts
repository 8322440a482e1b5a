/**
 * Persistence landscapes: the k-th largest tent function of the diagram, sampled.
 */
import { MechintError } from '@mechint/core';
import { checkDiagram, splitDiagram, type Diagram } from './diagram.js';
import { gridOf, type GridOptions } from './grid.js';

/** Options of {@link persistenceLandscape}. @example `persistenceLandscape(diagram, { layers: 3, resolution: 200 })` */
export interface LandscapeOptions extends GridOptions {
  /** Number of landscape functions λ₁ … λ_k. Defaults to 1, giotto-tda's `n_layers`. */
  layers?: number;
}

/** A sampled persistence landscape. @example `const { t, layers } = persistenceLandscape(diagram, { layers: 2 })` */
export interface Landscape {
  /** The sample points. */
  t: Float64Array;
  /** `layers[k][i]` = λ_{k+1}(t[i]). */
  layers: Float64Array[];
}

/**
 * The persistence landscape λ_k(t) = k-th largest of max(0, min(t − birth, death − t)) over the
 * pairs, at each sample point. Pairs with an infinite death are left out (their tent has no top);
 * replace Infinity by a cutoff first to include them.
 *
 * @see P. Bubenik, "Statistical topological data analysis using persistence landscapes", JMLR 16 (2015).
 * @example
 * ```ts
 * import { persistenceLandscape } from '@mechint/topology';
 * const { layers } = persistenceLandscape([[0, 2], [1, 3]], { samples: [1, 1.5, 2], layers: 2 });
 * Array.from(layers[0]!); // [1, 0.5, 1]
 * Array.from(layers[1]!); // [0, 0.5, 0]
 * ```
 */
export function persistenceLandscape(diagram: Diagram, options: LandscapeOptions = {}): Landscape {
  checkDiagram(diagram, 'persistenceLandscape');
  const layerCount = options.layers ?? 1;
  if (!Number.isInteger(layerCount) || layerCount < 1) throw new MechintError('INVALID_ARGUMENT', `persistenceLandscape: layers must be a positive integer; got ${layerCount}.`);
  const { finite } = splitDiagram(diagram);
  const t = gridOf(finite, options, 'persistenceLandscape');
  const layers = Array.from({ length: layerCount }, () => new Float64Array(t.length));
  const tents = new Float64Array(finite.length);
  for (let i = 0; i < t.length; i++) {
    const x = t[i]!;
    finite.forEach(([birth, death], j) => (tents[j] = Math.max(0, Math.min(x - birth, death - x))));
    tents.sort();
    for (let k = 0; k < layerCount && k < tents.length; k++) layers[k]![i] = tents[tents.length - 1 - k]!;
  }
  return { t, layers };
}
