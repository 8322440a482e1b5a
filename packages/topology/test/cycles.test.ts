import { ripsPersistence, type Progress, type RipsResult } from '../src/index.js';
import { boundaryOf, diameter, isBoundaryZ2, subsets } from './chains.js';
import { uniformCube } from './prng.js';
import { references } from './references.js';

const SQRT2 = Math.SQRT2;
const cloud = (name: string) => references.rips.find((r) => r.name === name)!.points!;
const octahedron = [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]];

/** Every cycle of dimension ≥ 1 has zero boundary over Z/p, its own dimension, and the birth as largest filtration value. */
function expectCyclesClosed(result: RipsResult, p: number, points?: number[][]): number {
  let checked = 0;
  result.diagrams.forEach((diagram, d) => {
    expect(result.cycles![d]).toHaveLength(d === 0 ? 0 : diagram.length);
    if (d === 0) return;
    diagram.forEach(([birth], i) => {
      const cycle = result.cycles![d]![i]!;
      expect(cycle.simplices.every((s) => s.length === d + 1 && s.every((v, j) => j === 0 || s[j - 1]! < v))).toBe(true);
      expect(cycle.coefficients.every((c) => c > 0 && c < p)).toBe(true);
      expect(boundaryOf(cycle, p).size).toBe(0);
      expect(Math.max(...cycle.filtrations)).toBe(birth);
      if (points !== undefined) cycle.simplices.forEach((s, k) => expect(cycle.filtrations[k]).toBeCloseTo(diameter(points, s), 12));
      checked++;
    });
  });
  return checked;
}

describe('representative cycles (cycles: true)', () => {
  it('the unit square: the H1 cycle is its four sides, born at 1 (hand computed)', async () => {
    const result = await ripsPersistence([[0, 0], [1, 0], [1, 1], [0, 1]], { cycles: true });
    expect(result.diagrams[1]).toEqual([[1, SQRT2]]);
    expect(result.cycles![0]).toEqual([]);
    const [cycle] = result.cycles![1]!;
    expect(cycle!.simplices.map((s) => s.join(',')).sort()).toEqual(['0,1', '0,3', '1,2', '2,3']);
    expect(cycle!.coefficients).toEqual([1, 1, 1, 1]);
    expect(cycle!.filtrations).toEqual([1, 1, 1, 1]);
  });

  it('the square cut at 1.2: the essential class is represented by the four sides too, over Z/5', async () => {
    const result = await ripsPersistence([[0, 0], [1, 0], [1, 1], [0, 1]], { cycles: true, threshold: 1.2, coefficients: 5 });
    expect(result.diagrams[1]).toEqual([[1, Infinity]]);
    expect(result.cycles![1]![0]!.simplices.map((s) => s.join(',')).sort()).toEqual(['0,1', '0,3', '1,2', '2,3']);
    expectCyclesClosed(result, 5);
  });

  it.each([2, 3])('the octahedron: the H2 cycle is its eight faces, closed over Z/%i (hand computed)', async (p) => {
    const result = await ripsPersistence(octahedron, { maxDim: 2, cycles: true, coefficients: p });
    expect(result.diagrams[2]).toEqual([[SQRT2, 2]]);
    const faces = subsets(6, 3).filter((s) => s.every((a) => s.every((b) => a === b || (a >> 1) !== (b >> 1))));
    expect(faces).toHaveLength(8);
    expect(result.cycles![2]![0]!.simplices.map((s) => s.join(',')).sort()).toEqual(faces.map((s) => s.join(',')).sort());
    expectCyclesClosed(result, p);
  });

  it('a noisy circle: the long bar is represented by one loop winding once around the centre', async () => {
    const points = cloud('noisy circle');
    const result = await ripsPersistence(points, { cycles: true });
    const index = result.diagrams[1]!.findIndex(([b, d]) => d - b > 0.5);
    const { simplices } = result.cycles![1]![index]!;
    const next = new Map<number, number[]>();
    for (const [a, b] of simplices) {
      next.set(a!, [...(next.get(a!) ?? []), b!]);
      next.set(b!, [...(next.get(b!) ?? []), a!]);
    }
    expect([...next.values()].every((ends) => ends.length === 2)).toBe(true);
    const centre = [0, 1].map((axis) => points.reduce((sum, p) => sum + p[axis]!, 0) / points.length);
    const angle = (v: number) => Math.atan2(points[v]![1]! - centre[1]!, points[v]![0]! - centre[0]!);
    // Walk the loop once, summing the turns of the angle around the centre.
    let [previous, current] = simplices[0]!;
    let winding = 0;
    const octants = new Set<number>();
    for (let step = 0; step < simplices.length; step++) {
      const turn = angle(current!) - angle(previous!);
      winding += turn - 2 * Math.PI * Math.round(turn / (2 * Math.PI));
      octants.add(Math.floor(((angle(current!) + Math.PI) / (2 * Math.PI)) * 8) % 8);
      [previous, current] = [current, next.get(current!)!.find((v) => v !== previous)!];
    }
    expect(current).toBe(simplices[0]![1]);
    expect(Math.abs(Math.round(winding / (2 * Math.PI)))).toBe(1);
    expect(octants.size).toBe(8);
  });

  it.each([2, 3, 5])('every cycle is closed over Z/%i and ends at its birth, finite or essential', async (p) => {
    const points = cloud('cube cloud');
    const full = await ripsPersistence(points, { maxDim: 2, cycles: true, coefficients: p });
    expect(expectCyclesClosed(full, p, points)).toBeGreaterThan(15);
    // Cut at 0.35, seven H1 classes are alive; at 0.5, one H2 class.
    for (const [threshold, d] of [[0.35, 1], [0.5, 2]] as const) {
      const cut = await ripsPersistence(points, { maxDim: 2, cycles: true, coefficients: p, threshold });
      expect(cut.diagrams[d]!.some(([, death]) => death === Infinity)).toBe(true);
      expect(expectCyclesClosed(cut, p, points)).toBeGreaterThan(15);
    }
  });

  it.each([
    ['H1 of 14 points in the plane (two finite pairs)', uniformCube(14, 2, 7), 1, Infinity],
    ['H1 of 14 points in the plane cut at 0.3 (one essential class)', uniformCube(14, 2, 7), 1, 0.3],
    ['12 points on a sphere (seven H1 pairs, one H2 pair)', sphere(12), 2, Infinity],
    ['12 points on a sphere cut at 1.1 (seven essential H1 classes)', sphere(12), 2, 1.1],
    ['12 points on a sphere cut at 1.5 (an essential H2 class)', sphere(12), 2, 1.5],
  ] as const)('%s: each cycle is a boundary at its death and not before (Z/2)', async (_, points, maxDim, threshold) => {
    // A distance matrix of the same diameters as the check's, so that the comparisons are exact.
    const distanceMatrix = points.map((a, i) => points.map((_, j) => diameter(points as number[][], [i, j])));
    const result = await ripsPersistence({ distanceMatrix }, { maxDim, threshold, cycles: true });
    let pairs = 0;
    for (let d = 1; d <= maxDim; d++) {
      const cofaces = subsets(points.length, d + 2).map((s) => ({ s, diam: diameter(points as number[][], s) }));
      const boundaryWithin = (simplices: number[][], keep: (diam: number) => boolean) => isBoundaryZ2(simplices, cofaces.filter((c) => keep(c.diam)).map((c) => c.s));
      result.diagrams[d]!.forEach(([, death], i) => {
        const { simplices } = result.cycles![d]![i]!;
        const alive = death === Infinity ? (diam: number) => diam <= result.threshold : (diam: number) => diam < death;
        expect(boundaryWithin(simplices, alive)).toBe(false);
        if (death !== Infinity) expect(boundaryWithin(simplices, (diam) => diam <= death)).toBe(true);
        pairs++;
      });
    }
    expect(pairs).toBeGreaterThan(0);
  });

  it('leaves the diagrams and cocycles as they are, and reports its phase', async () => {
    const points = cloud('cube cloud');
    const phases = new Set<Progress['phase']>();
    const plain = await ripsPersistence(points, { maxDim: 2, cocycles: true });
    const both = await ripsPersistence(points, { maxDim: 2, cocycles: true, cycles: true, onProgress: (p) => phases.add(p.phase) });
    expect(both.diagrams).toEqual(plain.diagrams);
    expect(both.cocycles).toEqual(plain.cocycles);
    expect(plain.cycles).toBeUndefined();
    expect(phases.has('cycles')).toBe(true);
  });
});

/** Points spread over the unit sphere (a Fibonacci lattice). */
function sphere(n: number): number[][] {
  return Array.from({ length: n }, (_, i) => {
    const z = 1 - (2 * i + 1) / n;
    const r = Math.sqrt(1 - z * z);
    const phi = i * Math.PI * (3 - Math.sqrt(5));
    return [r * Math.cos(phi), r * Math.sin(phi), z];
  });
}
