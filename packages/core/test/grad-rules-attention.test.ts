import { GraphBuilder, Tensor, attr, gradients, type Value } from '../src/index.node.js';
import { ATTENTION_RULES } from '../src/grad/rules/attention.js';
import { expectGradientsMatch, testData, type GradCheck } from './helpers/gradcheck.js';

/**
 * The opset-23 attention rules against central finite differences of a one-node graph:
 * Attention in float64 (h = 1e-6, 1e-6 relative); RotaryEmbedding in float32 (h = 1e-2), as
 * onnxruntime's CPU provider (like the operator's schema) has no float64 RotaryEmbedding.
 */

const covered = new Set<string>();
function checks(op: string, title: string, spec: () => GradCheck): void {
  covered.add(op);
  it(title, () => expectGradientsMatch(spec()));
}

const i64 = (values: readonly number[], shape: readonly number[]) => Tensor.from(values.map(BigInt), shape, 'int64');

describe('Attention (opset 23)', () => {
  checks('Attention', '4-D multi-head attention with a float mask: Q, K, V and the mask', () => {
    const data = testData(1000);
    return {
      opset: 23,
      inputs: { q: data.uniform([1, 2, 3, 4]), k: data.uniform([1, 2, 5, 4]), v: data.uniform([1, 2, 5, 3]), m: data.uniform([3, 5]) },
      build: (g, { q, k, v, m }) => g.op('Attention', [q!, k!, v!, m!]),
    };
  });
  checks('Attention', '4-D group-query attention (4 query heads, 2 KV heads), causal', () => {
    const data = testData(1001);
    return {
      opset: 23,
      inputs: { q: data.uniform([2, 4, 3, 2]), k: data.uniform([2, 2, 3, 2]), v: data.uniform([2, 2, 3, 2]) },
      build: (g, { q, k, v }) => g.op('Attention', [q!, k!, v!], { is_causal: attr.int(1) }),
    };
  });
  checks('Attention', '3-D inputs (q_num_heads 2, kv_num_heads 1) with a boolean mask, scale 0.3 and softcap 2', () => {
    const data = testData(1002);
    const mask = Tensor.from([true, true, false, true, false, true, true, true, true, false, true, true], [3, 4]);
    return {
      opset: 23,
      inputs: { q: data.uniform([2, 3, 4]), k: data.uniform([2, 4, 2]), v: data.uniform([2, 4, 3]) },
      build: (g, { q, k, v }) => g.op('Attention', [q!, k!, v!, mask], { q_num_heads: attr.int(2), kv_num_heads: attr.int(1), scale: attr.float(0.3), softcap: attr.float(2) }),
    };
  });
});

describe('RotaryEmbedding (opset 23, float32)', () => {
  const f32 = { h: 1e-2, rtol: 1e-3, atol: 1e-4 } as const;
  const caches = (seed: number, positions: number, half: number) => {
    const angles = Array.from(testData(seed).uniform([positions, half], -3, 3).data as Float64Array);
    return { cos: Tensor.from(Float32Array.from(angles, Math.cos), [positions, half]), sin: Tensor.from(Float32Array.from(angles, Math.sin), [positions, half]) };
  };
  for (const interleaved of [0, 1]) {
    checks('RotaryEmbedding', `4-D input with position ids, interleaved=${interleaved}`, () => {
      const { cos, sin } = caches(1010 + interleaved, 6, 2);
      return {
        opset: 23,
        inputs: { x: testData(1012 + interleaved).uniform([1, 2, 3, 4], -1, 1, { dtype: 'float32' }) },
        build: (g, { x }) => g.op('RotaryEmbedding', [x!, cos, sin, i64([4, 0, 2], [1, 3])], { interleaved: attr.int(interleaved) }),
        ...f32,
      };
    });
  }
  checks('RotaryEmbedding', '3-D input (num_heads 2) rotating the first 2 of 4 dims per head', () => {
    const { cos, sin } = caches(1014, 5, 1);
    return {
      opset: 23,
      inputs: { x: testData(1015).uniform([2, 3, 8], -1, 1, { dtype: 'float32' }) },
      build: (g, { x }) => g.op('RotaryEmbedding', [x!, cos, sin, i64([0, 1, 2, 3, 4, 1], [2, 3])], { num_heads: attr.int(2), rotary_embedding_dim: attr.int(2) }),
      ...f32,
    };
  });
});

it('refuses Attention with a KV cache, naming it (UNSUPPORTED_OP)', () => {
  const g = new GraphBuilder({ opset: 23 });
  const [q, k, v, pk, pv] = ['q', 'k', 'v', 'pk', 'pv'].map((name) => g.input(name, 'float64', [1, 1, 2, 2])) as [Value, Value, Value, Value, Value];
  g.output(g.op('Attention', [q, k, v, null, pk, pv], {}, { outputs: 3 })[0]!, 'y');
  let error: unknown;
  try {
    gradients(g.build(), { of: 'y', wrt: ['q'] });
  } catch (e) {
    error = e;
  }
  expect(error).toMatchObject({ code: 'UNSUPPORTED_OP', message: expect.stringContaining('KV cache') });
});

it('has a finite-difference check for every rule of the family', () => {
  expect(Object.keys(ATTENTION_RULES).filter((op) => !covered.has(op))).toEqual([]);
});
