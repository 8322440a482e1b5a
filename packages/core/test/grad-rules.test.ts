import { Backend, GraphBuilder, MechintError, Tensor, attr, differentiableOps, gradients, registerGradRule, type Attributes, type GradRule, type Value } from '../src/index.node.js';
import { ACTIVATION_RULES } from '../src/grad/rules/activation.js';
import { ATTENTION_RULES } from '../src/grad/rules/attention.js';
import { EINSUM_RULES } from '../src/grad/rules/einsum.js';
import { INDEXING_RULES } from '../src/grad/rules/indexing.js';
import { LOSS_RULES } from '../src/grad/rules/loss.js';
import { NORMALIZATION_RULES } from '../src/grad/rules/normalization.js';
import { POOLING_RULES } from '../src/grad/rules/pooling.js';
import { SAMPLING_RULES } from '../src/grad/rules/sampling.js';
import { SPECTRAL_RULES } from '../src/grad/rules/spectral.js';
import { cpuBackend, expectGradientsMatch, testData, type GradCheck, type UniformOptions } from './helpers/gradcheck.js';
import { thrownMechintError } from './helpers/errors.js';

/**
 * Every registered backward rule against central finite differences of a one-node graph, in
 * float64 (h = 1e-6, 1e-6 relative + 1e-8 absolute), on seeded random inputs kept away from kinks
 * and ties. Operators that onnxruntime's CPU provider runs in float32 only (Conv, AveragePool,
 * GlobalAveragePool, Erf, Gelu, Elu, Softplus) are checked in float32 with a larger step.
 */

/** Registered rules when this file loads (before any test registers more). */
const REGISTERED = differentiableOps();
const covered = new Set<string>();

/** Declares a finite-difference check of the rule of `op`. */
function checks(op: string, title: string, spec: () => GradCheck): void {
  covered.add(op);
  it(title, () => expectGradientsMatch(spec()));
}

/** float32 settings for smooth operators: truncation error ~h², rounding ~6e-8/h. */
const SMOOTH_F32 = { h: 1e-2, rtol: 1e-3, atol: 1e-4 } as const;
/** float32 settings for operators linear in each input: any step is exact up to rounding. */
const LINEAR_F32 = { h: 0.25, rtol: 1e-4, atol: 1e-5 } as const;

const i64 = (values: readonly number[], shape: readonly number[] = [values.length]) => Tensor.from(values.map(BigInt), shape, 'int64');
const f64 = (values: readonly number[], shape: readonly number[]) => Tensor.from(Float64Array.from(values), shape);
const unary = (op: string, attributes = {}) => (g: GraphBuilder, x: Readonly<Record<string, Value>>) => g.op(op, [x['x']!], attributes);

describe('Pad', () => {
  checks('Pad', 'Pad with non-negative constant pads (a slice of the gradient)', () => ({ inputs: { x: testData(550).uniform([2, 3]) }, build: (g, { x }) => g.op('Pad', [x!, i64([1, 0, 2, 3])]) }));
});

describe('Range', () => {
  checks('Range', 'float Range: start moves every element, delta the i-th by i, limit (away from a count change) nothing', () => ({
    inputs: { start: f64([0.3], []), limit: f64([5.05], []), delta: f64([0.7], []) },
    build: (g, { start, limit, delta }) => g.op('Mul', [g.op('Range', [start!, limit!, delta!]), f64([1, -2, 3, 0.5, -1, 2, 4], [7])]),
  }));
});

describe('Tile', () => {
  checks('Tile', 'Tile sums the gradient of every copy', () => ({ inputs: { x: testData(520).uniform([2, 3]) }, build: (g, { x }) => g.op('Tile', [x!, i64([2, 3])]) }));
});

describe('HardSigmoid and HardSwish (float32: no float64 kernel on the CPU provider)', () => {
  const away = (seed: number, kinks: number[]) => testData(seed).uniform([3, 4], -5, 5, { avoid: kinks, margin: 0.05, dtype: 'float32' });
  checks('HardSigmoid', 'HardSigmoid with its defaults, away from the kinks at ±2.5', () => ({ inputs: { x: away(560, [-2.5, 2.5]) }, build: unary('HardSigmoid'), ...SMOOTH_F32 }));
  checks('HardSigmoid', 'HardSigmoid as PaddleOCR writes hardswish’s gate (alpha 1/6)', () => ({
    inputs: { x: away(561, [-3, 3]) },
    build: unary('HardSigmoid', { alpha: attr.float(1 / 6), beta: attr.float(0.5) }),
    ...SMOOTH_F32,
  }));
  checks('HardSwish', 'HardSwish, away from the kinks at ±3', () => ({ inputs: { x: away(562, [-3, 3]) }, build: unary('HardSwish'), ...SMOOTH_F32 }));
});

describe('Resize (float32; linear in its data, so any step is exact up to rounding)', () => {
  const x = () => testData(570).uniform([1, 2, 3, 4], -1, 1, { dtype: 'float32' });
  const f32 = (values: readonly number[]) => Tensor.from(Float32Array.from(values), [values.length]);
  const resize = (scales: readonly number[] | null, attributes: Attributes, sizes?: readonly number[], roi?: readonly number[]) =>
    (g: GraphBuilder, v: Readonly<Record<string, Value>>) => g.op('Resize', [v['x']!, roi === undefined ? null : f32(roi), scales === null ? null : f32(scales), sizes === undefined ? null : i64(sizes)], attributes);
  const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];
  const TRANSFORMS = ['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel', 'half_pixel_symmetric'];
  for (const nearest of NEAREST_MODES) {
    for (const transform of ['asymmetric', 'half_pixel']) {
      checks('Resize', `nearest, ${nearest}, ${transform}, up 2 × 1.5`, () => ({ inputs: { x: x() }, opset: 19, ...LINEAR_F32, build: resize([1, 1, 2, 1.5], { mode: 'nearest', nearest_mode: nearest, coordinate_transformation_mode: transform }) }));
    }
  }
  for (const transform of TRANSFORMS) {
    checks('Resize', `linear, ${transform}, up 1.7 × down 0.75`, () => ({ inputs: { x: x() }, opset: 19, ...LINEAR_F32, build: resize([1, 1, 1.7, 0.75], { mode: 'linear', coordinate_transformation_mode: transform }) }));
    checks('Resize', `cubic, ${transform}, by sizes [1, 2, 5, 3]`, () => ({ inputs: { x: x() }, opset: 19, ...LINEAR_F32, build: resize(null, { mode: 'cubic', coordinate_transformation_mode: transform }, [1, 2, 5, 3]) }));
  }
  checks('Resize', 'cubic with exclude_outside and a = −0.5', () => ({
    inputs: { x: x() }, opset: 19, ...LINEAR_F32,
    build: resize([1, 1, 2.5, 1.25], { mode: 'cubic', exclude_outside: attr.int(1), cubic_coeff_a: attr.float(-0.5) }),
  }));
  checks('Resize', 'linear, tf_crop_and_resize: outside the crop is the constant extrapolation_value', () => ({
    inputs: { x: x() }, opset: 19, ...LINEAR_F32,
    build: resize(null, { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize', extrapolation_value: attr.float(2) }, [1, 2, 4, 5], [0, 0, -0.2, 0.1, 1, 1, 0.9, 1.3]),
  }));
  checks('Resize', 'linear with antialias, downsampling (opset 18)', () => ({ inputs: { x: testData(571).uniform([1, 1, 6, 7], -1, 1, { dtype: 'float32' }) }, opset: 19, ...LINEAR_F32, build: resize([1, 1, 0.5, 0.6], { mode: 'linear', antialias: attr.int(1) }) }));
  checks('Resize', 'nearest on the last two of three axes, listed in axes (opset 18)', () => ({
    inputs: { x: testData(572).uniform([2, 3, 4], -1, 1, { dtype: 'float32' }) }, opset: 19, ...LINEAR_F32,
    build: resize([2, 0.5], { mode: 'nearest', axes: attr.ints([1, -1]) }),
  }));
  checks('Resize', 'PaddleOCR det’s form: nearest, asymmetric, floor, scales [1, 1, 2, 2] with an empty roi', () => ({
    inputs: { x: x() }, ...LINEAR_F32,
    build: (g, v) => g.op('Resize', [v['x']!, f32([]), f32([1, 1, 2, 2])], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }),
  }));
});

describe('elementwise unary rules', () => {
  checks('Identity', 'Identity passes the gradient through', () => ({ inputs: { x: testData(1).uniform([2, 3]) }, build: unary('Identity') }));
  checks('Neg', 'Neg negates it', () => ({ inputs: { x: testData(2).uniform([2, 3]) }, build: unary('Neg') }));
  checks('Exp', 'Exp', () => ({ inputs: { x: testData(3).uniform([2, 3, 4]) }, build: unary('Exp') }));
  checks('Tanh', 'Tanh', () => ({ inputs: { x: testData(4).uniform([2, 3, 4], -2, 2) }, build: unary('Tanh') }));
  checks('Sigmoid', 'Sigmoid', () => ({ inputs: { x: testData(5).uniform([2, 3, 4], -3, 3) }, build: unary('Sigmoid') }));
  checks('Sqrt', 'Sqrt on positive inputs', () => ({ inputs: { x: testData(6).uniform([2, 3], 0.2, 3) }, build: unary('Sqrt') }));
  checks('Log', 'Log on positive inputs', () => ({ inputs: { x: testData(7).uniform([2, 3], 0.2, 3) }, build: unary('Log') }));
  checks('Reciprocal', 'Reciprocal on positive inputs', () => ({ inputs: { x: testData(8).uniform([2, 3], 0.3, 3) }, build: unary('Reciprocal') }));
  checks('Abs', 'Abs away from 0', () => ({ inputs: { x: testData(9).uniform([2, 3, 4], -1, 1, { avoid: [0] }) }, build: unary('Abs') }));
  checks('Relu', 'Relu away from 0', () => ({ inputs: { x: testData(10).uniform([2, 3, 4], -1, 1, { avoid: [0] }) }, build: unary('Relu') }));
  checks('LeakyRelu', 'LeakyRelu with alpha 0.2, away from 0', () => ({
    inputs: { x: testData(11).uniform([2, 3, 4], -1, 1, { avoid: [0] }) },
    build: unary('LeakyRelu', { alpha: attr.float(0.2) }),
  }));
  checks('LeakyRelu', 'LeakyRelu with its default alpha', () => ({ inputs: { x: testData(12).uniform([2, 3], -1, 1, { avoid: [0] }) }, build: unary('LeakyRelu') }));
  checks('Cast', 'Cast float64 → float64', () => ({ inputs: { x: testData(13).uniform([2, 3]) }, build: unary('Cast', { to: attr.int(11) }) }));
  checks('Dropout', 'Dropout (inference) passes the gradient through', () => ({ inputs: { x: testData(14).uniform([2, 3]) }, build: unary('Dropout') }));
  checks('Dropout', 'Dropout with a ratio input and a mask output', () => ({
    inputs: { x: testData(15).uniform([2, 3]) },
    build: (g, { x }) => g.op('Dropout', [x!, f64([0.3], [])], {}, { outputs: 2, dtypes: ['float64', 'bool'] })[0]!,
  }));

  describe('in float32 (no float64 kernel on the CPU provider)', () => {
    const x32 = (seed: number, options = {}) => testData(seed).uniform([2, 3, 4], -2, 2, { dtype: 'float32', ...options });
    checks('Elu', 'Elu with alpha 0.7, away from 0', () => ({ inputs: { x: x32(16, { avoid: [0], margin: 0.05 }) }, build: unary('Elu', { alpha: attr.float(0.7) }), ...SMOOTH_F32 }));
    checks('Softplus', 'Softplus', () => ({ inputs: { x: x32(17) }, build: unary('Softplus'), ...SMOOTH_F32 }));
    checks('Erf', 'Erf', () => ({ inputs: { x: x32(18) }, build: unary('Erf'), ...SMOOTH_F32 }));
    checks('Gelu', 'Gelu (opset 20, exact)', () => ({ inputs: { x: x32(19) }, build: unary('Gelu'), opset: 20, ...SMOOTH_F32 }));
    checks('Gelu', 'Gelu (opset 20, tanh approximation)', () => ({ inputs: { x: x32(21) }, build: unary('Gelu', { approximate: 'tanh' }), opset: 20, ...SMOOTH_F32 }));
  });
});

describe('elementwise binary rules, with broadcasting', () => {
  const shapes: readonly [string, readonly number[], readonly number[]][] = [
    ['[2,3] ⊕ [2,3]', [2, 3], [2, 3]],
    ['[2,3] ⊕ [3]', [2, 3], [3]],
    ['[2,1,3] ⊕ [4,1]', [2, 1, 3], [4, 1]],
    ['scalar ⊕ [2,3]', [], [2, 3]],
    ['[3,1] ⊕ scalar', [3, 1], []],
  ];
  const ranges: Record<string, [[number, number], [number, number]]> = {
    Add: [[-1, 1], [-1, 1]],
    Sub: [[-1, 1], [-1, 1]],
    Mul: [[-1, 1], [-1, 1]],
    Div: [[-1, 1], [0.5, 2]],
    Pow: [[0.5, 2], [-2, 2]],
  };
  Object.entries(ranges).forEach(([op, [[alo, ahi], [blo, bhi]]], k) => {
    shapes.forEach(([name, a, b], j) => {
      checks(op, `${op} ${name}, both inputs`, () => {
        const data = testData(100 + 10 * k + j);
        return { inputs: { a: data.uniform(a, alo, ahi), b: data.uniform(b, blo, bhi) }, build: (g, x) => g.op(op, [x['a']!, x['b']!]) };
      });
    });
  });
  describe('with the output shape known statically (the shapes option)', () => {
    for (const op of ['Add', 'Mul', 'Sub']) {
      checks(op, `${op} [2,3] ⊕ [3] skips the reduction for the full-shape input only`, () => {
        const data = testData(140);
        return { inputs: { a: data.uniform([2, 3]), b: data.uniform([3]) }, build: (g, x) => g.op(op, [x['a']!, x['b']!]), outputShape: [2, 3] };
      });
    }
    checks('Gemm', 'Gemm with a broadcast C', () => {
      const data = testData(141);
      return { inputs: { a: data.uniform([3, 4]), b: data.uniform([4, 2]), c: data.uniform([1, 2]) }, build: (g, { a, b, c }) => g.op('Gemm', [a!, b!, c!]), outputShape: [3, 2] };
    });
    checks('Where', 'Where with a broadcast branch', () => {
      const data = testData(142);
      return {
        inputs: { c: Tensor.from([true, false, false, true, true, false], [2, 3]), x: data.uniform([2, 3]), y: data.uniform([2, 1]) },
        build: (g, { c, x, y }) => g.op('Where', [c!, x!, y!], {}, { dtypes: 'float64' }),
        outputShape: [2, 3],
      };
    });
  });
  checks('Pow', 'Pow of negative bases to a constant integer exponent', () => ({
    inputs: { a: testData(151).uniform([2, 3]) },
    build: (g, { a }) => g.op('Pow', [a!, i64([3], [])]),
  }));
  checks('Div', 'Div by negative denominators', () => {
    const data = testData(150);
    return { inputs: { a: data.uniform([2, 3]), b: data.uniform([2, 3], -2, -0.5) }, build: (g, x) => g.op('Div', [x['a']!, x['b']!]) };
  });

  describe('Max and Min (no ties)', () => {
    for (const op of ['Max', 'Min']) {
      checks(op, `${op} of two inputs of one shape`, () => {
        const data = testData(op === 'Max' ? 160 : 161);
        const a = data.uniform([2, 3]);
        const offset = data.uniform([2, 3], -0.6, 0.6, { avoid: [0], margin: 0.1 });
        const b = f64(Array.from(a.data as Float64Array, (v, i) => v + Number(offset.data[i])), [2, 3]);
        return { inputs: { a, b }, build: (g, x) => g.op(op, [x['a']!, x['b']!]) };
      });
      checks(op, `${op} of [2,3] and a broadcast [3]`, () => {
        const data = testData(op === 'Max' ? 162 : 163);
        const b = data.uniform([3], -1, 1, { distinct: true, margin: 0.1 });
        const a = data.uniform([2, 3], -1, 1, { avoid: Array.from(b.data as Float64Array), margin: 0.05 });
        return { inputs: { a, b }, build: (g, x) => g.op(op, [x['a']!, x['b']!]) };
      });
      checks(op, `${op} of a single input is the identity`, () => ({ inputs: { x: testData(164).uniform([2, 3]) }, build: unary(op) }));
    }
  });

  checks('Where', 'Where sends the gradient to the chosen side, summed over broadcast axes', () => {
    const data = testData(170);
    return {
      inputs: { c: Tensor.from([true, false, false, true, true, false], [2, 3]), x: data.uniform([2, 3]), y: data.uniform([3]) },
      build: (g, { c, x, y }) => g.op('Where', [c!, x!, y!], {}, { dtypes: 'float64' }),
    };
  });
  checks('Where', 'Where with a scalar branch', () => {
    const data = testData(171);
    return {
      inputs: { c: Tensor.from([true, false, true, false, false, true], [3, 2]), x: data.uniform([]), y: data.uniform([3, 2]) },
      build: (g, { c, x, y }) => g.op('Where', [c!, x!, y!], {}, { dtypes: 'float64' }),
    };
  });
  checks('Expand', 'Expand [3,1] → [2,3,4] sums the copies', () => ({
    inputs: { x: testData(172).uniform([3, 1]) },
    build: (g, { x }) => g.op('Expand', [x!, i64([2, 3, 4])]),
  }));
  checks('Expand', 'Expand [3,1] by [2,1,2] broadcasts both ways', () => ({
    inputs: { x: testData(173).uniform([3, 1]) },
    build: (g, { x }) => g.op('Expand', [x!, i64([2, 1, 2])]),
  }));
  checks('Clip', 'Clip with min and max inputs (gradients for x, min and max)', () => ({
    inputs: { x: testData(174).uniform([2, 3, 4], -1, 1, { avoid: [-0.4, 0.5] }), lo: f64([-0.4], []), hi: f64([0.5], []) },
    build: (g, { x, lo, hi }) => g.op('Clip', [x!, lo!, hi!]),
  }));
  checks('Clip', 'Clip with a min only', () => ({
    inputs: { x: testData(175).uniform([2, 3], -1, 1, { avoid: [0.1] }), lo: f64([0.1], []) },
    build: (g, { x, lo }) => g.op('Clip', [x!, lo!]),
  }));
  checks('Clip', 'Clip with a max only', () => ({
    inputs: { x: testData(176).uniform([2, 3], -1, 1, { avoid: [-0.2] }), hi: f64([-0.2], []) },
    build: (g, { x, hi }) => g.op('Clip', [x!, null, hi!]),
  }));
});

describe('MatMul and Gemm', () => {
  const matmul: readonly [readonly number[], readonly number[]][] = [
    [[3, 4], [4, 5]],
    [[2, 3, 4], [4, 5]],
    [[3, 2], [2, 2, 3]],
    [[1, 3, 4], [2, 4, 2]],
    [[2, 1, 2, 3], [3, 3, 2]],
    [[4], [4, 5]],
    [[4], [2, 4, 3]],
    [[3, 4], [4]],
    [[2, 3, 4], [4]],
    [[4], [4]],
  ];
  matmul.forEach(([a, b], k) => {
    checks('MatMul', `MatMul [${a}] × [${b}]`, () => {
      const data = testData(200 + k);
      return { inputs: { a: data.uniform(a), b: data.uniform(b) }, build: (g, x) => g.op('MatMul', [x['a']!, x['b']!]) };
    });
  });
  for (const transA of [0, 1]) {
    for (const transB of [0, 1]) {
      checks('Gemm', `Gemm transA=${transA} transB=${transB} alpha=0.7 beta=1.3 with a broadcast C`, () => {
        const data = testData(210 + 2 * transA + transB);
        return {
          inputs: { a: data.uniform(transA ? [4, 3] : [3, 4]), b: data.uniform(transB ? [2, 4] : [4, 2]), c: data.uniform([2]) },
          build: (g, { a, b, c }) => g.op('Gemm', [a!, b!, c!], { transA: attr.int(transA), transB: attr.int(transB), alpha: attr.float(0.7), beta: attr.float(1.3) }),
        };
      });
    }
  }
  checks('Gemm', 'Gemm with a full C and a scalar C', () => {
    const data = testData(215);
    return {
      inputs: { a: data.uniform([3, 4]), b: data.uniform([4, 2]), c: data.uniform([3, 2]), s: data.uniform([]) },
      build: (g, { a, b, c, s }) => g.add(g.op('Gemm', [a!, b!, c!]), g.op('Gemm', [a!, b!, s!], { beta: attr.float(-0.5) })),
    };
  });
  checks('Gemm', 'Gemm without C', () => {
    const data = testData(216);
    return { inputs: { a: data.uniform([3, 4]), b: data.uniform([2, 4]) }, build: (g, { a, b }) => g.op('Gemm', [a!, b!], { transB: attr.int(1) }) };
  });
});

describe('rules of operators that move elements', () => {
  checks('Reshape', 'Reshape [2,3,4] → [4,6]', () => ({ inputs: { x: testData(300).uniform([2, 3, 4]) }, build: (g, { x }) => g.op('Reshape', [x!, i64([4, -1])]) }));
  checks('Flatten', 'Flatten at axis 2 and at axis 0', () => ({
    inputs: { x: testData(301).uniform([2, 3, 4]) },
    build: (g, { x }) => g.mul(g.op('Flatten', [x!], { axis: attr.int(2) }), g.reshape(g.op('Flatten', [x!], { axis: attr.int(0) }), [6, 4])),
  }));
  checks('Squeeze', 'Squeeze with axes and without', () => ({
    inputs: { x: testData(302).uniform([2, 1, 3]), z: testData(303).uniform([1, 3, 1]) },
    build: (g, { x, z }) => g.mul(g.op('Squeeze', [x!, i64([1])]), g.op('Squeeze', [z!])),
  }));
  checks('Unsqueeze', 'Unsqueeze at axes 0 and −1', () => ({ inputs: { x: testData(304).uniform([2, 3]) }, build: (g, { x }) => g.op('Unsqueeze', [x!, i64([0, -1])]) }));
  for (const perm of [[2, 0, 1], [1, 0, 2], undefined]) {
    checks('Transpose', `Transpose ${perm === undefined ? 'without perm (reversal)' : `perm [${perm}]`}`, () => ({
      inputs: { x: testData(305).uniform([2, 3, 4]) },
      build: (g, { x }) => g.op('Transpose', [x!], perm === undefined ? {} : { perm: attr.ints(perm) }),
    }));
  }
  for (const axis of [1, -1]) {
    checks('Concat', `Concat of three inputs on axis ${axis}`, () => {
      const data = testData(310 + axis);
      const shapes = axis === 1 ? [[2, 2, 3], [2, 1, 3], [2, 3, 3]] : [[2, 3, 1], [2, 3, 2], [2, 3, 3]];
      const [a, b, c] = shapes.map((s) => data.uniform(s));
      return { inputs: { a: a!, b: b!, c: c! }, build: (g, x) => g.op('Concat', [x['a']!, x['b']!, x['c']!], { axis: attr.int(axis) }) };
    });
  }
  checks('Split', 'Split (opset 17, sizes input) with an unused output', () => ({
    inputs: { x: testData(320).uniform([2, 6, 2]) },
    build: (g, { x }) => {
      const [a, , c] = g.op('Split', [x!, i64([1, 2, 3])], { axis: attr.int(1) }, { outputs: 3 });
      return g.concat([g.exp(a!), c!], 1);
    },
  }));
  checks('Split', 'Split (opset 18, num_outputs) on axis −1', () => ({
    opset: 18,
    inputs: { x: testData(321).uniform([3, 4]) },
    build: (g, { x }) => {
      const [a, b] = g.op('Split', [x!], { axis: attr.int(-1), num_outputs: attr.int(2) }, { outputs: 2 });
      return g.mul(a!, b!);
    },
  }));
  checks('Slice', 'Slice with a negative step', () => ({
    inputs: { x: testData(330).uniform([4, 6]) },
    build: (g, { x }) => g.op('Slice', [x!, i64([-1, 5]), i64([-1000, 0]), i64([0, 1]), i64([-2, -2])]),
  }));
  checks('Slice', 'Slice with default axes and steps, and out-of-range ends', () => ({
    inputs: { x: testData(331).uniform([3, 4, 2]) },
    build: (g, { x }) => g.op('Slice', [x!, i64([1, -3]), i64([100, 3])]),
  }));
  checks('Slice', 'Slice with negative axes and a step of 3', () => ({
    inputs: { x: testData(332).uniform([2, 3, 4]) },
    build: (g, { x }) => g.op('Slice', [x!, i64([0, 2]), i64([4, 0]), i64([-1, -2]), i64([3, -1])]),
  }));
  checks('Gather', 'Gather on axis 0 with repeated and negative indices', () => ({
    inputs: { x: testData(340).uniform([4, 3]) },
    build: (g, { x }) => g.op('Gather', [x!, i64([0, 2, 2, -1, 3, 2], [2, 3])]),
  }));
  checks('Gather', 'Gather on axis 0 with a scalar index', () => ({ inputs: { x: testData(341).uniform([4, 3]) }, build: (g, { x }) => g.op('Gather', [x!, i64([2], [])]) }));
  checks('Gather', 'Gather on axis 1 with repeated indices', () => ({
    inputs: { x: testData(342).uniform([2, 4, 3]) },
    build: (g, { x }) => g.op('Gather', [x!, i64([3, 1, 3, -4])], { axis: attr.int(1) }),
  }));
  for (const axis of [0, 1]) {
    checks('GatherElements', `GatherElements on axis ${axis} with repeated indices`, () => ({
      inputs: { x: testData(350 + axis).uniform([3, 4]) },
      build: (g, { x }) => g.op('GatherElements', [x!, axis === 0 ? i64([0, 2, 2, 1, 2, 2, 0, -1], [2, 4]) : i64([3, 3, 0, 1, 1, 1, 2, -1, 0], [3, 3])], { axis: attr.int(axis) }),
    }));
  }
  checks('Pad', 'Pad (constant) with negative pads and a constant_value input', () => ({
    inputs: { x: testData(360).uniform([3, 4]), v: f64([0.7], []) },
    build: (g, { x, v }) => g.op('Pad', [x!, i64([1, -1, 0, 2]), v!]),
  }));
  checks('Pad', 'Pad (reflect) adds the gradient of each mirrored copy to the element it copies', () => ({
    inputs: { x: testData(362).uniform([2, 5]) },
    build: (g, { x }) => g.op('Pad', [x!, i64([1, 3, 0, 2])], { mode: 'reflect' }),
  }));
  checks('Pad', 'Pad (edge) adds the gradient of the repeated edges to the edge elements', () => ({
    inputs: { x: testData(363).uniform([3, 4]) },
    build: (g, { x }) => g.op('Pad', [x!, i64([2, 0, 1, 3])], { mode: 'edge' }),
  }));
  checks('Pad', 'Pad (opset 18) with an axes input', () => ({
    opset: 18,
    inputs: { x: testData(361).uniform([2, 3, 2]) },
    build: (g, { x }) => g.op('Pad', [x!, i64([-1, 2, 1, 0]), null, i64([2, 1])]),
  }));
  checks('TopK', 'TopK (largest, axis 1) sends the gradient to the picked elements', () => ({
    inputs: { x: testData(370).uniform([3, 5], -1, 1, { distinct: true }) },
    build: (g, { x }) => g.op('TopK', [x!, i64([2])], { axis: attr.int(1) }, { outputs: 2, dtypes: ['float64', 'int64'] })[0]!,
  }));
  checks('TopK', 'TopK (smallest, axis 0, unsorted)', () => ({
    inputs: { x: testData(371).uniform([4, 3], -1, 1, { distinct: true }) },
    build: (g, { x }) => g.op('TopK', [x!, i64([3])], { axis: attr.int(0), largest: attr.int(0), sorted: attr.int(0) }, { outputs: 2, dtypes: ['float64', 'int64'] })[0]!,
  }));
});

describe('reduction and normalisation rules', () => {
  /** Axes variants: [title, axes, keepdims]. */
  const variants: readonly [string, readonly number[] | undefined, 0 | 1][] = [
    ['axis 1, keepdims', [1], 1],
    ['axis −1, no keepdims', [-1], 0],
    ['axes [0, −1], no keepdims', [0, -1], 0],
    ['all axes (none given), keepdims', undefined, 1],
    ['all axes (none given), no keepdims', undefined, 0],
  ];
  const reduce = (op: string, opset: number, axes: readonly number[] | undefined, keepdims: number) => (g: GraphBuilder, x: Readonly<Record<string, Value>>) => {
    const axesAsInput = op === 'ReduceSum' ? opset >= 13 : opset >= 18;
    if (axes === undefined) return g.op(op, [x['x']!], { keepdims: attr.int(keepdims) });
    return axesAsInput ? g.op(op, [x['x']!, i64(axes)], { keepdims: attr.int(keepdims) }) : g.op(op, [x['x']!], { axes: attr.ints(axes), keepdims: attr.int(keepdims) });
  };
  const forms: readonly [string, number][] = [
    ['ReduceSum', 17],
    ['ReduceMean', 17],
    ['ReduceMean', 18],
    ['ReduceMax', 17],
    ['ReduceMax', 18],
    ['ReduceL2', 17],
    ['ReduceL2', 18],
    ['ReduceMin', 17],
    ['ReduceMin', 18],
    ['ReduceProd', 17],
    ['ReduceProd', 18],
    ['ReduceL1', 17],
    ['ReduceL1', 18],
    ['ReduceSumSquare', 17],
    ['ReduceSumSquare', 18],
    ['ReduceLogSum', 17],
    ['ReduceLogSum', 18],
    ['ReduceLogSumExp', 17],
    ['ReduceLogSumExp', 18],
  ];
  /** Inputs away from each reduction's kinks and ties (ReduceLogSum on positive sums). */
  const domain = (op: string): [number, number, UniformOptions] => {
    if (op === 'ReduceMax' || op === 'ReduceMin') return [-1, 1, { distinct: true, margin: 0.01 }];
    if (op === 'ReduceLogSum') return [0.2, 1, {}];
    if (op === 'ReduceProd') return [0.5, 1.5, {}];
    if (op === 'ReduceL1') return [-1, 1, { avoid: [0] }];
    return [-1, 1, {}];
  };
  forms.forEach(([op, opset], k) => {
    variants.forEach(([title, axes, keepdims], j) => {
      checks(op, `${op} (opset ${opset}) over ${title}`, () => ({
        opset,
        inputs: { x: testData(k < 7 ? 400 + 10 * k + j : 4000 + 10 * k + j).uniform([2, 3, 4], ...domain(op)) },
        build: reduce(op, opset, axes, keepdims),
      }));
    });
  });
  checks('ReduceProd', 'ReduceProd with negative factors', () => ({
    opset: 18,
    inputs: { x: testData(4200).uniform([2, 3, 4], -1.5, 1.5, { avoid: [0], margin: 0.3 }) },
    build: reduce('ReduceProd', 18, [1], 1),
  }));
  const thrown = (f: () => unknown): unknown => {
    try {
      f();
    } catch (error) {
      return error;
    }
    return undefined;
  };
  for (const op of ['ReduceProd', 'ReduceL1', 'ReduceSumSquare', 'ReduceLogSum', 'ReduceLogSumExp']) {
    it(`refuses ${op} with noop_with_empty_axes=1 and no axes (UNSUPPORTED_OP)`, () => {
      const g = new GraphBuilder({ opset: 18 });
      g.output(g.op(op, [g.input('x', 'float64', [2, 3])], { noop_with_empty_axes: attr.int(1) }), 'y');
      expect(thrown(() => gradients(g.build(), { of: 'y', wrt: ['x'] }))).toMatchObject({ code: 'UNSUPPORTED_OP', message: expect.stringContaining('noop_with_empty_axes=1') });
    });
  }

  for (const op of ['ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceMean', 'ReduceL2']) {
    checks(op, `${op} (opset 18) with noop_with_empty_axes=1 and no axes is the identity`, () => ({
      opset: 18,
      inputs: { x: testData(470).uniform([2, 3], -1, 1, { distinct: true, avoid: [0] }) },
      build: unary(op, { noop_with_empty_axes: attr.int(1) }),
    }));
  }

  for (const op of ['Softmax', 'LogSoftmax']) {
    for (const axis of [0, 1, -1, undefined]) {
      checks(op, `${op} on axis ${axis ?? '(default, −1)'}`, () => ({
        inputs: { x: testData(480 + (axis ?? 5)).uniform([2, 3, 4], -2, 2) },
        build: unary(op, axis === undefined ? {} : { axis: attr.int(axis) }),
      }));
    }
  }

  checks('LayerNormalization', 'LayerNormalization on axis −1 (x, scale, bias)', () => {
    const data = testData(490);
    return { inputs: { x: data.uniform([2, 3, 4]), s: data.uniform([4]), b: data.uniform([4]) }, build: (g, { x, s, b }) => g.op('LayerNormalization', [x!, s!, b!], { axis: attr.int(-1) }) };
  });
  checks('LayerNormalization', 'LayerNormalization on axis 1, epsilon 1e-3 (x, scale, bias)', () => {
    const data = testData(491);
    return {
      inputs: { x: data.uniform([2, 3, 4]), s: data.uniform([3, 4]), b: data.uniform([3, 4]) },
      build: (g, { x, s, b }) => g.op('LayerNormalization', [x!, s!, b!], { axis: attr.int(1), epsilon: attr.float(1e-3) }),
    };
  });
  checks('LayerNormalization', 'LayerNormalization without bias, default axis', () => {
    const data = testData(492);
    return { inputs: { x: data.uniform([4, 5]), s: data.uniform([5]) }, build: (g, { x, s }) => g.op('LayerNormalization', [x!, s!]) };
  });
  checks('BatchNormalization', 'BatchNormalization (inference) on [2,3,2,2]: x, scale, bias, mean and variance', () => {
    const data = testData(493);
    return {
      inputs: { x: data.uniform([2, 3, 2, 2]), s: data.uniform([3]), b: data.uniform([3]), m: data.uniform([3]), v: data.uniform([3], 0.3, 2) },
      build: (g, { x, s, b, m, v }) => g.op('BatchNormalization', [x!, s!, b!, m!, v!], { epsilon: attr.float(1e-3) }),
    };
  });
  checks('BatchNormalization', 'BatchNormalization (inference) on [4,3]', () => {
    const data = testData(494);
    return {
      inputs: { x: data.uniform([4, 3]), s: data.uniform([3]), b: data.uniform([3]), m: data.uniform([3]), v: data.uniform([3], 0.3, 2) },
      build: (g, { x, s, b, m, v }) => g.op('BatchNormalization', [x!, s!, b!, m!, v!]),
    };
  });
});

describe('convolution and pooling rules', () => {
  const f32 = (seed: number) => {
    const data = testData(seed);
    return (shape: readonly number[], lo = -1, hi = 1) => data.uniform(shape, lo, hi, { dtype: 'float32' });
  };
  checks('Conv', 'Conv 2-D with strides, asymmetric pads, dilations and bias (float32)', () => {
    const u = f32(500);
    return {
      inputs: { x: u([1, 2, 3, 4]), w: u([2, 2, 2, 2]), b: u([2]) },
      build: (g, { x, w, b }) => g.op('Conv', [x!, w!, b!], { strides: attr.ints([1, 2]), pads: attr.ints([1, 0, 1, 1]), dilations: attr.ints([2, 1]) }),
      ...LINEAR_F32,
    };
  });
  checks('Conv', 'Conv 2-D, unit stride with asymmetric pads and dilations (input gradient as a flipped-kernel Conv, float32)', () => {
    const u = f32(504);
    return {
      inputs: { x: u([2, 2, 5, 5]), w: u([3, 2, 3, 2]), b: u([3]) },
      build: (g, { x, w, b }) => g.op('Conv', [x!, w!, b!], { pads: attr.ints([2, 0, 1, 1]), dilations: attr.ints([1, 2]) }),
      ...LINEAR_F32,
    };
  });
  checks('Conv', 'Conv 2-D with default attributes (float32)', () => {
    const u = f32(501);
    return { inputs: { x: u([2, 1, 3, 3]), w: u([3, 1, 2, 2]) }, build: (g, { x, w }) => g.op('Conv', [x!, w!]), ...LINEAR_F32 };
  });
  checks('Conv', 'Conv 1-D with stride 2 and pads, where the last input column is left out (float32)', () => {
    const u = f32(502);
    return {
      inputs: { x: u([2, 2, 6]), w: u([3, 2, 3]), b: u([3]) },
      build: (g, { x, w, b }) => g.op('Conv', [x!, w!, b!], { strides: attr.ints([2]), pads: attr.ints([1, 0]) }),
      ...LINEAR_F32,
    };
  });
  checks('ConvTranspose', 'ConvTranspose 2-D with strides, pads, dilations and bias (float32)', () => {
    const u = f32(510);
    return {
      inputs: { x: u([1, 2, 3, 3]), w: u([2, 3, 2, 2]), b: u([3]) },
      build: (g, { x, w, b }) => g.op('ConvTranspose', [x!, w!, b!], { strides: attr.ints([2, 1]), pads: attr.ints([1, 0, 0, 1]), dilations: attr.ints([1, 2]) }),
      ...LINEAR_F32,
    };
  });
  checks('ConvTranspose', 'ConvTranspose 1-D with output_padding (float32)', () => {
    const u = f32(511);
    return {
      inputs: { x: u([2, 2, 4]), w: u([2, 1, 3]) },
      build: (g, { x, w }) => g.op('ConvTranspose', [x!, w!], { strides: attr.ints([2]), output_padding: attr.ints([1]) }),
      ...LINEAR_F32,
    };
  });
  checks('Conv', 'Conv grouped (group 2): x and bias (float32)', () => {
    const u = f32(503);
    return {
      inputs: { x: u([1, 4, 2, 3]), w: u([2, 2, 2, 2]), b: u([2]) },
      wrt: ['x', 'b'],
      build: (g, { x, w, b }) => g.op('Conv', [x!, w!, b!], { group: attr.int(2) }),
      ...LINEAR_F32,
    };
  });
  checks('MaxPool', 'MaxPool 2-D whose windows tile the input, with a ragged edge (window reshapes)', () => ({
    inputs: { x: testData(540).uniform([2, 2, 5, 4]) },
    build: (g, { x }) => g.op('MaxPool', [x!], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) }),
  }));
  checks('MaxPool', 'MaxPool 2-D with strides and pads', () => ({
    inputs: { x: testData(510).uniform([1, 2, 4, 3], -1, 1, { distinct: true }) },
    build: (g, { x }) => g.op('MaxPool', [x!], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 1]), pads: attr.ints([1, 0, 0, 1]) }),
  }));
  checks('MaxPool', 'MaxPool 2-D with overlapping windows and dilations, Indices output unused', () => ({
    inputs: { x: testData(511).uniform([1, 1, 4, 5], -1, 1, { distinct: true }) },
    build: (g, { x }) => g.op('MaxPool', [x!], { kernel_shape: attr.ints([2, 2]), dilations: attr.ints([1, 2]) }, { outputs: 2, dtypes: ['float64', 'int64'] })[0]!,
  }));
  checks('MaxPool', 'MaxPool 1-D with stride 2 and pads', () => ({
    inputs: { x: testData(512).uniform([2, 2, 5], -1, 1, { distinct: true }) },
    build: (g, { x }) => g.op('MaxPool', [x!], { kernel_shape: attr.ints([3]), strides: attr.ints([2]), pads: attr.ints([1, 1]) }),
  }));
  checks('MaxPool', 'MaxPool with ceil_mode=1 (a partial last window)', () => ({
    inputs: { x: testData(513).uniform([1, 2, 3, 3], -1, 1, { distinct: true }) },
    build: (g, { x }) => g.op('MaxPool', [x!], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]), ceil_mode: attr.int(1) }),
  }));
  checks('MaxPool', 'MaxPool with storage_order=1 (column-major Indices)', () => ({
    inputs: { x: testData(514).uniform([2, 1, 3, 4], -1, 1, { distinct: true }) },
    build: (g, { x }) => g.op('MaxPool', [x!], { kernel_shape: attr.ints([2, 2]), storage_order: attr.int(1) }),
  }));
  checks('AveragePool', 'AveragePool 2-D with non-overlapping windows and a ragged edge (block upsampling, float32)', () => ({
    inputs: { x: f32(530)([2, 3, 5, 4]) },
    build: (g, { x }) => g.op('AveragePool', [x!], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) }),
    ...LINEAR_F32,
  }));
  checks('AveragePool', 'AveragePool 2-D with strides (float32)', () => ({
    inputs: { x: f32(520)([1, 2, 3, 4]) },
    build: (g, { x }) => g.op('AveragePool', [x!], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([1, 2]) }),
    ...LINEAR_F32,
  }));
  checks('AveragePool', 'AveragePool 2-D with pads counted in (count_include_pad=1, float32)', () => ({
    inputs: { x: f32(521)([2, 1, 3, 3]) },
    build: (g, { x }) => g.op('AveragePool', [x!], { kernel_shape: attr.ints([2, 3]), pads: attr.ints([1, 1, 0, 1]), strides: attr.ints([2, 1]), count_include_pad: attr.int(1) }),
    ...LINEAR_F32,
  }));
  checks('AveragePool', 'AveragePool 2-D whose last window stops short of the end padding (float32)', () => ({
    inputs: { x: f32(523)([1, 2, 3, 4]) },
    build: (g, { x }) => g.op('AveragePool', [x!], { kernel_shape: attr.ints([2, 2]), pads: attr.ints([0, 0, 1, 1]), strides: attr.ints([2, 2]), count_include_pad: attr.int(1) }),
    ...LINEAR_F32,
  }));
  checks('AveragePool', 'AveragePool 1-D (float32)', () => ({
    inputs: { x: f32(522)([2, 2, 5]) },
    build: (g, { x }) => g.op('AveragePool', [x!], { kernel_shape: attr.ints([3]), strides: attr.ints([2]) }),
    ...LINEAR_F32,
  }));
  checks('GlobalAveragePool', 'GlobalAveragePool 2-D and 1-D (float32)', () => {
    const u = f32(530);
    return {
      inputs: { x: u([2, 3, 2, 2]), z: u([2, 3, 3]) },
      build: (g, { x, z }) => g.add(g.reshape(g.op('GlobalAveragePool', [x!]), [2, 3]), g.reshape(g.op('GlobalAveragePool', [z!]), [2, 3])),
      ...LINEAR_F32,
    };
  });
  checks('Col2Im', 'Col2Im (opset 18) of 2×2 blocks with strides, dilations and pads, overlapping (float32)', () => ({
    opset: 18,
    inputs: { x: f32(565)([2, 8, 9]) },
    build: (g, { x }) => g.op('Col2Im', [x!, i64([4, 5]), i64([2, 2])], { strides: attr.ints([1, 2]), dilations: attr.ints([2, 1]), pads: attr.ints([1, 0, 0, 1]) }),
    ...LINEAR_F32,
  }));
  const awayFromZero = (seed: number, shape: readonly number[]) => testData(seed).uniform(shape, -1, 1, { dtype: 'float32', avoid: [0], margin: 0.05 });
  checks('LpPool', 'LpPool 2-D, p = 2, overlapping windows with strides and pads (float32)', () => ({
    inputs: { x: awayFromZero(560, [1, 2, 4, 5]) },
    build: (g, { x }) => g.op('LpPool', [x!], { kernel_shape: attr.ints([2, 3]), strides: attr.ints([1, 2]), pads: attr.ints([1, 0, 0, 1]) }),
    ...SMOOTH_F32,
  }));
  checks('LpPool', 'LpPool 1-D, p = 3 (float32)', () => ({
    inputs: { x: awayFromZero(561, [2, 2, 6]) },
    build: (g, { x }) => g.op('LpPool', [x!], { kernel_shape: attr.ints([3]), strides: attr.ints([2]), p: attr.int(3) }),
    ...SMOOTH_F32,
  }));
});

/** Families whose checks live in their own files (grad-rules-<family>.test.ts, each checking its whole family). */
const CHECKED_ELSEWHERE = new Set([ACTIVATION_RULES, NORMALIZATION_RULES, INDEXING_RULES, EINSUM_RULES, ATTENTION_RULES, POOLING_RULES, LOSS_RULES, SPECTRAL_RULES, SAMPLING_RULES].flatMap((family) => Object.keys(family)));

it('has a finite-difference check for every registered rule (here or in its family file)', () => {
  expect(REGISTERED.filter((op) => !covered.has(op) && !CHECKED_ELSEWHERE.has(op))).toEqual([]);
});

describe('gradients()', () => {
  const run = async (model: ReturnType<GraphBuilder['build']>, feeds: Record<string, Tensor>) => (await (await cpuBackend()).session(model)).run(feeds);

  it('builds no backward nodes for integer arithmetic on a shape (a divisor computed from the input’s width)', async () => {
    // (x · xᵀ / √(width // 2)).sum(-1), as the TorchScript exporter writes it: Shape → Gather → Div (int64) → Cast → Sqrt.
    const g = new GraphBuilder();
    const x = g.input('x', 'float64', [2, 4]);
    const width = g.op('Gather', [g.op('Shape', [x], {}, { dtypes: 'int64' }), i64([1], [])], { axis: attr.int(0) }, { dtypes: 'int64' });
    const half = g.op('Div', [width, i64([2], [])], {}, { dtypes: 'int64' });
    const scale = g.op('Sqrt', [g.op('Cast', [half], { to: attr.int(11) }, { dtypes: 'float64' })], {}, { dtypes: 'float64' });
    const scores = g.op('Div', [g.op('MatMul', [x, g.op('Transpose', [x], { perm: attr.ints([1, 0]) })]), scale], {}, { dtypes: 'float64' });
    g.output(g.op('ReduceSum', [scores, i64([1])], { keepdims: attr.int(0) }), 'y');
    const data = f64([0.5, -1, 2, 0.25, 1, 3, -2, 0.5], [2, 4]);
    const { model, grads } = gradients(g.build(), { of: 'y', wrt: ['x'] });
    const out = await run(model, { x: data });
    // d/dx of Σ_ij (x xᵀ)_ij / √2 = (Σ_i x_i + Σ_j x_j) / √2 per row: 2 · colsum(x) / √2
    const rows = data.toArray() as number[][];
    const colsum = rows[0]!.map((_, k) => rows[0]![k]! + rows[1]![k]!);
    const expected = [colsum.map((c) => (2 * c) / Math.SQRT2), colsum.map((c) => (2 * c) / Math.SQRT2)];
    (out[grads['x']!]!.toArray() as number[][]).forEach((row, i) => row.forEach((v, k) => expect(v).toBeCloseTo(expected[i]![k]!, 12)));
  });

  it('gives a zero gradient, and no error, for an input that reaches the output only through Shape and Equal', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float64', [2, 3]);
    const w = g.input('w', 'float64', [2, 3]);
    const filled = g.op('ConstantOfShape', [g.op('Shape', [x], {}, { dtypes: 'int64' })], { value: f64([2], [1]) }, { dtypes: 'float64' });
    const picked = g.op('Where', [g.op('Equal', [x, g.scalar(0.5, 'float64')], {}, { dtypes: 'bool' }), w, g.neg(w)], {}, { dtypes: 'float64' });
    g.output(g.mul(filled, picked), 'y');
    const { model, grads } = gradients(g.build(), { of: 'y', wrt: ['x', 'w'] });
    const out = await run(model, { x: f64([0.5, 1, 2, 0.5, 3, 4], [2, 3]), w: f64([1, 2, 3, 4, 5, 6], [2, 3]) });
    expect(out[grads['x']!]!.toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(out[grads['w']!]!.toArray()).toEqual([[2, -2, -2], [2, -2, -2]]);
  });

  it('raises UNSUPPORTED_OP for an operator without a rule (Det), naming the op, the node and a path through it', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float64', [2, 2]);
    const det = g.op('Det', [g.mul(x, 2)]);
    g.output(g.exp(det), 'y');
    const error = thrownMechintError(() => gradients(g.build(), { of: 'y', wrt: ['x'] }));
    expect(error).toMatchObject({ code: 'UNSUPPORTED_OP', details: { opType: 'Det', node: det.name } });
    expect(error.message).toContain('Det');
    expect(error.message).toContain(`'${det.name}'`);
    const path = (error.details as { path: string[] }).path;
    expect(path[0]).toBe('x');
    expect(path).toContain(det.name);
    expect(path.at(-1)).toBe('y');
  });

  it('raises UNSUPPORTED_OP for a custom-domain operator, even one whose name has a default-domain rule, unless overridden', () => {
    const g = new GraphBuilder({ domains: { 'com.example': 1 } });
    const x = g.input('x', 'float64', [3]);
    const custom = g.op('Relu', [x], {}, { domain: 'com.example' });
    const after = g.exp(custom);
    g.output(after, 'y');
    const model = g.build();
    const error = thrownMechintError(() => gradients(model, { of: 'y', wrt: ['x'] }));
    expect(error).toMatchObject({ code: 'UNSUPPORTED_OP', details: { opType: 'Relu', node: custom.name, path: ['x', custom.name, after.name, 'y'] } });
    expect(error.message).toContain('com.example.Relu');
    expect(() => gradients(model, { of: 'y', wrt: ['x'], overrides: { Relu: (ctx) => [ctx.grad(0)] } })).not.toThrow();
  });

  it('raises UNSUPPORTED_OP when a gradient flows into LayerNormalization’s Mean output', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float64', [2, 3]);
    const [normed, mean] = g.op('LayerNormalization', [x, f64([1, 1, 1], [3])], {}, { outputs: 2 });
    g.output(g.add(normed!, mean!), 'y');
    expect(thrownMechintError(() => gradients(g.build(), { of: 'y', wrt: ['x'] }))).toMatchObject({ code: 'UNSUPPORTED_OP', details: { opType: 'LayerNormalization' } });
  });

  it('replaces a rule for one call with overrides (a straight-through Relu), leaving the registered rule in place', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float64', [4]);
    g.output(g.mul(g.relu(x), 3), 'y');
    const model = g.build();
    const feeds = { x: f64([-1, 2, -3, 4], [4]) };
    const straight: GradRule = (ctx) => [ctx.grad(0)];
    const overridden = gradients(model, { of: 'y', wrt: ['x'], overrides: { Relu: straight } });
    expect((await run(overridden.model, feeds))[overridden.grads['x']!]!.toArray()).toEqual([3, 3, 3, 3]);
    const registered = gradients(model, { of: 'y', wrt: ['x'] });
    expect((await run(registered.model, feeds))[registered.grads['x']!]!.toArray()).toEqual([0, 3, 0, 3]);
  });

  it('replaces the rule of one node by name with nodeOverrides, even on a non-differentiable operator', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [4]);
    const step = g.op('HardSigmoid', [x], { alpha: attr.float(1e9), beta: attr.float(0) });
    g.output(g.add(step, g.relu(x)), 'y');
    const model = g.build();
    const stepNode = model.graph.nodes.find((n) => n.opType === 'HardSigmoid')!.name;
    const surrogate: GradRule = (ctx) => [ctx.op('Mul', [ctx.grad(0)!, ctx.op('Div', [ctx.scalar(1), ctx.op('Add', [ctx.scalar(1), ctx.op('Mul', [ctx.input(0), ctx.input(0)])])])])];
    const { model: withGrads, grads } = gradients(model, { of: 'y', wrt: ['x'], nodeOverrides: { [stepNode]: surrogate } });
    const values = [-1, 2, -3, 0.5];
    const out = await run(withGrads, { x: Tensor.from(new Float32Array(values), [4]) });
    const expected = values.map((v) => 1 / (1 + v * v) + (v > 0 ? 1 : 0));
    (out[grads['x']!]!.toArray() as number[]).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });

  it('gives a comparison a surrogate gradient through nodeOverrides on it, through the Cast to float that follows', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float64', [4]);
    g.output(g.mul(g.cast(g.greater(x, 0), 'float64'), 2), 'y');
    const model = g.build();
    const comparison = model.graph.nodes.find((n) => n.opType === 'Greater')!.name;
    const fastSigmoid: GradRule = (ctx) => [ctx.op('Div', [ctx.grad(0)!, ctx.op('Mul', [ctx.op('Add', [ctx.op('Abs', [ctx.input(0)]), ctx.scalar(1, ctx.input(0))]), ctx.op('Add', [ctx.op('Abs', [ctx.input(0)]), ctx.scalar(1, ctx.input(0))])])]), undefined];
    const values = [-1, 2, -3, 0.5];
    const plain = gradients(model, { of: 'y', wrt: ['x'] });
    expect((await run(plain.model, { x: f64(values, [4]) }))[plain.grads['x']!]!.toArray()).toEqual([0, 0, 0, 0]);
    const surrogate = gradients(model, { of: 'y', wrt: ['x'], nodeOverrides: { [comparison]: fastSigmoid } });
    expect((await run(surrogate.model, { x: f64(values, [4]) }))[surrogate.grads['x']!]!.toArray()).toEqual(values.map((v) => 2 / (1 + Math.abs(v)) ** 2));
  });

  it('reduces a broadcast gradient with axes fixed at build time when every shape is static', async () => {
    const g = new GraphBuilder();
    const a = g.input('a', 'float32', [2, 3]);
    const b = g.input('b', 'float32', [3]);
    g.output(g.add(a, b), 'y');
    const { model, grads } = gradients(g.build(), { of: 'y', wrt: ['b'] });
    expect(model.graph.nodes.some((n) => n.opType === 'NonZero')).toBe(false);
    const out = await run(model, { a: Tensor.zeros([2, 3]), b: Tensor.zeros([3]) });
    expect(out[grads['b']!]!.toArray()).toEqual([2, 2, 2]);
  });

  it('uses a rule registered with registerGradRule in every later call', async () => {
    // Det has no registered rule; of 1×1 matrices it is their element (float32: no float64 kernel).
    const det = (g: GraphBuilder, x: Readonly<Record<string, Value>>) => g.op('Det', [x['x']!]);
    const g = new GraphBuilder();
    g.output(det(g, { x: g.input('x', 'float32', [3, 1, 1]) }), 'y');
    expect(thrownMechintError(() => gradients(g.build(), { of: 'y', wrt: ['x'] })).code).toBe('UNSUPPORTED_OP');
    registerGradRule('Det', (ctx) => [ctx.op('Reshape', [ctx.grad(0)!, ctx.shape(ctx.input(0))])]);
    expect(differentiableOps()).toContain('Det');
    await expectGradientsMatch({ inputs: { x: testData(600).uniform([3, 1, 1], -3, 3, { dtype: 'float32' }) }, build: det, ...LINEAR_F32 });
  });

  it('raises UNKNOWN_VALUE for an unknown of or wrt, suggesting close names, and INVALID_ARGUMENT for an empty wrt', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float64', [3]);
    g.output(g.exp(x), 'probs');
    const model = g.build();
    const unknownOf = thrownMechintError(() => gradients(model, { of: 'prob', wrt: ['x'] }));
    expect(unknownOf).toMatchObject({ code: 'UNKNOWN_VALUE', details: { name: 'prob' } });
    expect(unknownOf.message).toContain("'probs'");
    expect(thrownMechintError(() => gradients(model, { of: 'probs', wrt: ['x', 'nope'] }))).toMatchObject({ code: 'UNKNOWN_VALUE', details: { name: 'nope' } });
    expect(thrownMechintError(() => gradients(model, { of: 'probs', wrt: [] })).code).toBe('INVALID_ARGUMENT');
  });

  it("seeds with ones by default: seed 'ones' equals an all-ones seed input", async () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float64', [2, 3]);
    g.output(g.op('Softmax', [g.mul(x, x)]), 'y');
    const model = g.build();
    const feeds = { x: testData(610).uniform([2, 3]) };
    const ones = gradients(model, { of: 'y', wrt: ['x'], seed: 'ones' });
    const byDefault = gradients(model, { of: 'y', wrt: ['x'] });
    const seeded = gradients(model, { of: 'y', wrt: ['x'], seed: 'input' });
    const expected = (await run(seeded.model, { ...feeds, [seeded.seedInput!]: f64([1, 1, 1, 1, 1, 1], [2, 3]) }))[seeded.grads['x']!]!;
    expect(ones.seedInput).toBeUndefined();
    expect((await run(ones.model, feeds))[ones.grads['x']!]!.toArray()).toEqual(expected.toArray());
    expect((await run(byDefault.model, feeds))[byDefault.grads['x']!]!.toArray()).toEqual(expected.toArray());
  });

  it('returns the gradients of several targets (an input, a parameter, an intermediate value) from one call, as separate calls would', async () => {
    const data = testData(620);
    const weights = data.uniform([3, 4]);
    const g = new GraphBuilder();
    const x = g.input('x', 'float64', [2, 3]);
    const h = g.matmul(x, g.param('w', weights));
    g.output(g.reduceSum(g.tanh(h), { keepdims: false }), 'y');
    const model = g.build();
    const feeds = { x: data.uniform([2, 3]) };
    const together = gradients(model, { of: 'y', wrt: ['x', 'w', h.name] });
    expect(Object.keys(together.grads)).toEqual(['x', 'w', h.name]);
    const all = await run(together.model, feeds);
    for (const target of ['x', 'w', h.name]) {
      const alone = gradients(model, { of: 'y', wrt: [target] });
      const expected = (await run(alone.model, feeds))[alone.grads[target]!]!;
      expect(all[together.grads[target]!]!.toArray()).toEqual(expected.toArray());
    }
    // The chain rule links them: dy/dx = (dy/dh) wᵀ.
    const dh = all[together.grads[h.name]!]!;
    const dx = all[together.grads['x']!]!;
    for (let i = 0; i < 2; i++) {
      for (let k = 0; k < 3; k++) {
        let sum = 0;
        for (let j = 0; j < 4; j++) sum += Number(dh.get(i, j)) * Number(weights.get(k, j));
        expect(Number(dx.get(i, k))).toBeCloseTo(sum, 12);
      }
    }
  });

  it('gives zeros for a wrt value that the output does not depend on', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float64', [2]);
    g.input('z', 'float64', [3, 2]);
    g.output(g.exp(x), 'y');
    const { model, grads } = gradients(g.build(), { of: 'y', wrt: ['x', 'z'] });
    const out = await run(model, { x: f64([0, 1], [2]), z: f64([1, 2, 3, 4, 5, 6], [3, 2]) });
    expect(out[grads['z']!]!.toArray()).toEqual([[0, 0], [0, 0], [0, 0]]);
    const gx = out[grads['x']!]!;
    expect(Number(gx.get(0))).toBe(1);
    expect(Number(gx.get(1))).toBeCloseTo(Math.E, 14);
  });
});

describe('MaxPool in float32 (routed through window patches, which every provider can run)', () => {
  it('sends each window’s gradient to its first maximum, as the float64 index path does, ties and padding included', async () => {
    const values = [0, 0, 1, 0, 3, 3, 0, 2, -1, 0, 0, 0, 2, 2, -4, 0, 0, 5, 1, 1];
    const build = (dtype: 'float32' | 'float64') => {
      const g = new GraphBuilder({ opset: 17 });
      const x = g.input('x', dtype, [1, 1, 4, 5]);
      g.output(g.op('MaxPool', [x], { kernel_shape: attr.ints([2, 3]), strides: attr.ints([1, 2]), pads: attr.ints([1, 1, 0, 1]) }), 'y');
      return gradients(g.build(), { of: 'y', wrt: ['x'] });
    };
    const backend = await Backend.create({ ep: 'cpu' });
    const run = async (dtype: 'float32' | 'float64') => {
      const { model, grads } = build(dtype);
      const x = dtype === 'float32' ? Tensor.from(new Float32Array(values), [1, 1, 4, 5]) : Tensor.from(new Float64Array(values), [1, 1, 4, 5]);
      return Array.from((await (await backend.session(model)).run({ x }))[grads['x']!]!.data as Float32Array, (v) => v + 0);
    };
    expect(await run('float32')).toEqual(await run('float64'));
  });
});
