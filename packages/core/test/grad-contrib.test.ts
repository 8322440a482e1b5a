import { GraphBuilder, Tensor, attr, differentiableOps, gradients, type Value } from '../src/index.node.js';
import { expectGradientsMatch, testData, type GradCheck } from './helpers/gradcheck.js';

/**
 * The backward rules of onnxruntime's `com.microsoft` operators (semantics as in onnxruntime's
 * docs/ContribOperators.md) against central finite differences of a one-node graph run by
 * onnxruntime's own contrib kernel. Most of these kernels exist in float32 only on the CPU provider,
 * so the checks run in float32: step 1e-2, 1e-3 relative + 1e-4 absolute (truncation ~h², rounding
 * ~6e-8/h). FastGelu and SimplifiedLayerNormalization also have float64 kernels: checked in float64
 * too (step 1e-6, 1e-6 relative + 1e-8 absolute; FastGelu 1e-5, see there).
 */

const SMOOTH_F32 = { h: 1e-2, rtol: 1e-3, atol: 1e-4 } as const;
const MS = { domain: 'com.microsoft' } as const;
const covered = new Set<string>();

const f32 = (seed: number, shape: readonly number[], lo = -2, hi = 2) => testData(seed).uniform(shape, lo, hi, { dtype: 'float32' });
const i64 = (values: readonly number[], shape: readonly number[]) => Tensor.from(values.map(BigInt), shape, 'int64');

function checks(op: string, title: string, spec: () => GradCheck): void {
  covered.add(op);
  it(title, () => expectGradientsMatch({ ...SMOOTH_F32, ...spec() }));
}

/** A float64 check with the default (tight) settings. */
function checks64(op: string, title: string, spec: () => GradCheck): void {
  covered.add(op);
  it(title, () => expectGradientsMatch(spec()));
}

type Build = (g: GraphBuilder, x: Readonly<Record<string, Value>>) => Value;

describe('GELU variants', () => {
  checks('Gelu', 'Gelu (exact, erf)', () => ({ inputs: { x: f32(1, [2, 3, 4]) }, build: (g, { x }) => g.op('Gelu', [x!], {}, MS) }));
  checks('FastGelu', 'FastGelu without bias (tanh approximation)', () => ({ inputs: { x: f32(2, [2, 3, 4]) }, build: (g, { x }) => g.op('FastGelu', [x!], {}, MS) }));
  checks('FastGelu', 'FastGelu with a bias broadcast over rows', () => ({ inputs: { x: f32(3, [2, 3, 4]), b: f32(4, [4]) }, build: (g, { x, b }) => g.op('FastGelu', [x!, b!], {}, MS) }));
  // onnxruntime's float64 FastGelu is itself ~1e-6 relative off the closed form (its central
  // differences disagree with the exact derivative by that much), hence 1e-5 relative here.
  checks64('FastGelu', 'FastGelu with a bias, in float64 (1e-5 relative)', () => ({
    inputs: { x: testData(14).uniform([2, 3, 4], -2, 2), b: testData(15).uniform([4]) },
    build: (g, { x, b }) => g.op('FastGelu', [x!, b!], {}, MS),
    rtol: 1e-5,
    atol: 1e-7,
  }));
  checks('BiasGelu', 'BiasGelu(A, B) = Gelu(A + B), B broadcast', () => ({ inputs: { a: f32(5, [2, 3, 4]), b: f32(6, [4]) }, build: (g, { a, b }) => g.op('BiasGelu', [a!, b!], {}, MS) }));
  checks('QuickGelu', 'QuickGelu with its default alpha 1.702', () => ({ inputs: { x: f32(7, [2, 3, 4]) }, build: (g, { x }) => g.op('QuickGelu', [x!], {}, MS) }));
  checks('QuickGelu', 'QuickGelu with alpha 0.8', () => ({ inputs: { x: f32(8, [3, 4]) }, build: (g, { x }) => g.op('QuickGelu', [x!], { alpha: attr.float(0.8) }, MS) }));
});

describe('fused layer norms', () => {
  const skipLn = (withBias: boolean, sumOut: boolean): Build => (g, x) => {
    const inputs = [x['x']!, x['skip']!, x['gamma']!, x['beta']!, withBias ? x['bias']! : null];
    const [y, , , s] = g.op('SkipLayerNormalization', inputs, { epsilon: attr.float(1e-5) }, { ...MS, outputs: 4 });
    return sumOut ? g.op('Add', [y!, g.op('Mul', [s!, s!])]) : y!;
  };
  const skipInputs = (seed: number, withBias: boolean) => ({
    x: f32(seed, [2, 3, 8]),
    skip: f32(seed + 1, [2, 3, 8]),
    gamma: f32(seed + 2, [8], 0.5, 1.5),
    beta: f32(seed + 3, [8]),
    ...(withBias ? { bias: f32(seed + 4, [8]) } : {}),
  });
  checks('SkipLayerNormalization', 'SkipLayerNormalization: input, skip, gamma, beta', () => ({ inputs: skipInputs(20, false), build: skipLn(false, false) }));
  checks('SkipLayerNormalization', 'SkipLayerNormalization with a bias, and its input+skip+bias output read downstream', () => ({ inputs: skipInputs(30, true), build: skipLn(true, true) }));
  checks('SkipLayerNormalization', 'SkipLayerNormalization with a skip broadcast over the batch ([seq, hidden])', () => ({
    inputs: { x: f32(40, [2, 3, 8]), skip: f32(41, [3, 8]), gamma: f32(42, [8], 0.5, 1.5), beta: f32(43, [8]) },
    build: (g, x) => g.op('SkipLayerNormalization', [x['x']!, x['skip']!, x['gamma']!, x['beta']!], {}, MS),
  }));
  checks('SkipSimplifiedLayerNormalization', 'SkipSimplifiedLayerNormalization (RMS) with a bias and its sum output read downstream', () => ({
    inputs: { x: f32(50, [2, 3, 8]), skip: f32(51, [2, 3, 8]), gamma: f32(52, [8], 0.5, 1.5), bias: f32(53, [8]) },
    build: (g, x) => {
      const [y, , , s] = g.op('SkipSimplifiedLayerNormalization', [x['x']!, x['skip']!, x['gamma']!, x['bias']!], { epsilon: attr.float(1e-6) }, { ...MS, outputs: 4 });
      return g.op('Add', [y!, g.op('Mul', [s!, s!])]);
    },
  }));
  it('SimplifiedLayerNormalization in the default domain, in float64', () =>
    expectGradientsMatch({
      inputs: { x: testData(67).uniform([2, 3, 8], -2, 2), scale: testData(68).uniform([8], 0.5, 1.5) },
      build: (g, { x, scale }) => g.op('SimplifiedLayerNormalization', [x!, scale!], { epsilon: attr.float(1e-6), axis: attr.int(-1) }),
    }));
  it('SimplifiedLayerNormalization in the default domain (as the transformer optimizer writes it; only onnxruntime knows it)', () =>
    expectGradientsMatch({
      ...SMOOTH_F32,
      inputs: { x: f32(62, [2, 3, 8]), scale: f32(63, [8], 0.5, 1.5) },
      build: (g, { x, scale }) => g.op('SimplifiedLayerNormalization', [x!, scale!], { epsilon: attr.float(1e-6), axis: attr.int(-1) }),
    }));
});

describe('RotaryEmbedding (com.microsoft)', () => {
  // Angles of a real rotary cache: cos / sin of position · 10000^(−2i/d).
  const caches = (positions: number, half: number) => {
    const angle = (p: number, i: number) => p * Math.pow(10000, (-2 * i) / (2 * half));
    const table = (f: (v: number) => number) => Tensor.from(Float32Array.from({ length: positions * half }, (_, k) => f(angle(Math.floor(k / half), k % half) + 0.3)), [positions, half]);
    return { cos: table(Math.cos), sin: table(Math.sin) };
  };
  const rotary = (attributes: Record<string, ReturnType<typeof attr.int>>, half: number): Build => (g, { x }) => {
    const { cos, sin } = caches(6, half);
    return g.op('RotaryEmbedding', [x!, i64([0, 2, 1, 5, 3, 4], [2, 3]), cos, sin], attributes, MS);
  };
  checks('RotaryEmbedding', 'RotaryEmbedding on [batch, seq, hidden] with num_heads, half-split pairs', () => ({
    inputs: { x: f32(70, [2, 3, 8]) },
    build: rotary({ num_heads: attr.int(2) }, 2),
  }));
  checks('RotaryEmbedding', 'RotaryEmbedding, interleaved pairs', () => ({
    inputs: { x: f32(71, [2, 3, 8]) },
    build: rotary({ num_heads: attr.int(2), interleaved: attr.int(1) }, 2),
  }));
  checks('RotaryEmbedding', 'RotaryEmbedding on part of each head (rotary_embedding_dim 2 of 4, as GPT-NeoX)', () => ({
    inputs: { x: f32(72, [2, 3, 8]) },
    build: rotary({ num_heads: attr.int(2), rotary_embedding_dim: attr.int(2) }, 1),
  }));
  checks('RotaryEmbedding', 'RotaryEmbedding on [batch, heads, seq, head]', () => ({
    inputs: { x: f32(73, [2, 2, 3, 4]) },
    build: rotary({}, 2),
  }));
});

it('every registered com.microsoft float rule is checked in this file', () => {
  expect(differentiableOps('com.microsoft').filter((op) => !covered.has(op))).toEqual([]);
});

describe('Attention (com.microsoft, packed QKV)', () => {
  const i32 = (values: readonly number[], shape: readonly number[]) => new Tensor('int32', Int32Array.from(values), shape);
  const attention = (mask: Tensor | null, attributes: Record<string, ReturnType<typeof attr.int>> = {}): Build => (g, { x, w, b }) =>
    g.op('Attention', [x!, w!, b!, mask === null ? null : g.constant(mask)], { num_heads: attr.int(2), ...attributes }, MS);
  const inputs = (seed: number) => ({ x: f32(seed, [2, 3, 8], -1, 1), w: f32(seed + 1, [8, 24], -0.5, 0.5), b: f32(seed + 2, [24], -0.5, 0.5) });
  checks('Attention', 'Attention without a mask: input, packed weight and bias', () => ({ inputs: inputs(80), build: attention(null) }));
  checks('Attention', 'Attention with a 1-D mask_index of end positions (as BERT exports reduce their mask to)', () => ({ inputs: inputs(83), build: attention(i32([3, 2], [2])) }));
  checks('Attention', 'Attention with a 2-D 0/1 mask', () => ({ inputs: inputs(86), build: attention(i32([1, 1, 0, 0, 1, 1], [2, 3])) }));
  checks('Attention', 'Attention, unidirectional (causal)', () => ({ inputs: inputs(89), build: attention(null, { unidirectional: attr.int(1) }) }));
  checks('Attention', 'Attention with a scale attribute and qkv_hidden_sizes', () => ({
    inputs: { x: f32(92, [2, 3, 8], -1, 1), w: f32(93, [8, 20], -0.5, 0.5), b: f32(94, [20], -0.5, 0.5) },
    build: (g, { x, w, b }) => g.op('Attention', [x!, w!, b!], { num_heads: attr.int(2), scale: attr.float(0.3), qkv_hidden_sizes: [4n, 4n, 12n] }, MS),
  }));
});

describe('EmbedLayerNormalization', () => {
  const i32 = (values: readonly number[], shape: readonly number[]) => new Tensor('int32', Int32Array.from(values), shape);
  checks('EmbedLayerNormalization', 'EmbedLayerNormalization: word, position and segment tables, gamma, beta (ids repeat, so rows add up)', () => ({
    inputs: { word: f32(100, [6, 8]), position: f32(101, [4, 8]), segment: f32(102, [2, 8]), gamma: f32(103, [8], 0.5, 1.5), beta: f32(104, [8]) },
    build: (g, x) =>
      g.op('EmbedLayerNormalization', [g.constant(i32([1, 4, 1, 5, 0, 4], [2, 3])), g.constant(i32([0, 1, 1, 0, 0, 1], [2, 3])), x['word']!, x['position']!, x['segment']!, x['gamma']!, x['beta']!], { epsilon: attr.float(1e-5) }, {
        ...MS,
        outputs: 2,
        dtypes: ['float32', 'int32'],
      })[0]!,
  }));
  checks('EmbedLayerNormalization', 'EmbedLayerNormalization without segments, with position_ids, and its embedding-sum output read downstream', () => ({
    inputs: { word: f32(110, [6, 8]), position: f32(111, [4, 8]), gamma: f32(112, [8], 0.5, 1.5), beta: f32(113, [8]) },
    build: (g, x) => {
      const [y, , sum] = g.op('EmbedLayerNormalization', [g.constant(i32([1, 4, 1, 5, 0, 4], [2, 3])), null, x['word']!, x['position']!, null, x['gamma']!, x['beta']!, null, g.constant(i32([2, 0, 3], [1, 3]))], { epsilon: attr.float(1e-5) }, {
        ...MS,
        outputs: 3,
        dtypes: ['float32', 'int32', 'float32'],
      });
      return g.op('Add', [y!, g.op('Mul', [sum!, sum!])]);
    },
  }));
});

describe('MultiHeadAttention (com.microsoft, separate query / key / value)', () => {
  const i32 = (values: readonly number[], shape: readonly number[]) => new Tensor('int32', Int32Array.from(values), shape);
  checks('MultiHeadAttention', 'MultiHeadAttention: query [2,3,8], key and value [2,4,8], no bias', () => ({
    inputs: { q: f32(120, [2, 3, 8], -1, 1), k: f32(121, [2, 4, 8], -1, 1), v: f32(122, [2, 4, 8], -1, 1) },
    build: (g, { q, k, v }) => g.op('MultiHeadAttention', [q!, k!, v!], { num_heads: attr.int(2) }, MS),
  }));
  checks('MultiHeadAttention', 'MultiHeadAttention with a packed bias and a 2-D key_padding_mask', () => ({
    inputs: { q: f32(123, [2, 3, 8], -1, 1), k: f32(124, [2, 4, 8], -1, 1), v: f32(125, [2, 4, 8], -1, 1), b: f32(126, [24], -0.5, 0.5) },
    build: (g, { q, k, v, b }) => g.op('MultiHeadAttention', [q!, k!, v!, b!, g.constant(i32([1, 1, 1, 0, 1, 0, 1, 1], [2, 4]))], { num_heads: attr.int(2) }, MS),
  }));
  it('a past key / value state is refused with UNSUPPORTED_OP naming the node', () => {
    const g = new GraphBuilder({ opset: 17 });
    const q = g.input('q', 'float32', [1, 3, 8]);
    const kv = (seed: number) => g.constant(f32(seed, [1, 3, 8]));
    const past = (seed: number) => g.constant(f32(seed, [1, 2, 1, 4]));
    g.output(g.op('MultiHeadAttention', [q, kv(1), kv(2), null, null, null, past(3), past(4)], { num_heads: attr.int(2) }, MS), 'y');
    expect(() => gradients(g.build(), { of: 'y', wrt: ['q'] })).toThrow(/MultiHeadAttention node '[^']+': a past key \/ value state/);
  });
});
