/**
 * GraphBuilder reductions — Reduce*, ArgMax / ArgMin, Softmax / LogSoftmax, TopK, CumSum — on
 * opsets where their `axes` are attributes and where they are inputs, against plain JavaScript.
 */
import { Tensor } from '../src/index.node.js';
import { GraphBuilder, type ReduceOptions, type Value } from '../src/builder/index.js';
import { mulberry32, uniform } from './helpers/random.js';
import { expectClose, run, runModel } from './helpers/builder.js';

/** Row-major strides of `shape`. */
function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = out[i + 1]! * shape[i + 1]!;
  return out;
}

/** Reduces `data` of `shape` over `axes` by folding each group's elements with `f`; returns the output shape too. */
function reduceLoop(data: ArrayLike<number>, shape: readonly number[], axes: readonly number[], keepdims: boolean, f: (group: number[]) => number): { shape: number[]; values: number[] } {
  const reduced = new Set(axes.map((a) => (a < 0 ? a + shape.length : a)));
  const outShape = shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const outStrides = strides(outShape);
  const inStrides = strides(shape);
  const groups: number[][] = Array.from({ length: outShape.reduce((a, b) => a * b, 1) }, () => []);
  for (let flat = 0; flat < data.length; flat++) {
    let target = 0;
    shape.forEach((_, axis) => {
      const index = Math.floor(flat / inStrides[axis]!) % shape[axis]!;
      if (!reduced.has(axis)) target += index * outStrides[axis]!;
    });
    groups[target]!.push(data[flat]!);
  }
  return { shape: keepdims ? outShape : shape.filter((_, i) => !reduced.has(i)), values: groups.map(f) };
}

const sum = (g: number[]) => g.reduce((a, b) => a + b, 0);
const reductions: [string, (g: GraphBuilder, x: Value, o: ReduceOptions) => Value, (group: number[]) => number][] = [
  ['ReduceSum', (g, x, o) => g.reduceSum(x, o), sum],
  ['ReduceMean', (g, x, o) => g.reduceMean(x, o), (v) => sum(v) / v.length],
  ['ReduceMax', (g, x, o) => g.reduceMax(x, o), (v) => Math.max(...v)],
  ['ReduceMin', (g, x, o) => g.reduceMin(x, o), (v) => Math.min(...v)],
  ['ReduceProd', (g, x, o) => g.reduceProd(x, o), (v) => v.reduce((a, b) => a * b, 1)],
  ['ReduceL2', (g, x, o) => g.reduceL2(x, o), (v) => Math.sqrt(sum(v.map((u) => u * u)))],
  ['ReduceLogSumExp', (g, x, o) => g.reduceLogSumExp(x, o), (v) => Math.log(sum(v.map(Math.exp)))],
];
const axesCases: [number[] | undefined, boolean][] = [
  [[1], true],
  [[0, 2], false],
  [[-1], false],
  [undefined, true],
  [undefined, false],
];

describe.each([13, 17, 18])('reductions on an opset-%i builder', (opset) => {
  it.each(reductions)('%s matches a JavaScript loop for every axes / keepdims case', async (opType, op, reference) => {
    const x = uniform(mulberry32(opType.length), [2, 3, 4], 0.5, 1.5);
    const g = new GraphBuilder({ opset });
    const input = g.input('x', 'float32', [2, 3, 4]);
    const expected = axesCases.map(([axes, keepdims]) => reduceLoop(x.data, [2, 3, 4], axes ?? [0, 1, 2], keepdims, reference));
    axesCases.forEach(([axes, keepdims], i) => {
      const y = op(g, input, { ...(axes === undefined ? {} : { axes }), keepdims });
      expect(y.shape).toEqual(expected[i]!.shape);
      g.output(y, `y${i}`);
    });
    const model = g.build();
    const axesAsInput = opType === 'ReduceSum' ? opset >= 13 : opset >= 18;
    const withAxes = model.graph.nodes.filter((n) => n.opType === opType && (n.input.length > 1 || n.attribute.some((a) => a.name === 'axes')));
    expect(withAxes).toHaveLength(3);
    expect(withAxes.every((n) => (axesAsInput ? n.input.length === 2 : n.attribute.some((a) => a.name === 'axes')))).toBe(true);
    const out = await runModel(model, { x });
    axesCases.forEach((_, i) => {
      expect(out[`y${i}`]!.shape).toEqual(expected[i]!.shape);
      expectClose(out[`y${i}`]!.data as Float32Array, expected[i]!.values);
    });
  });
});

describe('argMax and argMin', () => {
  it('return int64 indices along an axis', async () => {
    const x = uniform(mulberry32(21), [4, 5]);
    const g = new GraphBuilder();
    const v = g.input('x', 'float32', [4, 5]);
    g.output(g.argMax(v, { axis: 1, keepdims: false }), 'max1');
    g.output(g.argMin(v), 'min0');
    const out = await run(g, { x });
    const rows = [0, 1, 2, 3].map((i) => Array.from(x.data.subarray(i * 5, i * 5 + 5)));
    expect(out['max1']!.toArray()).toEqual(rows.map((r) => BigInt(r.indexOf(Math.max(...r)))));
    const cols = [0, 1, 2, 3, 4].map((j) => rows.map((r) => r[j]!));
    expect(out['min0']!.shape).toEqual([1, 5]);
    expect(out['min0']!.toArray()).toEqual([cols.map((c) => BigInt(c.indexOf(Math.min(...c))))]);
  });

  it('pick the first or, when asked, the last of tied elements', async () => {
    const g = new GraphBuilder();
    const v = g.input('x', 'int32', [5]);
    g.output(g.argMax(v, { keepdims: false }), 'first');
    g.output(g.argMax(v, { keepdims: false, selectLastIndex: true }), 'last');
    const out = await run(g, { x: Tensor.from([1, 3, 0, 3, 2], [5], 'int32') });
    expect([out['first']!.item(), out['last']!.item()]).toEqual([1n, 3n]);
  });
});

describe('softmax and logSoftmax', () => {
  it.each([-1, 0])('normalise along axis %i like e^x / Σ e^x', async (axis) => {
    const x = uniform(mulberry32(30 + axis), [3, 4], -3, 3);
    const g = new GraphBuilder();
    const v = g.input('x', 'float32', [3, 4]);
    g.output(g.softmax(v, { axis }), 'p');
    g.output(g.logSoftmax(v, { axis }), 'logp');
    const out = await run(g, { x });
    const p = new Array<number>(12);
    const logp = new Array<number>(12);
    const [outer, inner, stride] = axis === 0 ? [4, 3, 4] : [3, 4, 1];
    for (let o = 0; o < outer; o++) {
      const at = (k: number) => (axis === 0 ? o + k * stride : o * 4 + k);
      const z = Array.from({ length: inner }, (_, k) => Math.exp(x.data[at(k)]!)).reduce((a, b) => a + b, 0);
      for (let k = 0; k < inner; k++) {
        p[at(k)] = Math.exp(x.data[at(k)]!) / z;
        logp[at(k)] = x.data[at(k)]! - Math.log(z);
      }
    }
    expectClose(out['p']!.data as Float32Array, p);
    expectClose(out['logp']!.data as Float32Array, logp);
  });
});

describe('topK', () => {
  it('returns the k largest or smallest values per row with their indices', async () => {
    const x = uniform(mulberry32(40), [3, 6]);
    const g = new GraphBuilder();
    const v = g.input('x', 'float32', [3, 6]);
    const [top, topIdx] = g.topK(v, 3, { axis: 1 });
    const [bottom, bottomIdx] = g.topK(v, g.scalar(2n, 'int64'), { largest: false });
    expect([top.shape, bottom.shape]).toEqual([
      [3, 3],
      [3, null],
    ]);
    g.output(top, 'top');
    g.output(topIdx, 'topIdx');
    g.output(bottom, 'bottom');
    g.output(bottomIdx, 'bottomIdx');
    const out = await run(g, { x });
    const rows = [0, 1, 2].map((i) => Array.from(x.data.subarray(i * 6, i * 6 + 6)).map((value, index) => ({ value, index })));
    const desc = rows.map((r) => [...r].sort((a, b) => b.value - a.value).slice(0, 3));
    const asc = rows.map((r) => [...r].sort((a, b) => a.value - b.value).slice(0, 2));
    expectClose(out['top']!.data as Float32Array, desc.flat().map((e) => e.value));
    expect(Array.from(out['topIdx']!.data as BigInt64Array)).toEqual(desc.flat().map((e) => BigInt(e.index)));
    expectClose(out['bottom']!.data as Float32Array, asc.flat().map((e) => e.value));
    expect(Array.from(out['bottomIdx']!.data as BigInt64Array)).toEqual(asc.flat().map((e) => BigInt(e.index)));
  });
});

describe('cumSum', () => {
  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('sums along an axis (exclusive %s, reverse %s)', async (exclusive, reverse) => {
    const x = uniform(mulberry32(50), [2, 5]);
    const g = new GraphBuilder();
    g.output(g.cumSum(g.input('x', 'float32', [2, 5]), -1, { exclusive, reverse }), 'y');
    const { y } = await run(g, { x });
    const expected: number[] = [];
    for (let r = 0; r < 2; r++) {
      const row = Array.from(x.data.subarray(r * 5, r * 5 + 5));
      expected.push(
        ...row.map((_, i) => {
          const [from, to] = reverse ? [exclusive ? i + 1 : i, 5] : [0, exclusive ? i : i + 1];
          return row.slice(from, to).reduce((a, b) => a + b, 0);
        }),
      );
    }
    expectClose(y!.data as Float32Array, expected);
  });
});
