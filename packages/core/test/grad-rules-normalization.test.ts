import { attr } from '../src/index.node.js';
import { NORMALIZATION_RULES } from '../src/grad/rules/normalization.js';
import { expectGradientsMatch, testData, type GradCheck } from './helpers/gradcheck.js';

/**
 * The normalisation rules against central finite differences of a one-node graph: float64
 * (h = 1e-6, 1e-6 relative) for GroupNormalization, RMSNormalization and LpNormalization;
 * InstanceNormalization, LRN and MeanVarianceNormalization have only float32 kernels on
 * onnxruntime's CPU provider (h = 1e-2).
 */

const covered = new Set<string>();
function checks(op: string, title: string, spec: () => GradCheck): void {
  covered.add(op);
  it(title, () => expectGradientsMatch(spec()));
}

describe('GroupNormalization', () => {
  checks('GroupNormalization', 'opset 18 (scale and bias per group): 2 groups of [2,4,3] — x, scale and bias', () => {
    const data = testData(800);
    return {
      opset: 18,
      inputs: { x: data.uniform([2, 4, 3]), s: data.uniform([2]), b: data.uniform([2]) },
      build: (g, { x, s, b }) => g.op('GroupNormalization', [x!, s!, b!], { num_groups: attr.int(2), epsilon: attr.float(1e-3) }),
    };
  });
  checks('GroupNormalization', 'opset 21 (scale and bias per channel): 2 groups of [2,4,2,2] — x, scale and bias', () => {
    const data = testData(801);
    return {
      opset: 21,
      inputs: { x: data.uniform([2, 4, 2, 2]), s: data.uniform([4]), b: data.uniform([4]) },
      build: (g, { x, s, b }) => g.op('GroupNormalization', [x!, s!, b!], { num_groups: attr.int(2), stash_type: attr.int(11) }),
    };
  });
  // The default stash_type (1) makes onnxruntime compute the statistics in float32; 11 keeps float64.
  checks('GroupNormalization', 'opset 21 with the default stash_type (float32 statistics: h = 1e-3)', () => {
    const data = testData(803);
    return {
      opset: 21,
      inputs: { x: data.uniform([2, 4, 3]), s: data.uniform([4]), b: data.uniform([4]) },
      build: (g, { x, s, b }) => g.op('GroupNormalization', [x!, s!, b!], { num_groups: attr.int(2) }),
      h: 1e-3,
      rtol: 1e-3,
      atol: 1e-4,
    };
  });
  checks('GroupNormalization', 'opset 21 with one group per channel', () => {
    const data = testData(802);
    return {
      opset: 21,
      inputs: { x: data.uniform([2, 3, 4]), s: data.uniform([3]), b: data.uniform([3]) },
      build: (g, { x, s, b }) => g.op('GroupNormalization', [x!, s!, b!], { num_groups: attr.int(3), stash_type: attr.int(11) }),
    };
  });
});

describe('InstanceNormalization (float32)', () => {
  checks('InstanceNormalization', 'on [2,3,2,2]: x, scale and bias', () => {
    const data = testData(810);
    const f = (shape: number[]) => data.uniform(shape, -1, 1, { dtype: 'float32' });
    return {
      inputs: { x: f([2, 3, 2, 2]), s: f([3]), b: f([3]) },
      build: (g, { x, s, b }) => g.op('InstanceNormalization', [x!, s!, b!], { epsilon: attr.float(1e-3) }),
      h: 1e-2,
      rtol: 2e-3,
      atol: 2e-4,
    };
  });
});

describe('RMSNormalization (opset 23)', () => {
  checks('RMSNormalization', 'on the last axis with a [4] scale', () => {
    const data = testData(820);
    return { opset: 23, inputs: { x: data.uniform([2, 3, 4]), s: data.uniform([4]) }, build: (g, { x, s }) => g.op('RMSNormalization', [x!, s!]) };
  });
  checks('RMSNormalization', 'from axis 1 with a broadcast [1,4] scale, epsilon 1e-2', () => {
    const data = testData(821);
    return {
      opset: 23,
      inputs: { x: data.uniform([2, 3, 4]), s: data.uniform([1, 4]) },
      build: (g, { x, s }) => g.op('RMSNormalization', [x!, s!], { axis: attr.int(1), epsilon: attr.float(1e-2) }),
    };
  });
});

describe('LpNormalization', () => {
  for (const [p, axis] of [[2, -1], [2, 0], [1, 1]] as const) {
    checks('LpNormalization', `p = ${p} on axis ${axis}`, () => ({
      inputs: { x: testData(830 + p + axis).uniform([2, 3, 4], -1, 1, { avoid: [0] }) },
      build: (g, { x }) => g.op('LpNormalization', [x!], { p: attr.int(p), axis: attr.int(axis) }),
    }));
  }
  checks('LpNormalization', 'default p and axis', () => ({ inputs: { x: testData(835).uniform([3, 4]) }, build: (g, { x }) => g.op('LpNormalization', [x!]) }));
});

describe('LRN and MeanVarianceNormalization (float32)', () => {
  const f32 = { h: 1e-2, rtol: 2e-3, atol: 2e-4 } as const;
  // onnxruntime accepts odd sizes only; size 5 on 5 channels clips every window at the ends.
  for (const size of [3, 5]) {
    checks('LRN', `LRN of size ${size} on [2,5,2,2] (α 0.5, β 0.75, bias 1.5)`, () => ({
      inputs: { x: testData(840 + size).uniform([2, 5, 2, 2], -2, 2, { dtype: 'float32' }) },
      build: (g, { x }) => g.op('LRN', [x!], { size: attr.int(size), alpha: attr.float(0.5), beta: attr.float(0.75), bias: attr.float(1.5) }),
      ...f32,
    }));
  }
  checks('MeanVarianceNormalization', 'MeanVarianceNormalization over the default axes [0, 2, 3]', () => ({
    inputs: { x: testData(845).uniform([2, 3, 2, 2], -1, 1, { dtype: 'float32' }) },
    build: (g, { x }) => g.op('MeanVarianceNormalization', [x!]),
    ...f32,
  }));
  checks('MeanVarianceNormalization', 'MeanVarianceNormalization over axes [1] (opset 18)', () => ({
    opset: 18,
    inputs: { x: testData(846).uniform([2, 4, 3], -1, 1, { dtype: 'float32' }) },
    build: (g, { x }) => g.op('MeanVarianceNormalization', [x!], { axes: attr.ints([1]) }),
    ...f32,
  }));
});

it('has a finite-difference check for every rule of the family', () => {
  expect(Object.keys(NORMALIZATION_RULES).filter((op) => !covered.has(op))).toEqual([]);
});
