/**
 * GraphBuilder indexing — Gather, GatherElements, ScatterElements, ScatterND, Slice — against
 * plain JavaScript loops on seeded random inputs.
 */
import { Tensor } from '../src/index.node.js';
import { GraphBuilder } from '../src/builder/index.js';
import { mulberry32, randomInts, uniform } from './helpers/random.js';
import { run } from './helpers/builder.js';

describe('gather', () => {
  it('takes rows by (negative) index and drops the axis for a scalar index', async () => {
    const x = uniform(mulberry32(1), [4, 3]);
    const g = new GraphBuilder();
    const v = g.input('x', 'float32', [4, 3]);
    g.output(g.gather(v, [2, -1, 0]), 'rows');
    g.output(g.gather(v, 1), 'row');
    const out = await run(g, { x });
    const row = (i: number) => Array.from(x.data.subarray(i * 3, i * 3 + 3));
    expect(out['rows']!.shape).toEqual([3, 3]);
    expect(Array.from(out['rows']!.data as Float32Array)).toEqual([...row(2), ...row(3), ...row(0)]);
    expect(out['row']!.shape).toEqual([3]);
    expect(Array.from(out['row']!.data as Float32Array)).toEqual(row(1));
  });

  it('replaces the indexed axis by the shape of a computed index tensor', async () => {
    const rng = mulberry32(2);
    const x = uniform(rng, [2, 5]);
    const idx = randomInts(rng, [3, 2], 0, 5);
    const g = new GraphBuilder();
    const y = g.gather(g.input('x', 'float32', [2, 5]), g.input('idx', 'int64', [3, 2]), { axis: 1 });
    expect(y.shape).toEqual([2, 3, 2]);
    g.output(y, 'y');
    const out = (await run(g, { x, idx }))['y']!;
    const expected: number[] = [];
    for (let r = 0; r < 2; r++) for (const i of idx.data) expected.push(x.data[r * 5 + Number(i)]!);
    expect(Array.from(out.data as Float32Array)).toEqual(expected);
  });
});

describe('gatherElements', () => {
  it('takes one element per index along an axis, like numpy take_along_axis', async () => {
    const rng = mulberry32(3);
    const x = uniform(rng, [3, 4]);
    const idx = randomInts(rng, [3, 2], 0, 4);
    const g = new GraphBuilder();
    g.output(g.gatherElements(g.input('x', 'float32', [3, 4]), g.input('idx', 'int64', [3, 2]), { axis: 1 }), 'y');
    const out = (await run(g, { x, idx }))['y']!;
    const expected = Array.from(idx.data, (i, k) => x.data[Math.floor(k / 2) * 4 + Number(i)]!);
    expect(out.shape).toEqual([3, 2]);
    expect(Array.from(out.data as Float32Array)).toEqual(expected);
  });
});

describe('scatterElements', () => {
  it('overwrites, adds or keeps the maximum at the indexed elements', async () => {
    const rng = mulberry32(4);
    const x = uniform(rng, [2, 4]);
    const upd = uniform(rng, [2, 3]);
    const idx = Tensor.from([[0, 2, 2], [3, 1, 3]], [2, 3], 'int64');
    const g = new GraphBuilder({ opset: 18 });
    const [data, u, i] = [g.input('x', 'float32', [2, 4]), g.input('u', 'float32', [2, 3]), g.input('i', 'int64', [2, 3])];
    g.output(g.scatterElements(data, i, u, { axis: 1, reduction: 'add' }), 'add');
    g.output(g.scatterElements(data, i, u, { axis: 1, reduction: 'max' }), 'max');
    g.output(g.scatterElements(data, [[1, 0, 1, 0]], g.constant(Tensor.from([[9, 8, 7, 6]]))), 'set');
    const out = await run(g, { x, u: upd, i: idx });
    const add = Array.from(x.data);
    const max = Array.from(x.data);
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 3; c++) {
        const at = r * 4 + Number(idx.data[r * 3 + c]);
        add[at]! += upd.data[r * 3 + c]!;
        max[at] = Math.max(max[at]!, upd.data[r * 3 + c]!);
      }
    }
    const close = (a: Tensor, e: number[]) => Array.from(a.data as Float32Array).forEach((v, k) => expect(v).toBeCloseTo(e[k]!, 5));
    close(out['add']!, add);
    close(out['max']!, max);
    const set = Array.from(x.data);
    [9, 8, 7, 6].forEach((v, c) => (set[[1, 0, 1, 0][c]! * 4 + c] = v));
    close(out['set']!, set);
  });
});

describe('scatterND', () => {
  it('overwrites whole rows, or adds into single elements', async () => {
    const x = uniform(mulberry32(5), [3, 2]);
    const g = new GraphBuilder();
    const v = g.input('x', 'float32', [3, 2]);
    g.output(g.scatterND(v, [[0], [2]], Tensor.from([[1, 2], [3, 4]])), 'rows');
    g.output(g.scatterND(v, [[1, 1], [1, 1]], Tensor.from([10, 20]), { reduction: 'add' }), 'adds');
    const out = await run(g, { x });
    const rows = Array.from(x.data);
    [rows[0], rows[1], rows[4], rows[5]] = [1, 2, 3, 4];
    expect(Array.from(out['rows']!.data as Float32Array)).toEqual(rows);
    const adds = Array.from(x.data);
    adds[3]! += 30;
    Array.from(out['adds']!.data as Float32Array).forEach((v2, k) => expect(v2).toBeCloseTo(adds[k]!, 5));
  });
});

describe('slice', () => {
  /** Indices ONNX Slice visits on an axis of size n: negative bounds count from the end, then clamp. */
  function visited(n: number, start: number, end: number, step: number): number[] {
    const resolve = (v: number) => (v < 0 ? v + n : v);
    let s = resolve(start);
    let e = resolve(end);
    s = step > 0 ? Math.min(Math.max(s, 0), n) : Math.min(Math.max(s, 0), n - 1);
    e = step > 0 ? Math.min(Math.max(e, 0), n) : Math.min(Math.max(e, -1), n - 1);
    const out: number[] = [];
    for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(i);
    return out;
  }

  const cases: { name: string; starts: number[]; ends: number[]; axes?: number[]; steps?: number[] }[] = [
    { name: 'a leading range', starts: [1], ends: [3] },
    { name: 'every other column', starts: [0], ends: [Infinity], axes: [1], steps: [2] },
    { name: 'a reversed axis', starts: [-1], ends: [-Infinity], axes: [1], steps: [-1] },
    { name: 'a reversed stride of 2 on two axes', starts: [-1, 4], ends: [-100, 0], axes: [1, 0], steps: [-2, -3] },
    { name: 'out-of-range bounds, clamped', starts: [-10, 2], ends: [10, 100], axes: [0, -1] },
  ];

  it.each(cases)('takes $name like Python slicing', async ({ starts, ends, axes, steps }) => {
    const x = uniform(mulberry32(6), [5, 6]);
    const g = new GraphBuilder();
    const y = g.slice(g.input('x', 'float32', [5, 6]), { starts, ends, ...(axes === undefined ? {} : { axes }), ...(steps === undefined ? {} : { steps }) });
    g.output(y, 'y');
    const out = (await run(g, { x }))['y']!;
    const picks = [0, 1].map((axis) => {
      const k = (axes ?? starts.map((_, i) => i)).map((a) => (a < 0 ? a + 2 : a)).indexOf(axis);
      return k < 0 ? Array.from({ length: [5, 6][axis]! }, (_, i) => i) : visited([5, 6][axis]!, starts[k]!, ends[k]!, steps?.[k] ?? 1);
    });
    const expected = picks[0]!.flatMap((r) => picks[1]!.map((c) => x.data[r * 6 + c]!));
    expect(out.shape).toEqual([picks[0]!.length, picks[1]!.length]);
    expect(y.shape).toEqual(out.shape);
    expect(Array.from(out.data as Float32Array)).toEqual(expected);
  });

  it('takes computed bounds', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['n']);
    const n = g.shape(x);
    g.output(g.slice(x, { starts: g.sub(n, 2n), ends: n }), 'tail');
    const out = await run(g, { x: Tensor.from([1, 2, 3, 4, 5]) });
    expect(out['tail']!.toArray()).toEqual([4, 5]);
  });
});
