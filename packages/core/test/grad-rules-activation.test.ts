import { Tensor, attr } from '../src/index.node.js';
import { ACTIVATION_RULES } from '../src/grad/rules/activation.js';
import { expectGradientsMatch, testData, type GradCheck } from './helpers/gradcheck.js';

/**
 * The activation, trigonometric and variadic rules against central finite differences of a
 * one-node graph: float64 (h = 1e-6, 1e-6 relative) where onnxruntime's CPU provider has a
 * float64 kernel (Mish, PRelu, Sin, Cos, Mod, CastLike, Sum; Shrink with a larger step), float32 with h = 1e-2 otherwise.
 */

const covered = new Set<string>();
function checks(op: string, title: string, spec: () => GradCheck): void {
  covered.add(op);
  it(title, () => expectGradientsMatch(spec()));
}

const SMOOTH_F32 = { h: 1e-2, rtol: 1e-3, atol: 1e-4 } as const;
const x32 = (seed: number, lo = -2, hi = 2, options = {}) => testData(seed).uniform([2, 3, 4], lo, hi, { dtype: 'float32', ...options });
const x64 = (seed: number, lo = -2, hi = 2, options = {}) => testData(seed).uniform([2, 3, 4], lo, hi, options);

describe('activations', () => {
  checks('Selu', 'Selu with its default α and γ, away from 0 (float32)', () => ({ inputs: { x: x32(700, -2, 2, { avoid: [0], margin: 0.05 }) }, build: (g, { x }) => g.op('Selu', [x!]), ...SMOOTH_F32 }));
  checks('Selu', 'Selu with α 2, γ 0.5 (float32)', () => ({
    inputs: { x: x32(701, -2, 2, { avoid: [0], margin: 0.05 }) },
    build: (g, { x }) => g.op('Selu', [x!], { alpha: attr.float(2), gamma: attr.float(0.5) }),
    ...SMOOTH_F32,
  }));
  checks('Celu', 'Celu with α 0.6, away from 0 (float32)', () => ({ inputs: { x: x32(702, -2, 2, { avoid: [0], margin: 0.05 }) }, build: (g, { x }) => g.op('Celu', [x!], { alpha: attr.float(0.6) }), ...SMOOTH_F32 }));
  checks('Mish', 'Mish (opset 18, float64)', () => ({ opset: 18, inputs: { x: x64(703, -4, 4) }, build: (g, { x }) => g.op('Mish', [x!]) }));
  checks('Softsign', 'Softsign away from 0 (float32)', () => ({ inputs: { x: x32(704, -3, 3, { avoid: [0], margin: 0.05 }) }, build: (g, { x }) => g.op('Softsign', [x!]), ...SMOOTH_F32 }));
  checks('ThresholdedRelu', 'ThresholdedRelu with α 0.3, away from the threshold (float32)', () => ({
    inputs: { x: x32(705, -1, 1, { avoid: [0.3], margin: 0.05 }) },
    build: (g, { x }) => g.op('ThresholdedRelu', [x!], { alpha: attr.float(0.3) }),
    ...SMOOTH_F32,
  }));
  // onnxruntime's float64 Shrink rounds through float32: a step of 0.05 (Shrink is piecewise linear) beats the rounding.
  checks('Shrink', 'Shrink with λ 0.4 and bias 0.1, away from ±λ', () => ({
    inputs: { x: x64(706, -1, 1, { avoid: [-0.4, 0.4], margin: 0.1 }) },
    build: (g, { x }) => g.op('Shrink', [x!], { lambd: attr.float(0.4), bias: attr.float(0.1) }),
    h: 0.05,
    rtol: 1e-5,
    atol: 1e-6,
  }));
  const slopes: readonly [string, readonly number[]][] = [
    ['a per-channel slope [3,1] (broadcast)', [3, 1]],
    ['a slope [4] on the last axis (broadcast)', [4]],
    ['a full-shape slope', [2, 3, 4]],
  ];
  slopes.forEach(([title, shape], k) => {
    checks('PRelu', `PRelu with ${title}: x and slope`, () => {
      const data = testData(710 + k);
      return { inputs: { x: data.uniform([2, 3, 4], -1, 1, { avoid: [0] }), s: data.uniform(shape, 0.05, 0.5) }, build: (g, { x, s }) => g.op('PRelu', [x!, s!]) };
    });
  });
});

describe('trigonometric and hyperbolic functions', () => {
  checks('Sin', 'Sin', () => ({ inputs: { x: x64(720, -3, 3) }, build: (g, { x }) => g.op('Sin', [x!]) }));
  checks('Cos', 'Cos', () => ({ inputs: { x: x64(721, -3, 3) }, build: (g, { x }) => g.op('Cos', [x!]) }));
  const f32: readonly [string, number, number][] = [
    ['Tan', -1.2, 1.2],
    ['Asin', -0.8, 0.8],
    ['Acos', -0.8, 0.8],
    ['Atan', -3, 3],
    ['Sinh', -2, 2],
    ['Cosh', -2, 2],
    ['Asinh', -3, 3],
    ['Acosh', 1.3, 4],
    ['Atanh', -0.8, 0.8],
  ];
  f32.forEach(([op, lo, hi], k) => {
    checks(op, `${op} on (${lo}, ${hi}) (float32)`, () => ({ inputs: { x: x32(730 + k, lo, hi) }, build: (g, { x }) => g.op(op, [x!]), ...SMOOTH_F32 }));
  });
});

describe('Mod and CastLike', () => {
  checks('Mod', 'Mod (fmod) of [2,3] by a broadcast [3], both inputs, away from the jumps', () => {
    const divisors = [0.7, -1.1, 1.3];
    const a = testData(760).uniform([2, 3], -3, 3);
    // Keep a/b away from integers, where fmod jumps.
    const ad = Float64Array.from(a.data as Float64Array, (v, i) => {
      const d = divisors[i % 3]!;
      return Math.abs(v / d - Math.round(v / d)) < 0.05 ? v + 0.1 * d : v;
    });
    return { inputs: { a: Tensor.from(ad, [2, 3]), b: Tensor.from(Float64Array.from(divisors), [3]) }, build: (g, x) => g.op('Mod', [x['a']!, x['b']!], { fmod: attr.int(1) }) };
  });
  checks('CastLike', 'CastLike float64 → like a float64 tensor', () => ({
    inputs: { x: x64(761) },
    wrt: ['x'],
    build: (g, { x }) => g.op('CastLike', [x!, Tensor.from(new Float64Array([0]), [1])]),
  }));
});

describe('variadic Sum and Mean, with broadcasting', () => {
  checks('Sum', 'Sum of [2,3,4], [3,1] and a scalar', () => {
    const data = testData(750);
    return { inputs: { a: data.uniform([2, 3, 4]), b: data.uniform([3, 1]), c: data.uniform([]) }, build: (g, { a, b, c }) => g.op('Sum', [a!, b!, c!]) };
  });
  checks('Sum', 'Sum of one input is the identity', () => ({ inputs: { a: x64(751) }, build: (g, { a }) => g.op('Sum', [a!]) }));
  checks('Mean', 'Mean of [2,3,4], [4] and [2,1,1] (float32)', () => {
    const data = testData(752);
    const f = (shape: number[]) => data.uniform(shape, -1, 1, { dtype: 'float32' });
    return { inputs: { a: f([2, 3, 4]), b: f([4]), c: f([2, 1, 1]) }, build: (g, { a, b, c }) => g.op('Mean', [a!, b!, c!]), h: 0.25, rtol: 1e-4, atol: 1e-5 };
  });
});

it('has a finite-difference check for every rule of the family', () => {
  expect(Object.keys(ACTIVATION_RULES).filter((op) => !covered.has(op))).toEqual([]);
});

