/**
 * Box-covering fractal dimension of networks (Song, Havlin, Makse 2005 / 2007).
 */
import { MechintError } from '@mechint/core';
import { Rng } from '../math/random.js';
import { linearFit } from '../math/regression.js';
import { allPairsDistances } from './distances.js';
import { toAdjacency, type GraphInput } from './graph-input.js';

/** Options of {@link boxCoveringDimension}. @example `{ method: 'greedy-coloring', seed: 1 }` */
export interface BoxCoveringOptions {
  /**
   * `'greedy-coloring'` (default; Song et al. 2007's greedy colouring of the dual graph, every box
   * size in one pass), `'cbb'` (compact-box burning) or `'memb'` (maximum-excluded-mass burning,
   * odd box sizes ℓ = 2r + 1 only).
   */
  method?: 'greedy-coloring' | 'cbb' | 'memb';
  /** Seed of the random node order (greedy colouring, CBB). Defaults to 0. */
  seed?: number;
  /**
   * Box sizes ℓ_B to cover the graph with. Defaults to every size from 1 to diameter + 1 (odd sizes
   * only for `'memb'`, which needs ℓ_B = 2r + 1). Sizes on a geometric grid (e.g. powers of u for
   * a (u, v)-flower) avoid the staircase of N_B between them.
   */
  boxSizes?: readonly number[];
  /**
   * Box sizes `[min, max]` fitted. Defaults to the range of `boxSizes` when given, else every size
   * from 1 up to half the diameter (larger boxes cover the graph in a handful of boxes and bend the
   * line).
   */
  fitRange?: readonly [number, number];
}

/** Result of {@link boxCoveringDimension}. @example `{ dB: 2, intercept: 6.5, boxSizes: [1, 2, 3], boxCounts: [685, 250, 120], diameter: 32 }` */
export interface BoxCoveringResult {
  /** The box dimension: −slope of ln N_B against ln ℓ_B over `fitRange`. */
  dB: number;
  /** Intercept of that line. */
  intercept: number;
  /** Box sizes ℓ_B (a box holds nodes at mutual distance < ℓ_B), 1 to diameter + 1. */
  boxSizes: number[];
  /** Boxes N_B(ℓ_B) needed to cover the graph at each size. */
  boxCounts: number[];
  /** The graph's diameter (longest shortest path). */
  diameter: number;
}

/**
 * The box-covering dimension d_B of a connected network, N_B(ℓ_B) ∝ ℓ_B^{−d_B}, where N_B is the
 * (approximately) fewest boxes of size ℓ_B — sets of nodes at mutual distance < ℓ_B — covering the
 * graph. Covering with `'greedy-coloring'` (Song et al. 2007: colour greedily, in a seeded random
 * node order, the dual graph joining nodes at distance ≥ ℓ_B; colours are boxes), `'cbb'`
 * (compact-box burning) or `'memb'` (boxes of radius r around centres picked by largest excluded
 * mass, ℓ_B = 2r + 1). d_B is the least-squares slope of −ln N_B against ln ℓ_B over `fitRange`.
 *
 * Accepts adjacency lists, edge lists and thresholded weight matrices ({@link GraphInput}). Throws
 * `INVALID_ARGUMENT` for an empty, a disconnected (use {@link largestComponent}) or a too large
 * graph, an unknown method, and a `fitRange` holding fewer than two sizes.
 *
 * @see C. Song, S. Havlin, H. A. Makse, "Self-similarity of complex networks", Nature 433 (2005) 392–395.
 * @see C. Song, L. K. Gallos, S. Havlin, H. A. Makse, "How to calculate the fractal dimension of a complex network: the box covering algorithm", J. Stat. Mech. (2007) P03006.
 * @example
 * ```ts
 * import { boxCoveringDimension, uvFlower } from '@mechint/fractals';
 * boxCoveringDimension(uvFlower(2, 2, 5), { boxSizes: [2, 4, 8] }).dB; // ln 4 / ln 2 = 2
 * ```
 */
export function boxCoveringDimension(graph: GraphInput, options: BoxCoveringOptions = {}): BoxCoveringResult {
  const adjacency = toAdjacency(graph);
  const n = adjacency.length;
  const method = options.method ?? 'greedy-coloring';
  const rng = new Rng(options.seed ?? 0);
  if (n === 1) throw new MechintError('INVALID_ARGUMENT', 'Box covering needs a graph with at least two nodes; a single node has no box dimension.');
  const { distances, diameter } = allPairsDistances(adjacency);
  if (method !== 'greedy-coloring' && method !== 'cbb' && method !== 'memb') {
    throw new MechintError('INVALID_ARGUMENT', `boxCoveringDimension: method must be 'greedy-coloring', 'cbb' or 'memb'; got '${String(method)}'.`);
  }
  const sizes = boxSizesFor(options.boxSizes, method, diameter);
  let counts: number[];
  if (method === 'greedy-coloring') {
    const all = greedyColoring(distances, n, sizes[sizes.length - 1]!, permutation(n, rng));
    counts = sizes.map((l) => all[l - 1]!);
  } else if (method === 'cbb') {
    counts = sizes.map((l) => compactBoxBurning(distances, n, l, rng));
  } else {
    counts = sizes.map((l) => maximumExcludedMass(distances, n, (l - 1) / 2));
  }
  const [lo, hi] = options.fitRange ?? (options.boxSizes === undefined ? [1, Math.max(2, Math.floor(diameter / 2))] : [sizes[0]!, sizes[sizes.length - 1]!]);
  const xs: number[] = [];
  const ys: number[] = [];
  sizes.forEach((l, i) => {
    if (l >= lo && l <= hi) {
      xs.push(Math.log(l));
      ys.push(Math.log(counts[i]!));
    }
  });
  if (xs.length < 2) {
    throw new MechintError('INVALID_ARGUMENT', `boxCoveringDimension: fitRange [${lo}, ${hi}] holds ${xs.length} box size(s) (sizes ${sizes.join(', ')}); widen it.`);
  }
  const { slope, intercept } = linearFit(xs, ys);
  return { dB: -slope, intercept, boxSizes: sizes, boxCounts: counts, diameter };
}

function boxSizesFor(requested: readonly number[] | undefined, method: string, diameter: number): number[] {
  if (requested === undefined) {
    const all = Array.from({ length: diameter + 1 }, (_, i) => i + 1);
    return method === 'memb' ? all.filter((l) => l % 2 === 1) : all;
  }
  for (const l of requested) {
    if (!Number.isInteger(l) || l < 1 || (method === 'memb' && l % 2 === 0)) {
      throw new MechintError('INVALID_ARGUMENT', `boxCoveringDimension: box size ${l} is not ${method === 'memb' ? 'an odd integer ≥ 1 (memb covers with ℓ = 2r + 1)' : 'an integer ≥ 1'}.`);
    }
  }
  const sizes = [...new Set(requested)].sort((a, b) => a - b);
  if (sizes.length === 0) throw new MechintError('INVALID_ARGUMENT', 'boxCoveringDimension: boxSizes is empty; list at least two sizes.');
  return sizes;
}

function permutation(n: number, rng: Rng): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** Song et al. 2007, greedy colouring for every ℓ = 1..lMax at once; returns colours used per ℓ. */
function greedyColoring(distances: Uint16Array, n: number, lMax: number, order: Int32Array): number[] {
  const colors = new Int32Array(n * (lMax + 1));
  const used = new Int32Array((lMax + 1) * (n + 1)).fill(-1);
  const counts = new Array<number>(lMax).fill(0);
  for (let a = 0; a < n; a++) {
    const i = order[a]!;
    for (let b = 0; b < a; b++) {
      const j = order[b]!;
      const d = Math.min(distances[i * n + j]!, lMax);
      for (let l = 1; l <= d; l++) used[l * (n + 1) + colors[j * (lMax + 1) + l]!] = a;
    }
    for (let l = 1; l <= lMax; l++) {
      let c = 0;
      while (used[l * (n + 1) + c] === a) c++;
      colors[i * (lMax + 1) + l] = c;
      if (c + 1 > counts[l - 1]!) counts[l - 1] = c + 1;
    }
  }
  return counts;
}

/** Compact-box burning for box size l; returns the number of boxes. */
function compactBoxBurning(distances: Uint16Array, n: number, l: number, rng: Rng): number {
  const covered = new Uint8Array(n);
  let remaining = n;
  let boxes = 0;
  const candidates: number[] = [];
  while (remaining > 0) {
    candidates.length = 0;
    for (let i = 0; i < n; i++) if (!covered[i]) candidates.push(i);
    while (candidates.length > 0) {
      const k = rng.int(candidates.length);
      const p = candidates[k]!;
      covered[p] = 1;
      remaining--;
      let w = 0;
      for (const c of candidates) if (c !== p && distances[p * n + c]! < l) candidates[w++] = c;
      candidates.length = w;
    }
    boxes++;
  }
  return boxes;
}

/** Maximum-excluded-mass burning with radius r; returns the number of centres (boxes). */
function maximumExcludedMass(distances: Uint16Array, n: number, r: number): number {
  const mass = new Int32Array(n);
  for (let c = 0; c < n; c++) {
    let m = 0;
    for (let i = 0; i < n; i++) if (distances[c * n + i]! <= r) m++;
    mass[c] = m;
  }
  const covered = new Uint8Array(n);
  const center = new Uint8Array(n);
  let remaining = n;
  let boxes = 0;
  while (remaining > 0) {
    let best = -1;
    for (let c = 0; c < n; c++) if (!center[c] && (best < 0 || mass[c]! > mass[best]!)) best = c;
    center[best] = 1;
    boxes++;
    for (let i = 0; i < n; i++) {
      if (!covered[i] && distances[best * n + i]! <= r) {
        covered[i] = 1;
        remaining--;
        for (let c = 0; c < n; c++) if (distances[c * n + i]! <= r) mass[c] = mass[c]! - 1;
      }
    }
  }
  return boxes;
}
