import { attr } from '../src/index.node.js';
import { POOLING_RULES } from '../src/grad/rules/pooling.js';
import { expectGradientsMatch, testData, type GradCheck } from './helpers/gradcheck.js';

/**
 * GlobalMaxPool and GlobalLpPool against central finite differences of a one-node graph, in
 * float32 (h = 1e-2): onnxruntime's CPU provider has no float64 kernel for either.
 */

const covered = new Set<string>();
function checks(op: string, title: string, spec: () => GradCheck): void {
  covered.add(op);
  it(title, () => expectGradientsMatch(spec()));
}

const f32 = { h: 1e-2, rtol: 1e-3, atol: 1e-4 } as const;

checks('GlobalMaxPool', 'GlobalMaxPool 2-D (distinct elements: no ties)', () => ({
  inputs: { x: testData(1100).uniform([2, 3, 2, 3], -1, 1, { dtype: 'float32', distinct: true, margin: 0.03 }) },
  build: (g, { x }) => g.op('GlobalMaxPool', [x!]),
  ...f32,
}));
checks('GlobalMaxPool', 'GlobalMaxPool 1-D', () => ({
  inputs: { x: testData(1101).uniform([2, 2, 5], -1, 1, { dtype: 'float32', distinct: true, margin: 0.03 }) },
  build: (g, { x }) => g.op('GlobalMaxPool', [x!]),
  ...f32,
}));
for (const p of [2, 3, 1]) {
  checks('GlobalLpPool', `GlobalLpPool p=${p}, away from 0`, () => ({
    inputs: { x: testData(1102 + p).uniform([2, 3, 2, 2], -1, 1, { dtype: 'float32', avoid: [0], margin: 0.05 }) },
    build: (g, { x }) => g.op('GlobalLpPool', [x!], { p: attr.int(p) }),
    ...f32,
  }));
}

it('has a finite-difference check for every rule of the family', () => {
  expect(Object.keys(POOLING_RULES).filter((op) => !covered.has(op))).toEqual([]);
});
