import { SPECTRAL_RULES } from '../src/grad/rules/spectral.js';
import { expectGradientsMatch, testData, type GradCheck } from './helpers/gradcheck.js';

/**
 * DFT against central finite differences of a one-node graph, in float64 (h = 1e-6, 1e-6
 * relative), at its opset-17 form (axis attribute) and its opset-20 form (axis input).
 */

const covered = new Set<string>();
function checks(op: string, title: string, spec: () => GradCheck): void {
  covered.add(op);
  it(title, () => expectGradientsMatch(spec()));
}

for (const opset of [17, 20]) {
  describe(`DFT (opset ${opset})`, () => {
    checks('DFT', 'of a complex signal [2,5,2] along axis 1', () => ({ opset, inputs: { x: testData(1300).uniform([2, 5, 2]) }, build: (g, { x }) => g.dft(x!, { axis: 1 }) }));
    checks('DFT', 'inverse, of a complex signal', () => ({ opset, inputs: { x: testData(1301).uniform([2, 4, 2]) }, build: (g, { x }) => g.dft(x!, { axis: 1, inverse: true }) }));
    checks('DFT', 'one-sided, of a real signal [2,6,1]', () => ({ opset, inputs: { x: testData(1302).uniform([2, 6, 1]) }, build: (g, { x }) => g.dft(x!, { axis: 1, onesided: true }) }));
    checks('DFT', 'one-sided, of a real signal of odd length [1,5,1]', () => ({ opset, inputs: { x: testData(1303).uniform([1, 5, 1]) }, build: (g, { x }) => g.dft(x!, { axis: 1, onesided: true }) }));
    checks('DFT', 'with dft_length 7 > 5 (zero-padded signal)', () => ({ opset, inputs: { x: testData(1304).uniform([2, 5, 2]) }, build: (g, { x }) => g.dft(x!, { axis: 1, length: 7 }) }));
    checks('DFT', 'with dft_length 3 < 5 (cut signal), real input', () => ({ opset, inputs: { x: testData(1305).uniform([2, 5, 1]) }, build: (g, { x }) => g.dft(x!, { axis: 1, length: 3 }) }));
    checks('DFT', 'along the first axis of [4,3,2]', () => ({ opset, inputs: { x: testData(1306).uniform([4, 3, 2]) }, build: (g, { x }) => g.dft(x!, { axis: 0 }) }));
  });
}

it('has a finite-difference check for every rule of the family', () => {
  expect(Object.keys(SPECTRAL_RULES).filter((op) => !covered.has(op))).toEqual([]);
});
