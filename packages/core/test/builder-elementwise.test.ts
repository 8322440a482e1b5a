/**
 * GraphBuilder elementwise, comparison, logic and cast operators, run on onnxruntime's CPU
 * provider and checked against plain JavaScript on seeded random inputs.
 */
import { Tensor } from '../src/index.node.js';
import { GraphBuilder, type Value } from '../src/builder/index.js';
import { mulberry32, randomInts, uniform } from './helpers/random.js';
import { expectClose, run } from './helpers/builder.js';

/** erf by its Maclaurin series, accurate to ~1e-12 for |x| ≤ 2. */
function erf(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 60; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

describe('unary math', () => {
  const cases: [string, (g: GraphBuilder, x: Value) => Value, (v: number) => number, number, number][] = [
    ['neg', (g, x) => g.neg(x), (v) => -v, -2, 2],
    ['abs', (g, x) => g.abs(x), Math.abs, -2, 2],
    ['exp', (g, x) => g.exp(x), Math.exp, -2, 2],
    ['log', (g, x) => g.log(x), Math.log, 0.1, 3],
    ['sqrt', (g, x) => g.sqrt(x), Math.sqrt, 0, 4],
    ['reciprocal', (g, x) => g.reciprocal(x), (v) => 1 / v, 0.5, 3],
    ['sin', (g, x) => g.sin(x), Math.sin, -3, 3],
    ['cos', (g, x) => g.cos(x), Math.cos, -3, 3],
    ['tanh', (g, x) => g.tanh(x), Math.tanh, -3, 3],
    ['sigmoid', (g, x) => g.sigmoid(x), (v) => 1 / (1 + Math.exp(-v)), -4, 4],
    ['relu', (g, x) => g.relu(x), (v) => Math.max(v, 0), -2, 2],
    ['erf', (g, x) => g.erf(x), erf, -2, 2],
    ['floor', (g, x) => g.floor(x), Math.floor, -3, 3],
    ['ceil', (g, x) => g.ceil(x), Math.ceil, -3, 3],
    ['sign', (g, x) => g.sign(x), Math.sign, -2, 2],
  ];

  it.each(cases)('%s matches JavaScript elementwise', async (name, op, reference, lo, hi) => {
    const x = uniform(mulberry32(name.length * 101), [3, 5], lo, hi);
    const g = new GraphBuilder();
    g.output(op(g, g.input('x', 'float32', [3, 5])), 'y');
    const { y } = await run(g, { x });
    expect(y!.shape).toEqual([3, 5]);
    expectClose(y!.data as Float32Array, Array.from(x.data, reference));
  });
});

describe('binary arithmetic', () => {
  const cases: [string, (g: GraphBuilder, a: Value, b: Value) => Value, (a: number, b: number) => number][] = [
    ['add', (g, a, b) => g.add(a, b), (a, b) => a + b],
    ['sub', (g, a, b) => g.sub(a, b), (a, b) => a - b],
    ['mul', (g, a, b) => g.mul(a, b), (a, b) => a * b],
    ['div', (g, a, b) => g.div(a, b), (a, b) => a / b],
    ['pow', (g, a, b) => g.pow(a, b), (a, b) => a ** b],
    ['min', (g, a, b) => g.min(a, b), Math.min],
    ['max', (g, a, b) => g.max(a, b), Math.max],
  ];

  it.each(cases)('%s broadcasts [3, 1, 4] with [2, 1] like numpy', async (name, op, reference) => {
    const rng = mulberry32(7 + name.length);
    const a = uniform(rng, [3, 1, 4], 0.5, 2);
    const b = uniform(rng, [2, 1], 0.5, 2);
    const g = new GraphBuilder();
    const y = op(g, g.input('a', 'float32', [3, 1, 4]), g.input('b', 'float32', [2, 1]));
    expect(y.shape).toEqual([3, 2, 4]);
    g.output(y, 'y');
    const out = (await run(g, { a, b }))['y']!;
    const expected: number[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 4; k++) expected.push(reference(a.data[i * 4 + k]!, b.data[j]!));
    expect(out.shape).toEqual([3, 2, 4]);
    expectClose(out.data as Float32Array, expected);
  });

  it('works on integers, with C-style truncating division', async () => {
    const g = new GraphBuilder();
    const a = g.input('a', 'int64', [4]);
    g.output(g.div(a, 3), 'q');
    g.output(g.sub(g.mul(a, a), 1), 'p');
    const out = await run(g, { a: Tensor.from([7n, -7n, 9n, 2n]) });
    expect(out['q']!.toArray()).toEqual([2n, -2n, 3n, 0n]);
    expect(out['p']!.toArray()).toEqual([48n, 48n, 80n, 3n]);
  });

  it('takes min and max over any number of operands, numbers included', async () => {
    const rng = mulberry32(3);
    const [a, b] = [uniform(rng, [6]), uniform(rng, [6])];
    const g = new GraphBuilder();
    const [x, y] = [g.input('a', 'float32', [6]), g.input('b', 'float32', [6])];
    g.output(g.max(x, y, 0), 'hi');
    g.output(g.min(x, y, 0.25), 'lo');
    const out = await run(g, { a, b });
    expectClose(out['hi']!.data as Float32Array, Array.from(a.data, (v, i) => Math.max(v, b.data[i]!, 0)));
    expectClose(out['lo']!.data as Float32Array, Array.from(a.data, (v, i) => Math.min(v, b.data[i]!, 0.25)));
  });

  it('clips to either bound or both', async () => {
    const x = uniform(mulberry32(11), [10], -3, 3);
    const g = new GraphBuilder();
    const v = g.input('x', 'float32', [10]);
    g.output(g.clip(v, { min: -1, max: 1 }), 'both');
    g.output(g.clip(v, { max: 0.5 }), 'upper');
    g.output(g.clip(v, { min: g.scalar(0) }), 'lower');
    const out = await run(g, { x });
    expectClose(out['both']!.data as Float32Array, Array.from(x.data, (u) => Math.min(Math.max(u, -1), 1)));
    expectClose(out['upper']!.data as Float32Array, Array.from(x.data, (u) => Math.min(u, 0.5)));
    expectClose(out['lower']!.data as Float32Array, Array.from(x.data, (u) => Math.max(u, 0)));
  });
});

describe('comparisons, logic and where', () => {
  it('compare elementwise into booleans', async () => {
    const rng = mulberry32(5);
    const a = randomInts(rng, [12], -3, 3);
    const b = randomInts(rng, [12], -3, 3);
    const g = new GraphBuilder();
    const [x, y] = [g.input('a', 'int64', [12]), g.input('b', 'int64', [12])];
    g.output(g.equal(x, y), 'eq');
    g.output(g.less(x, y), 'lt');
    g.output(g.greater(x, y), 'gt');
    g.output(g.lessOrEqual(x, y), 'le');
    g.output(g.greaterOrEqual(x, 0n), 'ge0');
    const out = await run(g, { a, b });
    const pairs = Array.from(a.data, (v, i) => [v, b.data[i]!] as const);
    expect(out['eq']!.dtype).toBe('bool');
    expect(out['eq']!.toArray()).toEqual(pairs.map(([p, q]) => p === q));
    expect(out['lt']!.toArray()).toEqual(pairs.map(([p, q]) => p < q));
    expect(out['gt']!.toArray()).toEqual(pairs.map(([p, q]) => p > q));
    expect(out['le']!.toArray()).toEqual(pairs.map(([p, q]) => p <= q));
    expect(out['ge0']!.toArray()).toEqual(pairs.map(([p]) => p >= 0n));
  });

  it('combine booleans with not, and, or, xor', async () => {
    const g = new GraphBuilder();
    const p = g.input('p', 'bool', [4]);
    const q = g.input('q', 'bool', [4]);
    g.output(g.not(p), 'not');
    g.output(g.and(p, q), 'and');
    g.output(g.or(p, q), 'or');
    g.output(g.xor(p, true), 'xor');
    const out = await run(g, { p: Tensor.from([true, true, false, false]), q: Tensor.from([true, false, true, false]) });
    expect(out['not']!.toArray()).toEqual([false, false, true, true]);
    expect(out['and']!.toArray()).toEqual([true, false, false, false]);
    expect(out['or']!.toArray()).toEqual([true, true, true, false]);
    expect(out['xor']!.toArray()).toEqual([false, false, true, true]);
  });

  it('select with where, broadcasting the condition and number branches', async () => {
    const x = uniform(mulberry32(9), [3, 4], -1, 1);
    const g = new GraphBuilder();
    const v = g.input('x', 'float32', [3, 4]);
    const rowMask = g.constant(Tensor.from([[true], [false], [true]]));
    g.output(g.where(g.greater(v, 0), v, 0), 'relu');
    g.output(g.where(rowMask, v, -1), 'rows');
    const out = await run(g, { x });
    expectClose(out['relu']!.data as Float32Array, Array.from(x.data, (u) => (u > 0 ? u : 0)));
    expectClose(out['rows']!.data as Float32Array, Array.from(x.data, (u, i) => (Math.floor(i / 4) === 1 ? -1 : u)));
  });
});

describe('cast', () => {
  it('truncates floats toward zero, widens integers and maps non-zero to true', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [5]);
    g.output(g.cast(x, 'int32'), 'i32');
    g.output(g.cast(g.cast(x, 'int32'), 'int64'), 'i64');
    g.output(g.cast(x, 'bool'), 'b');
    g.output(g.cast(g.cast(x, 'bool'), 'float64'), 'f64');
    const out = await run(g, { x: Tensor.from([-1.7, -0.2, 0, 0.9, 2.5]) });
    expect(out['i32']!.toArray()).toEqual([-1, 0, 0, 0, 2]);
    expect(out['i64']!.toArray()).toEqual([-1n, 0n, 0n, 0n, 2n]);
    expect(out['b']!.toArray()).toEqual([true, true, false, true, true]);
    expect(out['f64']!.dtype).toBe('float64');
    expect(out['f64']!.toArray()).toEqual([1, 1, 0, 1, 1]);
  });
});
