import { MechintError } from '@mechint/core';
import { bottleneckDistance, wassersteinDistance } from '../src/index.js';
import { diagramOf, distanceOf, references } from './references.js';

describe('bottleneckDistance', () => {
  it('hand-computed cases', () => {
    expect(bottleneckDistance([[0, 4]], [[0, 3]])).toBe(1);
    // [1, 1.2] is 0.1 from the diagonal; matching it to [0, 4] would cost 2.8.
    expect(bottleneckDistance([[0, 4], [1, 1.2]], [[0, 4]])).toBeCloseTo(0.1, 15);
    // Two points swap partners: |[0, 2] − [0.5, 2.5]|∞ = 0.5 against 1 to the diagonal.
    expect(bottleneckDistance([[0, 2], [3, 5]], [[0.5, 2.5], [3, 5.25]])).toBe(0.5);
    expect(bottleneckDistance([], [[0, 1]])).toBe(0.5);
    expect(bottleneckDistance([], [])).toBe(0);
  });

  it('essential classes: matched by birth, and Infinity when their numbers differ', () => {
    expect(bottleneckDistance([[0, Infinity], [1, 2]], [[0.25, Infinity]])).toBe(0.5);
    expect(bottleneckDistance([[0, Infinity]], [[0, 1]])).toBe(Infinity);
    expect(bottleneckDistance([[0, Infinity], [0, Infinity]], [[0, Infinity]])).toBe(Infinity);
  });

  it('identical diagrams and repeated intervals give 0', () => {
    const diagram = diagramOf(references.distances[0]!.a);
    expect(bottleneckDistance(diagram, diagram)).toBe(0);
    expect(bottleneckDistance([[0, 1], [0, 1], [0, 1]], [[0, 1], [0, 1], [0, 1]])).toBe(0);
    expect(bottleneckDistance([[0, 1], [0, 1], [2, 2]], [[0, 1], [0, 1], [5, 5]])).toBe(0);
  });

  it('agrees with gudhi.bottleneck_distance on the committed diagrams', () => {
    for (const { a, b, bottleneck } of references.distances) {
      const ours = bottleneckDistance(diagramOf(a), diagramOf(b));
      if (bottleneck === null) expect(ours).toBe(Infinity);
      else expect(Math.abs(ours - bottleneck)).toBeLessThanOrEqual(1e-12);
    }
  });
});

describe('wassersteinDistance', () => {
  it('hand-computed cases, p = 1 and 2', () => {
    expect(wassersteinDistance([[0, 4], [1, 2]], [[0, 3]])).toBe(1.5);
    expect(wassersteinDistance([[0, 4], [1, 2]], [[0, 3]], { p: 2 })).toBe(Math.sqrt(1.25));
    expect(wassersteinDistance([], [[0, 2], [0, 4]])).toBe(3);
    expect(wassersteinDistance([], [[0, 2], [0, 4]], { p: 2 })).toBe(Math.sqrt(5));
    // L1 ground metric: [0, 4] → [0, 3] costs 1; [1, 2] to the diagonal costs 2 · 0.5 = 1.
    expect(wassersteinDistance([[0, 4], [1, 2]], [[0, 3]], { internalP: 1 })).toBe(2);
  });

  it('essential classes: matched by sorted birth, Infinity when their numbers differ', () => {
    expect(wassersteinDistance([[0, Infinity], [2, Infinity]], [[2.5, Infinity], [0.25, Infinity]])).toBe(0.75);
    expect(wassersteinDistance([[0, Infinity]], [])).toBe(Infinity);
  });

  it('identical diagrams and repeated intervals give 0', () => {
    const diagram = diagramOf(references.distances[1]!.a);
    expect(wassersteinDistance(diagram, diagram)).toBe(0);
    expect(wassersteinDistance([[0, 1], [0, 1]], [[0, 1], [0, 1]], { p: 2 })).toBe(0);
  });

  it('agrees with scipy.optimize.linear_sum_assignment on the augmented cost matrix', () => {
    for (const { a, b, wasserstein1, wasserstein2 } of references.distances) {
      const one = wassersteinDistance(diagramOf(a), diagramOf(b));
      const two = wassersteinDistance(diagramOf(a), diagramOf(b), { p: 2 });
      if (wasserstein1 === null) expect(one).toBe(distanceOf(wasserstein1));
      else expect(Math.abs(one - wasserstein1)).toBeLessThanOrEqual(1e-12);
      if (wasserstein2 === null) expect(two).toBe(Infinity);
      else expect(Math.abs(two - wasserstein2)).toBeLessThanOrEqual(1e-12);
    }
  });
});

describe('diagram distances reject bad diagrams', () => {
  const bad: [string, () => unknown, RegExp][] = [
    ['death before birth', () => bottleneckDistance([[1, 0]], []), /deaths ≥ births/],
    ['NaN birth', () => wassersteinDistance([[NaN, 1]], []), /births must be finite/],
    ['not a pair', () => bottleneckDistance([[1, 2, 3] as unknown as [number, number]], []), /not a \[birth, death\] pair/],
    ['p < 1', () => wassersteinDistance([], [], { p: 0.5 }), /p must be a finite number ≥ 1/],
    ['internalP < 1', () => wassersteinDistance([], [], { internalP: 0 }), /internalP/],
  ];
  it.each(bad)('%s', (_, run, message) => {
    expect(run).toThrow(MechintError);
    expect(run).toThrow(message);
  });
});
