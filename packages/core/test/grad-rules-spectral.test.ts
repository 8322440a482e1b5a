import { Tensor, attr } from '../src/index.node.js';
import { SPECTRAL_RULES } from '../src/grad/rules/spectral.js';
import { expectGradientsMatch, testData, type GradCheck } from './helpers/gradcheck.js';

/**
 * DFT and STFT against central finite differences of a one-node graph, in float64 (h = 1e-6, 1e-6
 * relative): DFT at its opset-17 form (axis attribute) and its opset-20 form (axis input), STFT.
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

describe('STFT (opset 17)', () => {
  const i64 = (v: number) => Tensor.from([BigInt(v)], [], 'int64');
  checks('STFT', 'of a real signal [2,10,1], frames of 4 every 3 with a window (one-sided): signal and window', () => {
    const data = testData(1310);
    return { inputs: { x: data.uniform([2, 10, 1]), w: data.uniform([4], 0.2, 1) }, build: (g, { x, w }) => g.op('STFT', [x!, i64(3), w!]) };
  });
  checks('STFT', 'of a complex signal [1,9,2], frames of 3 every 2 without a window (frame_length input, two-sided)', () => ({
    inputs: { x: testData(1311).uniform([1, 9, 2]) },
    build: (g, { x }) => g.op('STFT', [x!, i64(2), null, i64(3)], { onesided: attr.int(0) }),
  }));
  checks('STFT', 'with frames that leave the signal end unread (length 9, frames of 4 every 4)', () => {
    const data = testData(1312);
    return { inputs: { x: data.uniform([1, 9, 1]), w: data.uniform([4], 0.2, 1) }, build: (g, { x, w }) => g.op('STFT', [x!, i64(4), w!]) };
  });
});

it('has a finite-difference check for every rule of the family', () => {
  expect(Object.keys(SPECTRAL_RULES).filter((op) => !covered.has(op))).toEqual([]);
});
