import { MechintError, seededRandom } from '@mechint/core';
import { curvature, localPCADimension, mleDimension, nearestNeighbours, participationRatio, twoNN } from '../src/index.js';
import { references } from './references.js';

const cloud = (name: string) => references.dimension.find((d) => d.name === name)!;

describe('nearestNeighbours', () => {
  it('on a line (hand computed)', async () => {
    const { distances, indices } = await nearestNeighbours([[0, 0], [1, 0], [3, 0], [7, 0]], 2);
    expect(distances.toArray()).toEqual([[1, 3], [1, 2], [2, 3], [4, 6]]);
    expect(indices.toArray()).toEqual([[1, 2], [0, 2], [1, 0], [2, 1]]);
  });

  it('rejects k outside 1 … n − 1', async () => {
    await expect(nearestNeighbours([[0], [1]], 2)).rejects.toThrow(/k must be an integer from 1 to n − 1 = 1/);
  });
});

describe('twoNN', () => {
  for (const [name, dim] of [['2-plane in R^5', 2], ['3-cube', 3]] as const) {
    it(`${name}: matches the numpy reference and the known dimension ${dim}`, async () => {
      const ref = cloud(name);
      const fit = await twoNN(ref.points);
      const mle = await twoNN(ref.points, { estimator: 'mle' });
      expect(Math.abs(fit.dimension - ref.twoNN)).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(mle.dimension - ref.twoNNMle)).toBeLessThanOrEqual(1e-9);
      expect(fit.excluded).toBe(0);
      expect(Math.abs(fit.dimension - dim)).toBeLessThan(0.25);
    });
  }

  it('leaves out points whose nearest neighbour is a duplicate', async () => {
    const points = cloud('3-cube').points.slice(0, 200);
    const { excluded } = await twoNN([...points, points[0]!]);
    expect(excluded).toBe(2);
  });

  it('rejects bad options', async () => {
    await expect(twoNN([[0], [1], [2]], { discardFraction: 1 })).rejects.toThrow(MechintError);
    await expect(twoNN([[0], [1]])).rejects.toThrow(/at least 3/);
  });
});

describe('mleDimension', () => {
  it('matches the numpy Levina-Bickel reference (k = 20), both poolings', async () => {
    for (const ref of references.dimension) {
      const mean = await mleDimension(ref.points);
      const inverse = await mleDimension(ref.points, { average: 'inverse' });
      expect(Math.abs(mean.dimension - ref.mle20)).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(inverse.dimension - ref.mle20Inverse)).toBeLessThanOrEqual(1e-9);
    }
  });

  it('rejects k < 2', async () => {
    await expect(mleDimension([[0], [1], [2]], { k: 1 })).rejects.toThrow(/k must be an integer ≥ 2/);
  });
});

describe('participationRatio', () => {
  it('matches numpy on the committed clouds', async () => {
    for (const ref of references.dimension) expect(Math.abs((await participationRatio(ref.points)) - ref.participationRatio)).toBeLessThanOrEqual(1e-9);
  });

  it('closed forms: two equal directions give 2; a Gram matrix (dim > n) gives the same', async () => {
    expect(await participationRatio([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]])).toBeCloseTo(2, 14);
    const axis = (i: number, value: number) => Array.from({ length: 10 }, (_, j) => (j === i ? value : 0));
    const rows = [axis(0, 3), axis(0, -3), axis(1, 3), axis(1, -3)];
    expect(await participationRatio(rows)).toBeCloseTo(2, 14);
  });
});

describe('localPCADimension', () => {
  it('is exactly 2 everywhere on a 2-plane in R^5 and 3 in a 3-cube', async () => {
    expect((await localPCADimension(cloud('2-plane in R^5').points.slice(0, 300), { k: 12 })).dimension).toBe(2);
    const cube = await localPCADimension(cloud('3-cube').points.slice(0, 300), { k: 12 });
    expect(cube.perPoint.every((d) => d === 3)).toBe(true);
  });

  it('rejects alpha outside (0, 1)', async () => {
    await expect(localPCADimension([[0], [1], [2]], { alpha: 1 })).rejects.toThrow(/alpha/);
  });
});

describe('curvature', () => {
  it('a circle of radius 2: mean curvature 1/2, scalar curvature 0 (closed form)', async () => {
    const circle = Array.from({ length: 120 }, (_, i) => [2 * Math.cos((2 * Math.PI * i) / 120), 2 * Math.sin((2 * Math.PI * i) / 120)]);
    const { mean } = await curvature(circle, { dim: 1, k: 8 });
    expect(Math.abs(mean.meanCurvature - 0.5)).toBeLessThan(0.01);
    expect(mean.scalarCurvature).toBe(0);
  });

  it('a unit sphere: mean curvature 1, scalar curvature 2 (closed form), within 5 %', async () => {
    const rand = seededRandom(11);
    const sphere = Array.from({ length: 1500 }, () => {
      const z = 2 * rand() - 1;
      const phi = 2 * Math.PI * rand();
      const r = Math.sqrt(1 - z * z);
      return [r * Math.cos(phi), r * Math.sin(phi), z];
    });
    const { mean } = await curvature(sphere, { dim: 2, k: 12 });
    expect(Math.abs(mean.meanCurvature - 1)).toBeLessThan(0.05);
    expect(Math.abs(mean.scalarCurvature - 2)).toBeLessThan(0.1);
  });

  it('needs dim below the ambient dimension and enough neighbours', async () => {
    await expect(curvature([[0, 0], [1, 1]], { dim: 2, k: 1 })).rejects.toThrow(/pass k > 6/);
    const line = Array.from({ length: 10 }, (_, i) => [i]);
    await expect(curvature(line, { dim: 1, k: 4 })).rejects.toThrow(/no normal direction/);
  });
});
