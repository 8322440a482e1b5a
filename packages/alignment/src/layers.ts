/**
 * All-layers × all-layers similarity between two models' cached activations.
 */
import { MechintError, type ActivationCache, type Tensor } from '@mechint/core';
import type { BackendOption } from './backend.js';
import { cka } from './cka.js';
import { pwcca } from './pwcca.js';
import { shapeDistance } from './shape-metric.js';
import type { Similarity } from './stats.js';
import { svcca } from './svcca.js';

/** The built-in comparisons of {@link layerSimilarityMatrix}. */
export type LayerMethod = 'cka' | 'debiased-cka' | 'rbf-cka' | 'svcca' | 'pwcca' | 'procrustes-angle';

/** Options of {@link layerSimilarityMatrix}. */
export interface LayerSimilarityOptions extends BackendOption {
  /** Layers of the first cache to compare. Defaults to every recorded key, in `cache.keys()` order. */
  layersA?: readonly string[];
  /** Layers of the second cache to compare. Defaults to every recorded key. */
  layersB?: readonly string[];
  /** Called after each cell with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Stops between cells (throws the signal's reason). */
  signal?: AbortSignal;
}

/** A `layersA × layersB` matrix of similarities. */
export interface LayerSimilarity {
  /** The first cache's layers: the rows. */
  readonly layersA: readonly string[];
  /** The second cache's layers: the columns. */
  readonly layersB: readonly string[];
  /** `values[i][j]` compares `layersA[i]` with `layersB[j]`. */
  readonly values: number[][];
}

/** What {@link layerSimilarityMatrix} reads from a cache: an `ActivationCache` has both. */
export type LayerCache = Pick<ActivationCache, 'keys' | 'get'>;

/**
 * Compares every cached layer of one model with every cached layer of another (or the same) on
 * the same inputs. Each activation `[..., features]` is flattened to `[samples, features]` (every
 * axis but the last is a sample axis — batch × positions for a residual stream).
 *
 * @see Kornblith et al. 2019, Fig. 3 (layer-by-layer CKA between networks).
 * @example
 * ```ts
 * import { layerSimilarityMatrix } from '@mechint/alignment';
 * import { Tensor } from '@mechint/core';
 * const acts: Record<string, Tensor> = {
 *   early: Tensor.from([[1, 0], [0, 1], [1, 1], [2, 1]], undefined, 'float64'),
 *   late: Tensor.from([[0, 2], [1, 0], [1, 3], [2, 2]], undefined, 'float64'),
 * };
 * const cache = { keys: () => Object.keys(acts), get: (k: string) => acts[k]! };
 * const { values } = await layerSimilarityMatrix(cache, cache, 'cka');
 * console.log(values[0]![0], values[1]![1]); // 1 1
 * ```
 */
export async function layerSimilarityMatrix(cacheA: LayerCache, cacheB: LayerCache, method: LayerMethod | Similarity = 'cka', options: LayerSimilarityOptions = {}): Promise<LayerSimilarity> {
  const layersA = options.layersA ?? cacheA.keys();
  const layersB = options.layersB ?? cacheB.keys();
  const compare = similarityOf(method, options);
  const total = layersA.length * layersB.length;
  const flatA = layersA.map((k) => flatten(cacheA.get(k), k));
  const flatB = layersB.map((k) => flatten(cacheB.get(k), k));
  const values: number[][] = [];
  for (const [i, a] of flatA.entries()) {
    const row: number[] = [];
    for (const b of flatB) {
      options.signal?.throwIfAborted();
      row.push(await compare(a, b));
      options.onProgress?.(i * layersB.length + row.length, total);
    }
    values.push(row);
  }
  return { layersA, layersB, values };
}

function similarityOf(method: LayerMethod | Similarity, options: BackendOption): Similarity {
  if (typeof method === 'function') return method;
  const backend = options.backend === undefined ? {} : { backend: options.backend };
  switch (method) {
    case 'cka':
      return (x, y) => cka(x, y, backend);
    case 'debiased-cka':
      return (x, y) => cka(x, y, { ...backend, debiased: true });
    case 'rbf-cka':
      return (x, y) => cka(x, y, { ...backend, kernel: 'rbf' });
    case 'svcca':
      return (x, y) => svcca(x, y, backend);
    case 'pwcca':
      return (x, y) => pwcca(x, y, backend);
    case 'procrustes-angle':
      return (x, y) => shapeDistance(x, y, backend);
    default:
      throw new MechintError('INVALID_ARGUMENT', `Unknown method '${String(method)}'; use cka, debiased-cka, rbf-cka, svcca, pwcca, procrustes-angle or a function (x, y) => number.`);
  }
}

function flatten(t: Tensor, name: string): Tensor<'float32' | 'float64'> {
  if (t.rank < 2) throw new MechintError('SHAPE_MISMATCH', `Activation '${name}' has shape [${t.shape.join(', ')}]; it needs a sample axis and a feature axis.`);
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new MechintError('UNSUPPORTED_DTYPE', `Activation '${name}' is ${t.dtype}; compare float32 or float64 activations.`);
  return t.reshape([-1, t.shape[t.rank - 1]!]) as Tensor<'float32' | 'float64'>;
}
