import { GraphBuilder, Tensor, attr, gradients } from '../src/index.node.js';
import { EINSUM_RULES } from '../src/grad/rules/einsum.js';
import { INDEXING_RULES } from '../src/grad/rules/indexing.js';
import { expectGradientsMatch, testData, type GradCheck } from './helpers/gradcheck.js';

/**
 * The indexing, rearranging and Einsum rules against central finite differences of a one-node
 * graph, in float64 (h = 1e-6, 1e-6 relative + 1e-8 absolute), except MaxUnpool, which
 * onnxruntime's CPU provider runs in float32 only.
 */

const covered = new Set<string>();
function checks(op: string, title: string, spec: () => GradCheck): void {
  covered.add(op);
  it(title, () => expectGradientsMatch(spec()));
}

const i64 = (values: readonly number[], shape: readonly number[] = [values.length]) => Tensor.from(values.map(BigInt), shape, 'int64');

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('CumSum', () => {
  for (const [exclusive, reverse] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
    checks('CumSum', `CumSum on axis 1, exclusive=${exclusive} reverse=${reverse}`, () => ({
      inputs: { x: testData(900 + 2 * exclusive + reverse).uniform([2, 3, 4]) },
      build: (g, { x }) => g.op('CumSum', [x!, i64([1], [])], { exclusive: attr.int(exclusive), reverse: attr.int(reverse) }),
    }));
  }
  checks('CumSum', 'CumSum on axis −1 (an int32 axis)', () => ({
    inputs: { x: testData(905).uniform([3, 4]) },
    build: (g, { x }) => g.op('CumSum', [x!, Tensor.from(Int32Array.from([-1]), [], 'int32')]),
  }));
});

describe('gathers and scatters', () => {
  checks('GatherND', 'GatherND of slices with repeated indices', () => ({
    inputs: { x: testData(910).uniform([3, 2, 4]) },
    build: (g, { x }) => g.op('GatherND', [x!, i64([2, 0, 2, 0, 1, 1], [3, 2])]),
  }));
  checks('GatherND', 'GatherND of single elements, with negative indices', () => ({
    inputs: { x: testData(911).uniform([3, 4]) },
    build: (g, { x }) => g.op('GatherND', [x!, i64([0, 1, -1, -1, 0, 1], [3, 2])]),
  }));
  checks('GatherND', 'GatherND with batch_dims=1', () => ({
    inputs: { x: testData(912).uniform([2, 3, 4]) },
    build: (g, { x }) => g.op('GatherND', [x!, i64([2, 0, 1, 1], [2, 2, 1])], { batch_dims: attr.int(1) }),
  }));
  checks('ScatterND', 'ScatterND (reduction none) of rows: data and updates', () => {
    const data = testData(920);
    return { inputs: { x: data.uniform([4, 3]), u: data.uniform([2, 3]) }, build: (g, { x, u }) => g.op('ScatterND', [x!, i64([3, 1], [2, 1]), u!]) };
  });
  checks('ScatterND', 'ScatterND (reduction none) of elements: data and updates', () => {
    const data = testData(921);
    return { inputs: { x: data.uniform([2, 3, 2]), u: data.uniform([2]) }, build: (g, { x, u }) => g.op('ScatterND', [x!, i64([1, 2, 0, 0, 0, 1], [2, 3]), u!]) };
  });
  for (const axis of [0, 1]) {
    checks('ScatterElements', `ScatterElements (reduction none) on axis ${axis}: data and updates`, () => {
      const data = testData(930 + axis);
      const indices = axis === 0 ? i64([2, 0, 1, 1, 2, 0], [2, 3]) : i64([3, 0, 1, 2, 0, 3], [3, 2]);
      return {
        inputs: { x: data.uniform([3, 4]), u: data.uniform(axis === 0 ? [2, 3] : [3, 2]) },
        build: (g, { x, u }) => g.op('ScatterElements', [x!, indices, u!], { axis: attr.int(axis) }),
      };
    });
  }
  it.each(['ScatterND', 'ScatterElements'])('refuses %s with reduction add (UNSUPPORTED_OP naming the reduction)', (op) => {
    const g = new GraphBuilder({ opset: 18 });
    const indices = op === 'ScatterND' ? i64([1], [1, 1]) : i64([1, 0], [1, 2]);
    g.output(g.op(op, [g.input('x', 'float64', [3, 2]), indices, g.input('u', 'float64', op === 'ScatterND' ? [1, 2] : [1, 2])], { reduction: 'add' }), 'y');
    expect(thrown(() => gradients(g.build(), { of: 'y', wrt: ['x'] }))).toMatchObject({ code: 'UNSUPPORTED_OP', message: expect.stringContaining("reduction='add'") });
  });
});

describe('crops, pads and unpooling', () => {
  checks('CenterCropPad', 'CenterCropPad (opset 18) cropping one axis and padding another', () => ({
    opset: 18,
    inputs: { x: testData(962).uniform([4, 2, 3]) },
    build: (g, { x }) => g.op('CenterCropPad', [x!, i64([2, 4, 3])]),
  }));
  checks('CenterCropPad', 'CenterCropPad (opset 18) with axes [−1]', () => ({
    opset: 18,
    inputs: { x: testData(963).uniform([2, 5]) },
    build: (g, { x }) => g.op('CenterCropPad', [x!, i64([2])], { axes: attr.ints([-1]) }),
  }));
  checks('MaxUnpool', 'MaxUnpool 2-D of MaxPool indices (float32, linear: h = 0.25)', () => {
    // Flat indices into the whole [1,2,4,4] output, as MaxPool returns them: one per 2×2 window.
    const indices = i64([0, 3, 9, 10, 20, 23, 29, 30], [1, 2, 2, 2]);
    return {
      inputs: { x: testData(964).uniform([1, 2, 2, 2], -1, 1, { dtype: 'float32' }) },
      build: (g, { x }) => g.op('MaxUnpool', [x!, indices], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) }),
      h: 0.25,
      rtol: 1e-5,
      atol: 1e-6,
    };
  });
});

describe('AffineGrid (opset 20)', () => {
  for (const alignCorners of [0, 1]) {
    checks('AffineGrid', `2-D grid [2,3,4], align_corners=${alignCorners}`, () => ({
      opset: 20,
      inputs: { theta: testData(965 + alignCorners).uniform([2, 2, 3]) },
      build: (g, { theta }) => g.op('AffineGrid', [theta!, i64([2, 1, 3, 4])], { align_corners: attr.int(alignCorners) }),
    }));
  }
  checks('AffineGrid', '3-D grid [1,2,3,2]', () => ({
    opset: 20,
    inputs: { theta: testData(967).uniform([1, 3, 4]) },
    build: (g, { theta }) => g.op('AffineGrid', [theta!, i64([1, 1, 2, 3, 2])]),
  }));
});

describe('masks and rearrangements', () => {
  for (const [upper, k] of [[1, 0], [0, 1], [1, -1]] as const) {
    checks('Trilu', `Trilu upper=${upper} k=${k}`, () => ({
      inputs: { x: testData(940 + upper + k).uniform([2, 3, 4]) },
      build: (g, { x }) => g.op('Trilu', [x!, i64([k], [])], { upper: attr.int(upper) }),
    }));
  }
  checks('Trilu', 'Trilu without k (lower)', () => ({ inputs: { x: testData(945).uniform([3, 3]) }, build: (g, { x }) => g.op('Trilu', [x!], { upper: attr.int(0) }) }));
  for (const mode of ['DCR', 'CRD']) {
    checks('DepthToSpace', `DepthToSpace ${mode}, blocksize 2`, () => ({
      inputs: { x: testData(mode === 'DCR' ? 950 : 951).uniform([2, 8, 2, 3]) },
      build: (g, { x }) => g.op('DepthToSpace', [x!], { blocksize: attr.int(2), mode }),
    }));
  }
  checks('SpaceToDepth', 'SpaceToDepth, blocksize 2', () => ({ inputs: { x: testData(952).uniform([2, 3, 4, 2]) }, build: (g, { x }) => g.op('SpaceToDepth', [x!], { blocksize: attr.int(2) }) }));
  checks('ReverseSequence', 'ReverseSequence (time axis 0, batch axis 1) with sequence lengths 1, 3 and 2', () => ({
    inputs: { x: testData(960).uniform([4, 3, 2]) },
    build: (g, { x }) => g.op('ReverseSequence', [x!, i64([1, 3, 2])], { time_axis: attr.int(0), batch_axis: attr.int(1) }),
  }));
  checks('Compress', 'Compress on axis 1 and flattened', () => ({
    inputs: { x: testData(961).uniform([2, 4]) },
    build: (g, { x }) => {
      const keep = Tensor.from([true, false, true, true], [4]);
      return g.op('Concat', [g.op('Compress', [x!, keep], { axis: attr.int(1) }), g.op('Reshape', [g.op('Compress', [x!, Tensor.from([false, true, true, false, false, true, true], [7])]), i64([2, -1])])], { axis: attr.int(1) });
    },
  }));
});

describe('Einsum', () => {
  const equations: readonly [string, readonly number[], readonly number[]][] = [
    ['ij,jk->ik', [2, 3], [3, 4]],
    ['bij,bjk->bik', [2, 3, 2], [2, 2, 4]],
    ['ij,kj->ik', [2, 3], [4, 3]],
    ['ij,ij->ij', [2, 3], [2, 3]],
    ['i,j->ij', [2], [3]],
    ['ij,ij->', [2, 3], [2, 3]],
    ['bhqd,bhkd->bhqk', [1, 2, 3, 2], [1, 2, 4, 2]],
    ['ijk,kl->jli', [2, 3, 2], [2, 3]],
    ['ij,jk', [2, 3], [3, 2]],
    ['...ij,...jk->...ik', [2, 2, 3], [2, 3, 2]],
    ['...ij,...jk->...ik', [2, 2, 3], [1, 3, 2]],
    ['ik,jl->ij', [2, 3], [4, 2]],
    ['...ij,jk->...ik', [2, 2, 3], [3, 2]],
    ['i,i->', [3], [3]],
    ['ij,jk->ki', [2, 3], [3, 2]],
  ];
  equations.forEach(([equation, a, b], k) => {
    checks('Einsum', `Einsum '${equation}' of [${a}] and [${b}]`, () => {
      const data = testData(970 + k);
      return { inputs: { a: data.uniform(a), b: data.uniform(b) }, build: (g, { a, b }) => g.op('Einsum', [a!, b!], { equation }) };
    });
  });
  const unaries: readonly [string, readonly number[]][] = [
    ['ij->ji', [2, 3]],
    ['ijk->k', [2, 3, 4]],
    ['ij->', [2, 3]],
    ['ijk', [2, 3, 2]],
    ['b...->...b', [2, 3, 2]],
  ];
  unaries.forEach(([equation, a], k) => {
    checks('Einsum', `Einsum '${equation}' of [${a}]`, () => ({ inputs: { a: testData(990 + k).uniform(a) }, build: (g, { a }) => g.op('Einsum', [a!], { equation }) }));
  });
  it.each([
    ['ii->i', 'repeats a subscript'],
    ['ij,jk,kl->il', 'has 3 operands'],
  ])("refuses Einsum '%s' with UNSUPPORTED_OP naming the equation", (equation, why) => {
    const g = new GraphBuilder({ opset: 17 });
    const operands = equation.split('->')[0]!.split(',').map((_, i) => g.input(`x${i}`, 'float64', [2, 2]));
    g.output(g.op('Einsum', operands, { equation }), 'y');
    expect(thrown(() => gradients(g.build(), { of: 'y', wrt: ['x0'] }))).toMatchObject({ code: 'UNSUPPORTED_OP', message: expect.stringContaining(`equation '${equation}' ${why}`) });
  });
});

it('has a finite-difference check for every rule of the families', () => {
  expect([...Object.keys(INDEXING_RULES), ...Object.keys(EINSUM_RULES)].filter((op) => !covered.has(op))).toEqual([]);
});
