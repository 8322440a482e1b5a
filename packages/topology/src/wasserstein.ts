/**
 * The p-Wasserstein distance between persistence diagrams, exactly, by an optimal assignment on
 * the diagrams augmented with their diagonal projections.
 */
import { MechintError } from '@mechint/core';
import { checkDiagram, splitDiagram, type Diagram } from './diagram.js';
import { diagonalDistance, pairDistance } from './ground.js';
import { minimumAssignment } from './hungarian.js';

/** Options of {@link wassersteinDistance}. @example `wassersteinDistance(a, b, { p: 2, internalP: Infinity })` */
export interface WassersteinOptions {
  /** The order p ≥ 1 (1 and 2 are the usual ones). Defaults to 1, as GUDHI's `order`. */
  p?: number;
  /** The ground metric L_q between diagram points, q ≥ 1. Defaults to Infinity, as GUDHI's `internal_p` and persim. */
  internalP?: number;
}

/**
 * The p-Wasserstein distance: (min over matchings of Σ |x − m(x)|_q^p)^(1/p), points matched
 * to each other or to the diagonal. Exact (Kuhn–Munkres on the (n+m) × (n+m) augmented cost
 * matrix, O((n+m)³): fine for diagrams of up to a few thousand points).
 *
 * Essential classes (death = Infinity) are matched among themselves by sorted birth; diagrams
 * with different numbers of them are at distance Infinity (persim returns a finite number —
 * we do not). Identical diagrams give exactly 0.
 *
 * @see Y. Mileyko, S. Mukherjee, J. Harer, "Probability measures on the space of persistence diagrams", Inverse Problems 27 (2011).
 * @see H. W. Kuhn, "The Hungarian method for the assignment problem", Naval Res. Logist. Q. 2 (1955).
 * @example
 * ```ts
 * import { wassersteinDistance } from '@mechint/topology';
 * wassersteinDistance([[0, 4], [1, 2]], [[0, 3]]);          // 1.5: 1 to move [0, 4], 0.5 to drop [1, 2]
 * wassersteinDistance([[0, 4], [1, 2]], [[0, 3]], { p: 2 }); // √1.25
 * ```
 */
export function wassersteinDistance(a: Diagram, b: Diagram, options: WassersteinOptions = {}): number {
  const p = options.p ?? 1;
  const q = options.internalP ?? Infinity;
  if (typeof p !== 'number' || !(p >= 1) || p === Infinity) throw new MechintError('INVALID_ARGUMENT', `wassersteinDistance: p must be a finite number ≥ 1; got ${p}. Use bottleneckDistance for p = ∞.`);
  if (typeof q !== 'number' || !(q >= 1)) throw new MechintError('INVALID_ARGUMENT', `wassersteinDistance: internalP must be ≥ 1 (or Infinity); got ${q}.`);
  checkDiagram(a, 'wassersteinDistance: the first diagram');
  checkDiagram(b, 'wassersteinDistance: the second diagram');
  const left = splitDiagram(a);
  const right = splitDiagram(b);
  if (left.essential.length !== right.essential.length) return Infinity;
  let total = 0;
  left.essential.forEach((birth, i) => (total += Math.abs(birth - right.essential[i]!) ** p));
  const n = left.finite.length;
  const m = right.finite.length;
  const size = n + m;
  if (size > 0) {
    // Rows: a's points, then b's diagonal slots. Columns: b's points, then a's diagonal slots.
    const cost = new Float64Array(size * size);
    for (let i = 0; i < n; i++) {
      const x = left.finite[i]!;
      for (let j = 0; j < m; j++) cost[i * size + j] = pairDistance(x, right.finite[j]!, q) ** p;
      const toDiagonal = diagonalDistance(x, q) ** p;
      for (let j = m; j < size; j++) cost[i * size + j] = toDiagonal;
    }
    for (let j = 0; j < m; j++) {
      const toDiagonal = diagonalDistance(right.finite[j]!, q) ** p;
      for (let i = n; i < size; i++) cost[i * size + j] = toDiagonal;
    }
    total += minimumAssignment(cost, size);
  }
  return total ** (1 / p);
}
