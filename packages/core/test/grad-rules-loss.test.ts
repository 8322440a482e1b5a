import { Tensor, attr } from '../src/index.node.js';
import { LOSS_RULES } from '../src/grad/rules/loss.js';
import { expectGradientsMatch, testData, type GradCheck } from './helpers/gradcheck.js';

/**
 * NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss against central finite differences with
 * respect to their scores, in float64 (h = 1e-6, 1e-6 relative), every reduction, with class
 * weights and an ignored class.
 */

const covered = new Set<string>();
function checks(op: string, title: string, spec: () => GradCheck): void {
  covered.add(op);
  it(title, () => expectGradientsMatch(spec()));
}

const targets = Tensor.from([2n, 0n, 1n, 2n, 0n, 3n], [2, 3], 'int64');
const weights = Tensor.from(Float64Array.from([0.5, 1.5, 2, 0.7]), [4]);

for (const op of ['NegativeLogLikelihoodLoss', 'SoftmaxCrossEntropyLoss']) {
  describe(op, () => {
    for (const reduction of ['mean', 'sum', 'none']) {
      checks(op, `${op} on [2,4,3] scores, reduction '${reduction}'`, () => ({
        inputs: { x: testData(1200).uniform([2, 4, 3], -2, 2) },
        build: (g, { x }) => g.op(op, [x!, targets], { reduction }),
      }));
      checks(op, `${op} with class weights and ignore_index 2, reduction '${reduction}'`, () => ({
        inputs: { x: testData(1201).uniform([2, 4, 3], -2, 2) },
        build: (g, { x }) => g.op(op, [x!, targets, weights], { reduction, ignore_index: attr.int(2) }),
      }));
    }
  });
}

checks('SoftmaxCrossEntropyLoss', 'SoftmaxCrossEntropyLoss on [3,4] scores with its log_prob output differentiated too', () => ({
  inputs: { x: testData(1202).uniform([3, 4], -2, 2) },
  build: (g, { x }) => {
    const [loss, logProb] = g.op('SoftmaxCrossEntropyLoss', [x!, Tensor.from([1n, 3n, 0n], [3], 'int64')], {}, { outputs: 2, dtypes: ['float64', 'float64'] });
    return g.op('Add', [g.op('Mul', [logProb!, Tensor.from(Float64Array.from([0.3]), [])]), loss!]);
  },
}));

it('has a finite-difference check for every rule of the family', () => {
  expect(Object.keys(LOSS_RULES).filter((op) => !covered.has(op))).toEqual([]);
});
