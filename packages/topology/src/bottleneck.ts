/**
 * The bottleneck distance between persistence diagrams, exactly: a binary search over the
 * candidate values (every pairwise and point-to-diagonal distance) with a perfect-matching test.
 */
import { checkDiagram, splitDiagram, type Diagram, type PersistencePair } from './diagram.js';
import { diagonalDistance, pairDistance } from './ground.js';
import { maximumMatching } from './matching.js';

/**
 * The bottleneck distance: the smallest ε such that the points of the two diagrams can be
 * matched to each other or to the diagonal, every point moving at most ε (L∞ in the
 * birth-death plane, as GUDHI and persim).
 *
 * Essential classes (death = Infinity) are matched among themselves by birth; diagrams with
 * different numbers of them are at distance Infinity (persim returns a finite number there —
 * we do not). Identical diagrams and repeated intervals give exactly 0.
 *
 * @see H. Edelsbrunner, J. Harer, "Computational Topology: An Introduction", AMS (2010), §VIII.4.
 * @see M. Kerber, D. Morozov, A. Nigmetov, "Geometry helps to compare persistence diagrams", ACM JEA 22 (2017).
 * @example
 * ```ts
 * import { bottleneckDistance } from '@mechint/topology';
 * bottleneckDistance([[0, 4]], [[0, 3]]);                 // 1
 * bottleneckDistance([[0, 2], [1, 1.2]], [[0, 2]]);        // ≈ 0.1 (the short bar goes to the diagonal)
 * bottleneckDistance([[0, Infinity]], [[0, 1]]);          // Infinity
 * ```
 */
export function bottleneckDistance(a: Diagram, b: Diagram): number {
  checkDiagram(a, 'bottleneckDistance: the first diagram');
  checkDiagram(b, 'bottleneckDistance: the second diagram');
  const left = splitDiagram(a);
  const right = splitDiagram(b);
  if (left.essential.length !== right.essential.length) return Infinity;
  let essential = 0;
  left.essential.forEach((birth, i) => (essential = Math.max(essential, Math.abs(birth - right.essential[i]!))));
  return Math.max(essential, finiteBottleneck(left.finite, right.finite));
}

function finiteBottleneck(a: readonly PersistencePair[], b: readonly PersistencePair[]): number {
  const n = a.length;
  const m = b.length;
  if (n + m === 0) return 0;
  const cross = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) cross[i * m + j] = pairDistance(a[i]!, b[j]!, Infinity);
  const toDiagonalA = Float64Array.from(a, (p) => diagonalDistance(p, Infinity));
  const toDiagonalB = Float64Array.from(b, (p) => diagonalDistance(p, Infinity));
  const candidates = new Float64Array(n * m + n + m + 1);
  candidates.set(cross);
  candidates.set(toDiagonalA, n * m);
  candidates.set(toDiagonalB, n * m + n);
  candidates.sort();
  const feasible = (eps: number): boolean => {
    // Left: a_0…a_{n−1}, then the diagonal copies of b. Right: b_0…b_{m−1}, then the diagonal copies of a.
    const start = new Int32Array(n + m + 1);
    const targets: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) if (cross[i * m + j]! <= eps) targets.push(j);
      if (toDiagonalA[i]! <= eps) targets.push(m + i);
      start[i + 1] = targets.length;
    }
    for (let j = 0; j < m; j++) {
      if (toDiagonalB[j]! <= eps) targets.push(j);
      for (let i = 0; i < n; i++) targets.push(m + i);
      start[n + j + 1] = targets.length;
    }
    return maximumMatching(n + m, n + m, start, Int32Array.from(targets)) === n + m;
  };
  let lo = 0;
  let hi = candidates.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (feasible(candidates[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return candidates[lo]!;
}
