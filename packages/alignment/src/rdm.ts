/**
 * Representational dissimilarity matrices (RDMs) between conditions.
 */
import { MechintError, Tensor } from '@mechint/core';
import type { BackendOption } from './backend.js';
import { toSamples, type Activations } from './input.js';
import { crossnobisPair, pairwiseDistances } from './kernels/distances.js';

/**
 * Dissimilarity measures. `'correlation'` (1 − Pearson r), `'cosine'` (1 − cosine similarity),
 * `'euclidean'` and `'sqeuclidean'` are scipy's `pdist` metrics of the same names.
 * `'euclidean-per-channel'` is the squared Euclidean distance divided by the number of channels —
 * what rsatoolbox calls `'euclidean'`. `'crossnobis'` is rsatoolbox's cross-validated Mahalanobis
 * distance (needs `runs`).
 */
export type RdmMetric = 'correlation' | 'cosine' | 'euclidean' | 'sqeuclidean' | 'euclidean-per-channel' | 'crossnobis';

/** Options of {@link rdm}. */
export interface RdmOptions extends BackendOption {
  /** The dissimilarity. Defaults to `'correlation'`, rsatoolbox's `calc_rdm` default. */
  metric?: RdmMetric;
  /**
   * Crossnobis only: the condition of each row (integers `0 … c−1`). Defaults to one condition per
   * row, which crossnobis cannot use — pass it with `runs`.
   */
  conditions?: readonly number[];
  /** Crossnobis only: the run (cross-validation fold) of each row, rsatoolbox's `cv_descriptor`. */
  runs?: readonly number[];
  /** Crossnobis only: the `[channels, channels]` noise precision matrix. Defaults to the identity, as in rsatoolbox. */
  precision?: Activations;
}

/** A representational dissimilarity matrix, stored as its upper triangle. */
export interface Rdm {
  /** The measure used. */
  readonly metric: RdmMetric;
  /** Number of conditions `c`. */
  readonly conditions: number;
  /**
   * The `c(c−1)/2` dissimilarities above the diagonal, row by row: `(0,1), (0,2), …, (1,2), …` —
   * the order of scipy's `pdist` and rsatoolbox's `get_vectors()`.
   */
  readonly dissimilarities: Float64Array;
}

/**
 * The RDM of a `[conditions, channels]` pattern matrix (one row per condition: a stimulus's
 * activation vector or response pattern). The pairwise products run as a graph kernel.
 *
 * Throws `INVALID_ARGUMENT` for NaN, for a constant row under `'correlation'` (or a zero row
 * under `'cosine'`), and for crossnobis without at least two runs per condition.
 *
 * @see Kriegeskorte, Mur & Bandettini 2008, Representational similarity analysis; rsatoolbox's `calc_rdm`; Walther et al. 2016 (crossnobis).
 * @example
 * ```ts
 * import { rdm } from '@mechint/alignment';
 * const { dissimilarities } = await rdm([[0, 0], [3, 4], [6, 8]], { metric: 'euclidean' });
 * console.log(Array.from(dissimilarities)); // [5, 10, 5]
 * ```
 */
export async function rdm(patterns: Activations, options: RdmOptions = {}): Promise<Rdm> {
  const metric = options.metric ?? 'correlation';
  if (metric === 'crossnobis') return crossnobis(patterns, options);
  const x = toSamples(patterns, 'patterns');
  if (metric === 'correlation' || metric === 'cosine') checkRows(x.tensor, x.n, x.p, metric);
  const graphMetric = metric === 'euclidean-per-channel' ? 'sqeuclidean' : metric;
  if (!['correlation', 'cosine', 'euclidean', 'sqeuclidean'].includes(graphMetric)) {
    throw new MechintError('INVALID_ARGUMENT', `Unknown RDM metric '${String(metric)}'; use correlation, cosine, euclidean, sqeuclidean, euclidean-per-channel or crossnobis.`);
  }
  const full = await pairwiseDistances(x.tensor, graphMetric, options);
  return { metric, conditions: x.n, dissimilarities: upperTriangle(full, x.n, metric === 'euclidean-per-channel' ? 1 / x.p : 1) };
}

/**
 * The full symmetric `c × c` matrix of an RDM (zero diagonal), as nested arrays.
 *
 * @example
 * ```ts
 * import { squareform } from '@mechint/alignment';
 * console.log(squareform({ metric: 'euclidean', conditions: 3, dissimilarities: new Float64Array([5, 10, 5]) }));
 * // [[0, 5, 10], [5, 0, 5], [10, 5, 0]]
 * ```
 */
export function squareform(r: Rdm): number[][] {
  const c = r.conditions;
  const out = Array.from({ length: c }, () => new Array<number>(c).fill(0));
  let k = 0;
  for (let i = 0; i < c; i++) {
    for (let j = i + 1; j < c; j++) {
      const v = r.dissimilarities[k++]!;
      out[i]![j] = v;
      out[j]![i] = v;
    }
  }
  return out;
}

function upperTriangle(full: Float64Array, c: number, scale: number): Float64Array {
  const out = new Float64Array((c * (c - 1)) / 2);
  let k = 0;
  for (let i = 0; i < c; i++) for (let j = i + 1; j < c; j++) out[k++] = full[i * c + j]! * scale;
  return out;
}

function checkRows(t: Tensor<'float32' | 'float64'>, n: number, p: number, metric: string): void {
  const data = t.data;
  for (let i = 0; i < n; i++) {
    const row = data.subarray(i * p, (i + 1) * p);
    const first = row[0]!;
    const bad = metric === 'correlation' ? row.every((v) => v === first) : row.every((v) => v === 0);
    if (bad) {
      throw new MechintError(
        'INVALID_ARGUMENT',
        `Condition ${i} has a ${metric === 'correlation' ? 'constant' : 'zero'} pattern, so its ${metric} distance is undefined. Drop it, or use metric 'euclidean'.`,
        { details: { condition: i } },
      );
    }
  }
}

async function crossnobis(patterns: Activations, options: RdmOptions): Promise<Rdm> {
  const x = toSamples(patterns, 'patterns');
  const { runs, conditions: labels } = options;
  if (runs === undefined || labels === undefined) {
    throw new MechintError('INVALID_ARGUMENT', "crossnobis needs { conditions, runs }: the condition and the run of every row, so the distance can be cross-validated across runs.");
  }
  if (runs.length !== x.n || labels.length !== x.n) {
    throw new MechintError('SHAPE_MISMATCH', `conditions (${labels.length}) and runs (${runs.length}) must give one label per row of patterns (${x.n}).`);
  }
  const conditionIds = [...new Set(labels)].sort((u, v) => u - v);
  const runIds = [...new Set(runs)].sort((u, v) => u - v);
  const c = conditionIds.length;
  if (runIds.length < 2) throw new MechintError('INVALID_ARGUMENT', 'crossnobis needs at least two runs to cross-validate; label rows with at least two distinct runs.');
  const p = x.p;
  const means = runIds.map((run) => {
    const sum = new Float64Array(c * p);
    const count = new Float64Array(c);
    for (let i = 0; i < x.n; i++) {
      if (runs[i] !== run) continue;
      const k = conditionIds.indexOf(labels[i]!);
      count[k]!++;
      for (let j = 0; j < p; j++) sum[k * p + j] = sum[k * p + j]! + x.tensor.data[i * p + j]!;
    }
    count.forEach((m, k) => {
      if (m === 0) throw new MechintError('INVALID_ARGUMENT', `Condition ${conditionIds[k]} has no rows in run ${run}; crossnobis needs every condition in every run.`);
      for (let j = 0; j < p; j++) sum[k * p + j] = sum[k * p + j]! / m;
    });
    return new Tensor('float64', sum, [c, p]);
  });
  const precision = options.precision === undefined ? identity(p) : toSamples(options.precision, 'precision', 1).tensor.clone('float64');
  if (precision.shape[0] !== p || precision.shape[1] !== p) {
    throw new MechintError('SHAPE_MISMATCH', `precision must be [${p}, ${p}] (channels × channels); got [${precision.shape.join(', ')}].`);
  }
  const total = new Float64Array(c * c);
  let pairs = 0;
  for (let i = 0; i < means.length; i++) {
    for (let j = i + 1; j < means.length; j++) {
      const d = await crossnobisPair(means[i]!, means[j]!, precision, options);
      for (let k = 0; k < total.length; k++) total[k] = total[k]! + d[k]!;
      pairs++;
    }
  }
  return { metric: 'crossnobis', conditions: c, dissimilarities: upperTriangle(total, c, 1 / (pairs * p)) };
}

function identity(p: number): Tensor<'float64'> {
  const data = new Float64Array(p * p);
  for (let i = 0; i < p; i++) data[i * p + i] = 1;
  return new Tensor('float64', data, [p, p]);
}
