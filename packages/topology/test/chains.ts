/** Chain checks for representative cycles: boundaries over Z/p and boundary membership over Z/2. */
import type { Cycle } from '../src/index.js';

/** The boundary of a chain over Z/p (ascending vertex lists, dropping vertex i has sign (−1)^i): non-zero entries only. */
export function boundaryOf(cycle: Cycle, p: number): Map<string, number> {
  const sum = new Map<string, number>();
  cycle.simplices.forEach((simplex, s) => {
    simplex.forEach((_, i) => {
      const key = simplex.filter((_, j) => j !== i).join(',');
      const sign = i % 2 === 0 ? 1 : p - 1;
      sum.set(key, ((sum.get(key) ?? 0) + sign * cycle.coefficients[s]!) % p);
    });
  });
  for (const [key, value] of sum) if (value === 0) sum.delete(key);
  return sum;
}

/** All k-subsets of 0 … n − 1, ascending. */
export function subsets(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  const out: number[][] = [];
  for (let last = k - 1; last < n; last++) for (const rest of subsets(last, k - 1)) out.push([...rest, last]);
  return out;
}

/** The Rips diameter of a simplex of `points`. */
export function diameter(points: number[][], simplex: number[]): number {
  let diam = 0;
  for (const a of simplex) for (const b of simplex) diam = Math.max(diam, Math.hypot(...points[a]!.map((x, i) => x - points[b]![i]!)));
  return diam;
}

/** Whether the Z/2 chain `simplices` is the boundary of some chain of the (d+1)-simplices `cofaces`. */
export function isBoundaryZ2(simplices: number[][], cofaces: number[][]): boolean {
  const bits = new Map<string, bigint>();
  const bit = (key: string) => bits.get(key) ?? (bits.set(key, 1n << BigInt(bits.size)), bits.get(key)!);
  const vector = (chain: number[][]) => chain.reduce((v, s) => v ^ bit(s.join(',')), 0n);
  const high = (v: bigint) => v.toString(2).length;
  const basis = new Map<number, bigint>();
  const reduce = (v: bigint) => {
    while (v !== 0n && basis.has(high(v))) v ^= basis.get(high(v))!;
    return v;
  };
  for (const coface of cofaces) {
    const v = reduce(vector(coface.map((_, i) => coface.filter((_, j) => j !== i))));
    if (v !== 0n) basis.set(high(v), v);
  }
  return reduce(vector(simplices)) === 0n;
}
