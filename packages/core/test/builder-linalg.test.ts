/**
 * GraphBuilder linear algebra — MatMul, Gemm, Einsum — and the kernels domain packages build from
 * it (Gram matrices, pairwise squared distances), checked against plain JavaScript loops.
 */
import { Tensor } from '../src/index.node.js';
import { GraphBuilder } from '../src/builder/index.js';
import { mulberry32, uniform } from './helpers/random.js';
import { expectClose, run } from './helpers/builder.js';

/** C = A·B for row-major A [n, k] and B [k, m], by the triple loop. */
function matmulLoop(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): number[] {
  const c = new Array<number>(n * m).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) for (let p = 0; p < k; p++) c[i * m + j]! += a[i * k + p]! * b[p * m + j]!;
  return c;
}

describe('matmul', () => {
  it('multiplies matrices like the triple loop', async () => {
    const rng = mulberry32(1);
    const a = uniform(rng, [5, 7]);
    const b = uniform(rng, [7, 3]);
    const g = new GraphBuilder();
    g.output(g.matmul(g.input('a', 'float32', [5, 7]), g.input('b', 'float32', [7, 3])), 'c');
    const { c } = await run(g, { a, b });
    expect(c!.shape).toEqual([5, 3]);
    expectClose(c!.data as Float32Array, matmulLoop(a.data, b.data, 5, 7, 3));
  });

  it('broadcasts batch dimensions and treats rank-1 operands as vectors', async () => {
    const rng = mulberry32(2);
    const a = uniform(rng, [2, 3, 4]);
    const w = uniform(rng, [4, 5]);
    const v = uniform(rng, [4]);
    const g = new GraphBuilder();
    const x = g.input('a', 'float32', [2, 3, 4]);
    const batched = g.matmul(x, g.input('w', 'float32', [4, 5]));
    const mv = g.matmul(x, g.input('v', 'float32', [4]));
    expect([batched.shape, mv.shape]).toEqual([
      [2, 3, 5],
      [2, 3],
    ]);
    g.output(batched, 'aw');
    g.output(mv, 'av');
    const out = await run(g, { a, w, v });
    const expectedAw = [0, 1].flatMap((b) => matmulLoop(a.data.subarray(b * 12, (b + 1) * 12), w.data, 3, 4, 5));
    const expectedAv = [0, 1].flatMap((b) => matmulLoop(a.data.subarray(b * 12, (b + 1) * 12), v.data, 3, 4, 1));
    expectClose(out['aw']!.data as Float32Array, expectedAw);
    expect(out['av']!.shape).toEqual([2, 3]);
    expectClose(out['av']!.data as Float32Array, expectedAv);
  });

  it('multiplies int64 matrices exactly', async () => {
    const g = new GraphBuilder();
    const a = g.input('a', 'int64', [2, 2]);
    g.output(g.matmul(a, a), 'c');
    const { c } = await run(g, { a: Tensor.from([[1n, 2n], [3n, 4n]]) });
    expect(c!.toArray()).toEqual([
      [7n, 10n],
      [15n, 22n],
    ]);
  });
});

describe('gemm', () => {
  it('computes alpha·Aᵀ·Bᵀ + beta·C with C broadcast', async () => {
    const rng = mulberry32(3);
    const a = uniform(rng, [4, 2]);
    const b = uniform(rng, [3, 4]);
    const c = uniform(rng, [3]);
    const g = new GraphBuilder();
    const y = g.gemm(g.input('a', 'float32', [4, 2]), g.input('b', 'float32', [3, 4]), g.input('c', 'float32', [3]), { alpha: 0.5, beta: 2, transA: true, transB: true });
    expect(y.shape).toEqual([2, 3]);
    g.output(y, 'y');
    const out = (await run(g, { a, b, c }))['y']!;
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let p = 0; p < 4; p++) s += a.data[p * 2 + i]! * b.data[j * 4 + p]!;
        expected.push(0.5 * s + 2 * c.data[j]!);
      }
    }
    expectClose(out.data as Float32Array, expected);
  });

  it('leaves C out when it is not given', async () => {
    const rng = mulberry32(4);
    const a = uniform(rng, [2, 3]);
    const b = uniform(rng, [3, 2]);
    const g = new GraphBuilder();
    g.output(g.gemm(g.input('a', 'float32', [2, 3]), g.input('b', 'float32', [3, 2])), 'y');
    expectClose((await run(g, { a, b }))['y']!.data as Float32Array, matmulLoop(a.data, b.data, 2, 3, 2));
  });
});

describe('einsum', () => {
  it('contracts as numpy.einsum, with an explicit or implicit output', async () => {
    const rng = mulberry32(5);
    const x = uniform(rng, [3, 4]);
    const y = uniform(rng, [2, 4]);
    const g = new GraphBuilder();
    const [a, b] = [g.input('x', 'float32', [3, 4]), g.input('y', 'float32', [2, 4])];
    const dots = g.einsum('nd,md->nm', a, b);
    const trace = g.einsum('ii', g.matmul(a, g.transpose(a)));
    expect([dots.shape, trace.shape]).toEqual([[3, 2], []]);
    g.output(dots, 'dots');
    g.output(trace, 'trace');
    const out = await run(g, { x, y });
    const expected: number[] = [];
    for (let n = 0; n < 3; n++) for (let m = 0; m < 2; m++) expected.push([0, 1, 2, 3].reduce((s, d) => s + x.data[n * 4 + d]! * y.data[m * 4 + d]!, 0));
    expectClose(out['dots']!.data as Float32Array, expected);
    expectClose([out['trace']!.item() as number], [Array.from(x.data).reduce((s, v) => s + v * v, 0)]);
  });
});

describe('kernels built from these operators', () => {
  /** Gram matrix K = X·Xᵀ and squared distances D = |xᵢ|² + |xⱼ|² − 2 xᵢ·xⱼ, for any n and d. */
  function gramAndDistances(): GraphBuilder {
    const g = new GraphBuilder({ name: 'gram_sqdist' });
    const x = g.input('x', 'float32', ['n', 'd']);
    const gram = g.matmul(x, g.transpose(x));
    const norms = g.reduceSum(g.mul(x, x), { axes: [1] });
    const d2 = g.max(g.sub(g.add(norms, g.transpose(norms)), g.mul(gram, 2)), 0);
    expect([gram.shape, norms.shape, d2.shape]).toEqual([
      ['n', 'n'],
      ['n', 1],
      ['n', 'n'],
    ]);
    g.output(gram, 'gram');
    g.output(d2, 'd2');
    return g;
  }

  it.each([
    [6, 3],
    [9, 5],
  ])('give the Gram matrix and pairwise squared distances of %i points in %i dimensions', async (n, d) => {
    const x = uniform(mulberry32(n * 31 + d), [n, d]);
    const out = await run(gramAndDistances(), { x });
    const gram: number[] = [];
    const d2: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let dot = 0;
        let dist = 0;
        for (let k = 0; k < d; k++) {
          dot += x.data[i * d + k]! * x.data[j * d + k]!;
          dist += (x.data[i * d + k]! - x.data[j * d + k]!) ** 2;
        }
        gram.push(dot);
        d2.push(dist);
      }
    }
    expect(out['gram']!.shape).toEqual([n, n]);
    expectClose(out['gram']!.data as Float32Array, gram);
    expectClose(out['d2']!.data as Float32Array, d2, 1e-4);
  });
});
