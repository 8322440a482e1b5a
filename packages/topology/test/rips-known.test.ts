import { Tensor } from '@mechint/core';
import { ripsPersistence, type Diagram } from '../src/index.js';
import { references } from './references.js';

const SQRT2 = Math.SQRT2;
const long = (diagram: Diagram, minimum: number) => diagram.filter(([b, d]) => d - b > minimum);
const cloud = (name: string) => references.rips.find((r) => r.name === name)!;

describe('ripsPersistence on spaces with known homology', () => {
  it('a unit square: H0 [0, 1) three times and one essential class, H1 [1, √2) (hand computed)', async () => {
    const { diagrams } = await ripsPersistence([[0, 0], [1, 0], [1, 1], [0, 1]]);
    expect(diagrams[0]).toEqual([[0, 1], [0, 1], [0, 1], [0, Infinity]]);
    expect(diagrams[1]).toEqual([[1, SQRT2]]);
  });

  it('the square under other metrics: L1 diagonal 2, L∞ diagonal 1 (hand computed)', async () => {
    const square = [[0, 0], [1, 0], [1, 1], [0, 1]];
    expect((await ripsPersistence(square, { metric: 'manhattan' })).diagrams[1]).toEqual([[1, 2]]);
    expect((await ripsPersistence(square, { metric: 'chebyshev' })).diagrams[1]).toEqual([]);
  });

  it('the octahedron (cross-polytope in R³): one H2 class [√2, 2) (hand computed)', async () => {
    const octahedron = [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]];
    const { diagrams } = await ripsPersistence(octahedron, { maxDim: 2 });
    expect(diagrams[1]).toEqual([]);
    expect(diagrams[2]).toEqual([[SQRT2, 2]]);
  });

  it('a noisy circle has one long H1 bar', async () => {
    const { diagrams } = await ripsPersistence(cloud('noisy circle').points!);
    expect(long(diagrams[1]!, 0.5)).toHaveLength(1);
    expect(long(diagrams[0]!, 0.5)).toEqual([[0, Infinity]]);
  });

  it('a torus has two long H1 bars and one H2 bar', async () => {
    const torus = cloud('torus');
    const { diagrams } = await ripsPersistence(torus.points!, { maxDim: 2, threshold: torus.threshold! });
    expect(long(diagrams[1]!, 0.3)).toHaveLength(2);
    expect(long(diagrams[2]!, 0.3)).toHaveLength(1);
  });

  it('points on a sphere: one H2 bar, no long H1 bar', async () => {
    const sphere = cloud('sphere');
    const { diagrams } = await ripsPersistence(sphere.points!, { maxDim: 2, threshold: sphere.threshold! });
    expect(long(diagrams[2]!, 0.2)).toEqual([[expect.any(Number), Infinity]]);
    expect(long(diagrams[1]!, 0.4)).toHaveLength(0);
  });

  it('the projective plane: its H2 class exists over Z/2 but not over Z/3', async () => {
    const z2 = cloud('projective plane, Z/2');
    const input = { distanceMatrix: z2.distanceMatrix! };
    const two = await ripsPersistence(input, { maxDim: 2, threshold: 1 });
    const three = await ripsPersistence(input, { maxDim: 2, threshold: 1, coefficients: 3 });
    expect(two.diagrams[2]).toHaveLength(1);
    expect(three.diagrams[2]).toHaveLength(0);
  });

  it('a Tensor and nested rows give the same diagrams', async () => {
    const points = cloud('cube cloud').points!;
    const tensor = Tensor.from(points.flat(), [points.length, 3], 'float64');
    expect((await ripsPersistence(tensor, { maxDim: 2 })).diagrams).toEqual((await ripsPersistence(points, { maxDim: 2 })).diagrams);
  });

  it('a threshold leaves classes alive at it essential, and reports the threshold and edges', async () => {
    const result = await ripsPersistence([[0, 0], [1, 0], [1, 1], [0, 1]], { threshold: 1.2 });
    expect(result.diagrams[1]).toEqual([[1, Infinity]]);
    expect(result.threshold).toBe(1.2);
    expect(result.edges).toBe(4);
  });

  it('without a threshold the filtration stops at the enclosing radius (√2 for the square)', async () => {
    const result = await ripsPersistence([[0, 0], [1, 0], [1, 1], [0, 1]]);
    expect(result.threshold).toBe(SQRT2);
    expect(result.edges).toBe(6);
  });

  it('maxDim above n − 2 gives empty diagrams for the dimensions that cannot exist', async () => {
    const { diagrams } = await ripsPersistence([[0], [1], [3]], { maxDim: 3 });
    expect(diagrams).toEqual([[[0, 1], [0, 2], [0, Infinity]], [], [], []]);
  });

  it('maxDim > 3 runs with allowHighDimensions: the cross-polytope in R⁵ has H4 [√2, 2)', async () => {
    const points = [0, 1, 2, 3, 4].flatMap((axis) => [1, -1].map((sign) => [0, 1, 2, 3, 4].map((i) => (i === axis ? sign : 0))));
    const { diagrams } = await ripsPersistence(points, { maxDim: 4, allowHighDimensions: true });
    expect(diagrams[4]).toEqual([[SQRT2, 2]]);
    expect(diagrams[3]).toEqual([]);
  });
});

describe('representative cocycles', () => {
  it('H1 of the square: a cocycle on edges, non-zero on a side of the square', async () => {
    const { diagrams, cocycles } = await ripsPersistence([[0, 0], [1, 0], [1, 1], [0, 1]], { cocycles: true });
    expect(diagrams[1]).toEqual([[1, SQRT2]]);
    const [cocycle] = cocycles![1]!;
    // Birth at 1: the cocycle lives on the four sides (the complex at scale 1 has no triangle), and must be non-zero there.
    expect(cocycle!.simplices.every((s) => s.length === 2)).toBe(true);
    expect(cocycle!.coefficients.every((c) => c === 1)).toBe(true);
    const sides = new Set(['0,1', '1,2', '2,3', '0,3']);
    expect(cocycle!.simplices.some((s) => sides.has(s.join(',')))).toBe(true);
  });

  it('H1 of the noisy circle over Z/3: the cocycle is closed on every triangle present before its death', async () => {
    const points = cloud('noisy circle').points!;
    const result = await ripsPersistence(points, { cocycles: true, coefficients: 3 });
    const index = result.diagrams[1]!.findIndex(([b, d]) => d - b > 0.5);
    const [birth, death] = result.diagrams[1]![index]!;
    const cocycle = result.cocycles![1]![index]!;
    const value = new Map(cocycle.simplices.map((s, i) => [s.join(','), cocycle.coefficients[i]!]));
    const dist = (i: number, j: number) => Math.hypot(points[i]![0]! - points[j]![0]!, points[i]![1]! - points[j]![1]!);
    const on = (i: number, j: number) => value.get([Math.min(i, j), Math.max(i, j)].join(',')) ?? 0;
    let checked = 0;
    let broken = 0;
    for (let a = 0; a < points.length; a++) {
      for (let b = a + 1; b < points.length; b++) {
        for (let c = b + 1; c < points.length; c++) {
          const diameter = Math.max(dist(a, b), dist(a, c), dist(b, c));
          if (diameter >= death || diameter < birth) continue;
          // δφ(a, b, c) = φ(b, c) − φ(a, c) + φ(a, b) ≡ 0 (mod 3)
          if ((((on(b, c) - on(a, c) + on(a, b)) % 3) + 3) % 3 !== 0) broken++;
          checked++;
        }
      }
    }
    expect(broken).toBe(0);
    expect(checked).toBeGreaterThan(1000);
    expect(result.cocycles![0]).toHaveLength(result.diagrams[0]!.length);
  });
});
