import { ripsPersistence } from '../src/index.js';
import { diagramOf, references } from './references.js';

describe('ripsPersistence agrees with GUDHI on the committed clouds', () => {
  for (const reference of references.rips) {
    it(`${reference.name} (H0…H${reference.maxDim}, Z/${reference.field})`, async () => {
      const input = reference.points ?? { distanceMatrix: reference.distanceMatrix! };
      const { diagrams } = await ripsPersistence(input, {
        maxDim: reference.maxDim,
        coefficients: reference.field,
        ...(reference.threshold === null ? {} : { threshold: reference.threshold }),
      });
      expect(diagrams).toHaveLength(reference.maxDim + 1);
      reference.diagrams.forEach((expected, d) => {
        const ours = diagrams[d]!;
        const theirs = diagramOf(expected);
        expect(ours.length).toBe(theirs.length);
        ours.forEach(([birth, death], i) => {
          const [b, e] = theirs[i]!;
          expect(Math.abs(birth - b)).toBeLessThanOrEqual(1e-12);
          if (e === Infinity) expect(death).toBe(Infinity);
          else expect(Math.abs(death - e)).toBeLessThanOrEqual(1e-12);
        });
      });
    });
  }
});
