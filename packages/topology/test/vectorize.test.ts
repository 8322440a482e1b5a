import { MechintError } from '@mechint/core';
import { bettiCurve, persistenceImage, persistenceLandscape } from '../src/index.js';
import { diagramOf, references } from './references.js';

describe('bettiCurve', () => {
  it('counts the classes alive at each sample (hand computed)', () => {
    const { t, values } = bettiCurve([[0, 2], [1, 3], [0, Infinity]], { samples: [0, 1, 2, 3, 10] });
    expect(Array.from(t)).toEqual([0, 1, 2, 3, 10]);
    expect(Array.from(values)).toEqual([2, 3, 2, 1, 1]);
  });

  it('samples evenly over the finite pairs by default (100 samples)', () => {
    const { t } = bettiCurve([[0, 2], [1, 3]]);
    expect(t).toHaveLength(100);
    expect([t[0], t[99]]).toEqual([0, 3]);
  });
});

describe('persistenceLandscape', () => {
  it('λ1 and λ2 of two overlapping tents (hand computed)', () => {
    const { layers } = persistenceLandscape([[0, 2], [1, 3]], { samples: [0, 0.5, 1, 1.5, 2, 2.5, 3], layers: 3 });
    expect(Array.from(layers[0]!)).toEqual([0, 0.5, 1, 0.5, 1, 0.5, 0]);
    expect(Array.from(layers[1]!)).toEqual([0, 0, 0, 0.5, 0, 0, 0]);
    expect(Array.from(layers[2]!)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('leaves out essential classes', () => {
    const { layers } = persistenceLandscape([[0, 2], [0, Infinity]], { samples: [1] });
    expect(Array.from(layers[0]!)).toEqual([1]);
  });
});

describe('persistenceImage', () => {
  it('agrees with the Gaussian pixel integrals of scipy.stats.norm.cdf', () => {
    const ref = references.image;
    const { image, birthEdges, persistenceEdges } = persistenceImage(diagramOf(ref.diagram), {
      birthRange: ref.birthRange,
      persistenceRange: ref.persistenceRange,
      pixelSize: ref.pixelSize,
      sigma: ref.sigma,
      n: ref.n,
    });
    expect(image.shape).toEqual([ref.image.length, ref.image[0]!.length]);
    expect(birthEdges).toHaveLength(6);
    expect(persistenceEdges).toHaveLength(6);
    ref.image.flat().forEach((v, i) => expect(Math.abs(image.data[i]! - v)).toBeLessThanOrEqual(1e-12));
  });

  it('a point far inside a wide grid keeps its whole weight (closed form: Σ pixels = persistence)', () => {
    const { image } = persistenceImage([[5, 7]], { birthRange: [0, 10], persistenceRange: [-8, 12], pixelSize: 0.5, sigma: 0.5 });
    expect(image.data.reduce((s, v) => s + v, 0)).toBeCloseTo(2, 12);
  });
});

describe('vectorisations reject bad options', () => {
  const bad: [string, () => unknown, RegExp][] = [
    ['no finite pair and no range', () => bettiCurve([[0, Infinity]]), /pass \{ range/],
    ['decreasing samples', () => bettiCurve([[0, 1]], { samples: [1, 0] }), /increasing/],
    ['resolution 1', () => persistenceLandscape([[0, 1]], { resolution: 1 }), /resolution/],
    ['zero layers', () => persistenceLandscape([[0, 1]], { layers: 0 }), /layers/],
    ['sigma 0', () => persistenceImage([[0, 1]], { sigma: 0 }), /sigma/],
    ['empty birth range', () => persistenceImage([[0, 1]], { birthRange: [1, 1] }), /birthRange/],
  ];
  it.each(bad)('%s', (_, run, message) => {
    expect(run).toThrow(MechintError);
    expect(run).toThrow(message);
  });
});
