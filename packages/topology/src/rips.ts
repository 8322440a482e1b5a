/**
 * `ripsPersistence`: Vietoris-Rips persistent homology of a point cloud or a distance matrix.
 */
import { MechintError } from '@mechint/core';
import { Binomials } from './binomial.js';
import type { Diagram, PersistencePair } from './diagram.js';
import { graphOfMatrix, graphOfPoints } from './edges.js';
import { isDistanceMatrix, readDistanceMatrix, readPoints, type DistanceMatrix, type PointCloud } from './inputs.js';
import { backendOf, checkMetric, type Metric, type OnBackend } from './kernels.js';
import { Ticker, type LongRunning } from './progress.js';
import { computePersistence, type RawDiagram } from './ripser.js';

/** Options of {@link ripsPersistence}. @example `await ripsPersistence(points, { maxDim: 2, threshold: 0.8, coefficients: 3 })` */
export interface RipsOptions extends LongRunning, OnBackend {
  /** The highest homology dimension computed. Defaults to 1, as in Ripser. Above 3 needs `allowHighDimensions`. */
  maxDim?: number;
  /**
   * Only simplices of diameter ≤ threshold enter the filtration; classes alive at the threshold
   * come out as essential (death = Infinity). Defaults to Infinity, which, as in Ripser, is cut
   * at the enclosing radius (beyond it the complex is a cone and nothing changes).
   */
  threshold?: number;
  /** The point metric (not for distance matrices). Defaults to `'euclidean'`, as in Ripser and GUDHI. */
  metric?: Metric;
  /** The coefficient field Z/p, p a prime below 2^15. Defaults to 2, as in Ripser (GUDHI defaults to 11). */
  coefficients?: number;
  /** Also return a representative cocycle of every pair. Defaults to false, as ripser.py's `do_cocycles`. */
  cocycles?: boolean;
  /**
   * Also return a representative cycle of every pair of dimension ≥ 1 (finite or essential), over
   * the same field, by involuted persistent homology (Čufar & Virk 2021). Defaults to false: the
   * diagrams alone never pay for it.
   *
   * @example `const { cycles } = await ripsPersistence(points, { maxDim: 2, cycles: true }); cycles![2]![0]!.simplices; // [[0, 2, 4], …]`
   */
  cycles?: boolean;
  /** Allow `maxDim` above 3: the number of simplices grows as n^(maxDim+2). Defaults to false. */
  allowHighDimensions?: boolean;
  /**
   * The most edges kept (each costs 24 bytes in the neighbour lists). An input that would need
   * more throws before allocating them: lower the threshold. Defaults to 2^24 (about 400 MB).
   */
  maxEdges?: number;
}

/**
 * A representative cocycle (cohomology) of one pair: simplices as ascending vertex lists, with
 * coefficients in Z/p. For H0, the vertices of the component that dies (or lives on).
 *
 * @example `const { cocycles } = await ripsPersistence(points, { cocycles: true }); cocycles![1]![0]!.simplices; // [[0, 1], [1, 2], …]`
 */
export interface Cocycle {
  /** The simplices, each as its vertices in ascending order. */
  simplices: number[][];
  /** The coefficient in Z/p of each simplex. */
  coefficients: number[];
}

/**
 * A representative cycle (homology) of one pair of dimension d ≥ 1: d-simplices as ascending
 * vertex lists with coefficients in Z/p, oriented by that order (dropping the i-th vertex has sign
 * (−1)^i), so that its boundary is zero. Its first simplex is the pair's birth simplex, the last of
 * the cycle to enter the filtration (the largest filtration value is the birth). A finite pair's
 * cycle is the boundary of a chain whose last simplex is the death simplex: it is born at the
 * birth and becomes a boundary at the death, not before; an essential class's cycle is never a
 * boundary below the threshold.
 *
 * @example
 * ```ts
 * import { ripsPersistence } from '@mechint/topology';
 * const square = [[0, 0], [1, 0], [1, 1], [0, 1]];
 * const { cycles } = await ripsPersistence(square, { cycles: true });
 * cycles![1]![0]!.simplices; // the four sides: [[0, 1], [1, 2], [0, 3], [2, 3]]
 * cycles![1]![0]!.filtrations; // [1, 1, 1, 1]
 * ```
 */
export interface Cycle {
  /** The d-simplices, each as its vertices in ascending order. */
  simplices: number[][];
  /** The coefficient in Z/p of each simplex. */
  coefficients: number[];
  /** The filtration value (diameter) of each simplex. */
  filtrations: number[];
}

/** What {@link ripsPersistence} returns. @example `const { diagrams, threshold, edges } = await ripsPersistence(points)` */
export interface RipsResult {
  /** `diagrams[d]`: the pairs of dimension d, sorted by birth then death; zero-length pairs left out. */
  diagrams: Diagram[];
  /** `cocycles[d][i]` represents `diagrams[d][i]`; present when `cocycles: true` was asked. */
  cocycles?: Cocycle[][];
  /** `cycles[d][i]` represents `diagrams[d][i]` for d ≥ 1 (`cycles[0]` is empty); present when `cycles: true` was asked. */
  cycles?: Cycle[][];
  /** The threshold the filtration was cut at: the given one, or the enclosing radius. */
  threshold: number;
  /** Number of edges in the filtration. */
  edges: number;
}

const DEFAULT_MAX_EDGES = 2 ** 24;

function isPrime(p: number): boolean {
  if (!Number.isInteger(p) || p < 2) return false;
  for (let q = 2; q * q <= p; q++) if (p % q === 0) return false;
  return true;
}

interface Settings {
  maxDim: number;
  threshold: number;
  modulus: number;
  maxEdges: number;
  metric: Metric;
}

function checkOptions(options: RipsOptions, forMatrix: boolean): Settings {
  const maxDim = options.maxDim ?? 1;
  if (!Number.isInteger(maxDim) || maxDim < 0) throw new MechintError('INVALID_ARGUMENT', `maxDim must be a non-negative integer; got ${maxDim}.`);
  if (maxDim > 3 && options.allowHighDimensions !== true) {
    throw new MechintError('INVALID_ARGUMENT', `maxDim = ${maxDim} lists up to C(n, ${maxDim + 2}) simplices; pass { allowHighDimensions: true } if you mean it.`, { details: { maxDim } });
  }
  const threshold = options.threshold ?? Infinity;
  if (typeof threshold !== 'number' || Number.isNaN(threshold) || threshold < 0) {
    throw new MechintError('INVALID_ARGUMENT', `threshold must be a non-negative number (or Infinity); got ${String(threshold)}.`);
  }
  const modulus = options.coefficients ?? 2;
  if (!isPrime(modulus) || modulus >= 2 ** 15) throw new MechintError('INVALID_ARGUMENT', `coefficients must be a prime below 2^15 (Z/p); got ${modulus}.`);
  const maxEdges = options.maxEdges ?? DEFAULT_MAX_EDGES;
  if (!Number.isSafeInteger(maxEdges) || maxEdges < 1) throw new MechintError('INVALID_ARGUMENT', `maxEdges must be a positive integer; got ${maxEdges}.`);
  if (forMatrix && options.metric !== undefined) {
    throw new MechintError('INVALID_ARGUMENT', 'A distance matrix has its distances already; leave out metric.');
  }
  return { maxDim, threshold, modulus, maxEdges, metric: checkMetric(options.metric ?? 'euclidean') };
}

/**
 * Vietoris-Rips persistence diagrams of a point cloud (`Tensor [n, dim]` or rows of numbers) or
 * of a `{ distanceMatrix }`, over Z/2 or Z/p, in dimensions 0 … maxDim.
 *
 * The algorithm is Ripser's: cohomology with clearing, apparent and emergent pairs, coboundaries
 * enumerated implicitly in the combinatorial number system, and a thresholded, sparse edge list
 * in typed arrays, so memory grows with the edges and the reduction, never with a boundary
 * matrix. Distances of a point cloud are computed on onnxruntime one block of rows at a time, so
 * no dense n × n matrix is allocated: without a threshold all n(n−1)/2 edges are needed and more
 * than `maxEdges` of them throws before any work. Diagrams match GUDHI's (zero-length pairs are
 * left out as both Ripser and GUDHI do; essential classes have death `Infinity`).
 *
 * Throws `INVALID_ARGUMENT` for fewer than two points, NaN or infinite coordinates, a
 * non-symmetric or negative distance matrix, `maxDim > 3` without `allowHighDimensions`, a
 * non-prime coefficient field, too many edges, or an abort.
 *
 * With `cycles: true`, each pair of dimension ≥ 1 also gets a representative cycle: once the
 * cohomology reduction has paired the simplices, the boundary of each death simplex is reduced
 * against the boundaries of the other death simplices only (involuted persistent homology), and
 * only the reduction chains of the columns it needs are kept.
 *
 * @see U. Bauer, "Ripser: efficient computation of Vietoris–Rips persistence barcodes", J. Appl. Comput. Topol. 5 (2021). https://doi.org/10.1007/s41468-021-00071-5
 * @see M. Čufar, Ž. Virk, "Fast computation of persistent homology representatives with involuted persistent homology" (2021). https://arxiv.org/abs/2105.03629
 * @example
 * ```ts
 * import { ripsPersistence } from '@mechint/topology';
 * const square = [[0, 0], [1, 0], [1, 1], [0, 1]];
 * const { diagrams } = await ripsPersistence(square, { maxDim: 1 });
 * diagrams[0]; // [[0, 1], [0, 1], [0, 1], [0, Infinity]]
 * diagrams[1]; // [[1, 1.4142135623730951]]
 * ```
 */
export async function ripsPersistence(input: PointCloud | DistanceMatrix, options: RipsOptions = {}): Promise<RipsResult> {
  const forMatrix = isDistanceMatrix(input);
  const settings = checkOptions(options, forMatrix);
  const matrix = forMatrix ? readDistanceMatrix(input) : undefined;
  const points = forMatrix ? undefined : readPoints(input as PointCloud);
  const n = matrix?.n ?? points!.n;
  const computedDim = Math.min(settings.maxDim, n - 2);
  const ticker = new Ticker(options);
  const binomials = new Binomials(n, computedDim + 2);
  const edgeSettings = { threshold: settings.threshold, maxEdges: settings.maxEdges, ticker };
  const { graph, threshold } =
    matrix !== undefined ? graphOfMatrix(matrix.n, matrix.data, edgeSettings) : await graphOfPoints(points!, settings.metric, await backendOf(options), edgeSettings);
  const wantCocycles = options.cocycles === true;
  const wantCycles = options.cycles === true;
  const raw = await computePersistence(graph, { maxDim: computedDim, modulus: settings.modulus, cocycles: wantCocycles, cycles: wantCycles, ticker });
  const diagrams: Diagram[] = [];
  const cocycles: Cocycle[][] = [];
  const cycles: Cycle[][] = [];
  for (let d = 0; d <= settings.maxDim; d++) {
    const sorted = raw[d] === undefined ? { pairs: [], cocycles: [], cycles: [] } : finish(raw[d]!, d, binomials, wantCocycles);
    diagrams.push(sorted.pairs);
    cocycles.push(sorted.cocycles);
    cycles.push(sorted.cycles);
  }
  const result: RipsResult = { diagrams, threshold, edges: graph.edgeCount };
  if (wantCocycles) result.cocycles = cocycles;
  if (wantCycles) result.cycles = cycles;
  return result;
}

/** Sorts one dimension's pairs by (birth, death) and decodes its cocycles and cycles. */
function finish(raw: RawDiagram, dim: number, binomials: Binomials, wantCocycles: boolean): { pairs: PersistencePair[]; cocycles: Cocycle[]; cycles: Cycle[] } {
  const births = raw.births.view();
  const deaths = raw.deaths.view();
  const order = Array.from(births, (_, i) => i).sort((a, b) => births[a]! - births[b]! || deaths[a]! - deaths[b]!);
  const pairs = order.map((i): PersistencePair => [births[i]!, deaths[i]!]);
  const vertices = new Int32Array(dim + 1);
  const decode = (indices: Float64Array) =>
    Array.from(indices, (index) => {
      binomials.vertices(index, dim, vertices);
      return Array.from(vertices).reverse();
    });
  const cocycles = wantCocycles ? order.map((i): Cocycle => ({ simplices: decode(raw.cocycles[i]!.simplices), coefficients: Array.from(raw.cocycles[i]!.coefficients) })) : [];
  const cycles = raw.cycles.length === 0 ? [] : order.map((i): Cycle => {
    const cycle = raw.cycles[i]!;
    return { simplices: decode(cycle.simplices), coefficients: Array.from(cycle.coefficients), filtrations: Array.from(cycle.diams) };
  });
  return { pairs, cocycles, cycles };
}
