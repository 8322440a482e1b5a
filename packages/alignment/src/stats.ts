/**
 * Permutation tests and bootstrap confidence intervals for any similarity, reproducible from a seed.
 */
import { MechintError, Tensor, randomPermutation, seededRandom } from '@mechint/core';
import { toPair, type Activations } from './input.js';
import { resample } from './random.js';
import { rsa, vectorOf, type RdmLike, type RsaOptions } from './rsa.js';

/** A similarity between two activation matrices over the same samples, e.g. `(x, y) => cka(x, y)`. */
export type Similarity = (x: Tensor<'float32' | 'float64'>, y: Tensor<'float32' | 'float64'>) => number | Promise<number>;

/** Options of {@link permutationTest} and {@link rsaPermutationTest}. */
export interface PermutationOptions {
  /** Number of random permutations. Defaults to 1000. */
  permutations?: number;
  /** Seed of the permutations. Defaults to 0. */
  seed?: number;
  /** Called after each permutation with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Stops the test between permutations (throws the signal's reason). */
  signal?: AbortSignal;
}

/** The outcome of a permutation test. */
export interface PermutationResult {
  /** The similarity of the unpermuted data. */
  readonly observed: number;
  /**
   * One-sided p-value for "more similar than chance": `(1 + #{null ≥ observed}) / (1 + permutations)`,
   * scipy's `permutation_test` convention for random permutations (never 0).
   */
  readonly pValue: number;
  /** The similarity under each permutation. */
  readonly nullDistribution: Float64Array;
}

/** Options of {@link bootstrap}. */
export interface BootstrapOptions {
  /** Number of bootstrap resamples. Defaults to 1000, as rsatoolbox's bootstrap. */
  resamples?: number;
  /** Confidence level of the interval. Defaults to 0.95, as scipy's `bootstrap`. */
  level?: number;
  /** Seed of the resampling. Defaults to 0. */
  seed?: number;
  /** Called after each resample with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Stops between resamples (throws the signal's reason). */
  signal?: AbortSignal;
}

/** A percentile bootstrap confidence interval. */
export interface BootstrapResult {
  /** The similarity of the original data. */
  readonly estimate: number;
  /** Lower bound: the `(1 − level)/2` quantile of the bootstrap distribution (linear interpolation, numpy's default). */
  readonly lower: number;
  /** Upper bound: the `(1 + level)/2` quantile. */
  readonly upper: number;
  /** The confidence level. */
  readonly level: number;
  /** The similarity of each resample. */
  readonly distribution: Float64Array;
}

/**
 * Tests whether X and Y are more similar than under a random pairing of their samples: the rows
 * of Y are shuffled `permutations` times and `similarity` recomputed each time.
 *
 * @see Good 2005, Permutation, Parametric and Bootstrap Tests of Hypotheses; scipy.stats.permutation_test.
 * @example
 * ```ts
 * import { cka, permutationTest } from '@mechint/alignment';
 * const x = [[1, 0], [0, 1], [1, 1], [2, 1], [0, 2], [3, 0]];
 * const { observed, pValue } = await permutationTest(x, x, (a, b) => cka(a, b), { permutations: 99, seed: 1 });
 * console.log(observed.toFixed(3), pValue <= 0.05); // '1.000' true
 * ```
 */
export async function permutationTest(x: Activations, y: Activations, similarity: Similarity, options: PermutationOptions = {}): Promise<PermutationResult> {
  const [a, b] = toPair(x, y);
  const total = count(options.permutations ?? 1000, 'permutations');
  const random = seededRandom(options.seed ?? 0);
  const observed = await similarity(a.tensor, b.tensor);
  const nullDistribution = new Float64Array(total);
  for (let i = 0; i < total; i++) {
    options.signal?.throwIfAborted();
    nullDistribution[i] = await similarity(a.tensor, takeRows(b.tensor, randomPermutation(b.n, random)));
    options.onProgress?.(i + 1, total);
  }
  return { observed, pValue: pValueOf(observed, nullDistribution), nullDistribution };
}

/**
 * Percentile bootstrap confidence interval of `similarity(X, Y)`: samples (rows of X and Y
 * together) are drawn with replacement `resamples` times.
 *
 * @see Efron & Tibshirani 1993, An Introduction to the Bootstrap, ch. 13; scipy.stats.bootstrap (method='percentile').
 * @example
 * ```ts
 * import { bootstrap, cka } from '@mechint/alignment';
 * const x = [[1, 0], [0, 1], [1, 1], [2, 1], [0, 2], [3, 0]];
 * const y = x.map(([a, b]) => [2 * b!, -2 * a!]);
 * const { lower, upper } = await bootstrap(x, y, (a, b) => cka(a, b), { resamples: 50, seed: 3 });
 * console.log(lower.toFixed(6), upper.toFixed(6)); // '1.000000' '1.000000'
 * ```
 */
export async function bootstrap(x: Activations, y: Activations, similarity: Similarity, options: BootstrapOptions = {}): Promise<BootstrapResult> {
  const [a, b] = toPair(x, y);
  const total = count(options.resamples ?? 1000, 'resamples');
  const level = options.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new MechintError('INVALID_ARGUMENT', `level must lie in (0, 1); got ${level}. Use 0.95 for a 95% interval.`);
  const random = seededRandom(options.seed ?? 0);
  const estimate = await similarity(a.tensor, b.tensor);
  const distribution = new Float64Array(total);
  for (let i = 0; i < total; i++) {
    options.signal?.throwIfAborted();
    const rows = resample(a.n, random);
    distribution[i] = await similarity(takeRows(a.tensor, rows), takeRows(b.tensor, rows));
    options.onProgress?.(i + 1, total);
  }
  const sorted = Float64Array.from(distribution).sort();
  return { estimate, lower: quantile(sorted, (1 - level) / 2), upper: quantile(sorted, (1 + level) / 2), level, distribution };
}

/**
 * Permutation test for RSA: the conditions of the second RDM are relabelled at random (rows and
 * columns together) and the comparison recomputed — the condition-label randomisation test of
 * Kriegeskorte et al. 2008.
 *
 * @see Kriegeskorte, Mur & Bandettini 2008, §2.4; Nili et al. 2014.
 * @example
 * ```ts
 * import { rsaPermutationTest } from '@mechint/alignment';
 * const a = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]; // 5 conditions
 * const { observed, pValue } = await rsaPermutationTest(a, a, { permutations: 200, seed: 2 });
 * console.log(observed, pValue < 0.05); // 1 true
 * ```
 */
export async function rsaPermutationTest(a: RdmLike, b: RdmLike, options: RsaOptions & PermutationOptions = {}): Promise<PermutationResult> {
  const u = vectorOf(a, 'first');
  const v = vectorOf(b, 'second');
  const c = conditionsOf(v.length);
  const total = count(options.permutations ?? 1000, 'permutations');
  const random = seededRandom(options.seed ?? 0);
  const observed = rsa(u, v, options);
  const nullDistribution = new Float64Array(total);
  const permuted = new Float64Array(v.length);
  for (let i = 0; i < total; i++) {
    options.signal?.throwIfAborted();
    const order = randomPermutation(c, random);
    let k = 0;
    for (let r = 0; r < c; r++) for (let s = r + 1; s < c; s++) permuted[k++] = v[pairIndex(order[r]!, order[s]!, c)]!;
    nullDistribution[i] = rsa(u, permuted, options);
    options.onProgress?.(i + 1, total);
  }
  return { observed, pValue: pValueOf(observed, nullDistribution), nullDistribution };
}

function pValueOf(observed: number, nullDistribution: Float64Array): number {
  let above = 0;
  for (const v of nullDistribution) if (v >= observed - 1e-12 * Math.abs(observed)) above++;
  return (1 + above) / (1 + nullDistribution.length);
}

function count(value: number, name: string): number {
  if (!(Number.isInteger(value) && value >= 1)) throw new MechintError('INVALID_ARGUMENT', `${name} must be a positive integer; got ${value}.`);
  return value;
}

function takeRows(t: Tensor<'float32' | 'float64'>, rows: Int32Array | Uint32Array): Tensor<'float32' | 'float64'> {
  const p = t.shape[1]!;
  const out = t.dtype === 'float32' ? new Float32Array(rows.length * p) : new Float64Array(rows.length * p);
  rows.forEach((r, i) => out.set(t.data.subarray(r * p, (r + 1) * p), i * p));
  return t.dtype === 'float32' ? new Tensor('float32', out as Float32Array, [rows.length, p]) : new Tensor('float64', out as Float64Array, [rows.length, p]);
}

function quantile(sorted: Float64Array, q: number): number {
  const position = q * (sorted.length - 1);
  const lo = Math.floor(position);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (position - lo) * (sorted[hi]! - sorted[lo]!);
}

function conditionsOf(pairs: number): number {
  const c = Math.round((1 + Math.sqrt(1 + 8 * pairs)) / 2);
  if ((c * (c - 1)) / 2 !== pairs) throw new MechintError('SHAPE_MISMATCH', `An RDM vector has c(c−1)/2 entries; ${pairs} is not such a number.`);
  return c;
}

function pairIndex(i: number, j: number, c: number): number {
  const [r, s] = i < j ? [i, j] : [j, i];
  return r * c - (r * (r + 1)) / 2 + (s - r - 1);
}
