/**
 * (u, v)-flowers: deterministic fractal networks with a known box dimension.
 */
import { checkInteger } from '../math/signal.js';

/**
 * The (u, v)-flower of Rozenfeld, Havlin and ben-Avraham (2007) after `generations` steps, as an
 * adjacency list: start from one edge; at each step replace every edge by two parallel paths of u
 * and v edges. For 2 ≤ u ≤ v it is fractal with box dimension `ln(u + v) / ln u`.
 *
 * Throws `INVALID_ARGUMENT` for u < 1, v < u, generations < 1, or more than 2 000 000 edges.
 *
 * @see H. D. Rozenfeld, S. Havlin, D. ben-Avraham, "Fractal and transfractal recursive scale-free nets", New J. Phys. 9 (2007) 175.
 * @example
 * ```ts
 * import { uvFlower } from '@mechint/fractals';
 * uvFlower(2, 2, 1).length; // 4 nodes: a cycle
 * ```
 */
export function uvFlower(u: number, v: number, generations: number): number[][] {
  checkInteger(u, 'uvFlower: u', 1);
  checkInteger(v, 'uvFlower: v', u, Number.MAX_SAFE_INTEGER, 'Order the path lengths so that u ≤ v.');
  checkInteger(generations, 'uvFlower: generations', 1, Math.floor(Math.log(2e6) / Math.log(u + v)), 'The graph would exceed 2 000 000 edges.');
  let edges: [number, number][] = [[0, 1]];
  let nodes = 2;
  for (let g = 0; g < generations; g++) {
    const next: [number, number][] = [];
    for (const [a, b] of edges) {
      for (const length of [u, v]) {
        let previous = a;
        for (let step = 1; step < length; step++) {
          next.push([previous, nodes]);
          previous = nodes++;
        }
        next.push([previous, b]);
      }
    }
    edges = next;
  }
  const list: number[][] = Array.from({ length: nodes }, () => []);
  for (const [a, b] of edges) {
    list[a]!.push(b);
    list[b]!.push(a);
  }
  return list;
}
