/**
 * GraphBuilder layout operators — Reshape, Transpose, Concat, Squeeze / Unsqueeze, Expand, Tile,
 * Flatten, Shape, Size, Identity, Range — against plain JavaScript index arithmetic.
 */
import { Tensor } from '../src/index.node.js';
import { GraphBuilder } from '../src/builder/index.js';
import { mulberry32, uniform } from './helpers/random.js';
import { run } from './helpers/builder.js';

const values = (t: Tensor) => Array.from(t.data as Float32Array);

describe('reshape', () => {
  it('keeps the element order, inferring -1 and copying 0', async () => {
    const x = uniform(mulberry32(1), [2, 3, 4]);
    const g = new GraphBuilder();
    const v = g.input('x', 'float32', [2, 3, 4]);
    g.output(g.reshape(v, [0, -1]), 'a');
    g.output(g.reshape(v, [4, 6]), 'b');
    g.output(g.reshape(v, g.shape(g.transpose(v))), 'c');
    const out = await run(g, { x });
    expect([out['a']!.shape, out['b']!.shape, out['c']!.shape]).toEqual([
      [2, 12],
      [4, 6],
      [4, 3, 2],
    ]);
    for (const name of ['a', 'b', 'c']) expect(values(out[name]!)).toEqual(Array.from(x.data));
  });

  it('reads 0 as an empty axis with allowZero (opset ≥ 14)', async () => {
    const g = new GraphBuilder({ opset: 14 });
    g.output(g.reshape(g.input('x', 'float32', [0, 3]), [3, 0], { allowZero: true }), 'y');
    expect((await run(g, { x: Tensor.zeros([0, 3]) }))['y']!.shape).toEqual([3, 0]);
  });
});

describe('transpose', () => {
  it('permutes axes so that output axis i is input axis perm[i], reversing by default', async () => {
    const x = uniform(mulberry32(2), [2, 3, 4]);
    const g = new GraphBuilder();
    const v = g.input('x', 'float32', [2, 3, 4]);
    g.output(g.transpose(v, [1, 2, 0]), 'p');
    g.output(g.transpose(v), 'r');
    const out = await run(g, { x });
    const at = (i: number, j: number, k: number) => x.data[i * 12 + j * 4 + k]!;
    const p: number[] = [];
    for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) p.push(at(i, j, k));
    const r: number[] = [];
    for (let k = 0; k < 4; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) r.push(at(i, j, k));
    expect(out['p']!.shape).toEqual([3, 4, 2]);
    expect(values(out['p']!)).toEqual(p);
    expect(out['r']!.shape).toEqual([4, 3, 2]);
    expect(values(out['r']!)).toEqual(r);
  });
});

describe('concat', () => {
  it('joins operands along an axis, host tensors included', async () => {
    const rng = mulberry32(3);
    const [a, b] = [uniform(rng, [2, 3]), uniform(rng, [2, 1])];
    const g = new GraphBuilder();
    const y = g.concat([g.input('a', 'float32', [2, 3]), g.input('b', 'float32', [2, 1]), Tensor.from([[7], [8]])], -1);
    expect(y.shape).toEqual([2, 5]);
    g.output(y, 'y');
    const out = (await run(g, { a, b }))['y']!;
    const expected = [0, 1].flatMap((r) => [...a.data.subarray(r * 3, r * 3 + 3), b.data[r]!, r === 0 ? 7 : 8]);
    expect(values(out)).toEqual(expected);
  });
});

describe('squeeze, unsqueeze, expand, tile and flatten', () => {
  it('add and remove size-1 axes', async () => {
    const x = uniform(mulberry32(4), [3]);
    const g = new GraphBuilder();
    const v = g.input('x', 'float32', [3]);
    const u = g.unsqueeze(v, [0, 2]);
    g.output(u, 'u');
    g.output(g.squeeze(u, [0]), 's');
    g.output(g.squeeze(u), 'all');
    const out = await run(g, { x });
    expect([out['u']!.shape, out['s']!.shape, out['all']!.shape]).toEqual([[1, 3, 1], [3, 1], [3]]);
    expect(values(out['all']!)).toEqual(Array.from(x.data));
  });

  it('broadcast with expand and repeat with tile', async () => {
    const x = Tensor.from([[1], [2]]);
    const g = new GraphBuilder();
    const v = g.input('x', 'float32', [2, 1]);
    g.output(g.expand(v, [3, 2, 2]), 'e');
    g.output(g.tile(v, [2, 3]), 't');
    const out = await run(g, { x });
    expect(out['e']!.shape).toEqual([3, 2, 2]);
    expect(values(out['e']!)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2]);
    expect(out['t']!.toArray()).toEqual([
      [1, 1, 1],
      [2, 2, 2],
      [1, 1, 1],
      [2, 2, 2],
    ]);
  });

  it('flatten to a matrix around an axis', async () => {
    const x = uniform(mulberry32(5), [2, 3, 4]);
    const g = new GraphBuilder();
    const v = g.input('x', 'float32', [2, 3, 4]);
    g.output(g.flatten(v), 'f1');
    g.output(g.flatten(v, -1), 'f2');
    g.output(g.flatten(v, 0), 'f0');
    const out = await run(g, { x });
    expect([out['f1']!.shape, out['f2']!.shape, out['f0']!.shape]).toEqual([
      [2, 12],
      [6, 4],
      [1, 24],
    ]);
    expect(values(out['f2']!)).toEqual(Array.from(x.data));
  });
});

describe('shape, size, identity and range', () => {
  it('read the shape (or part of it) and the element count at run time', async () => {
    const g = new GraphBuilder();
    const v = g.input('x', 'float32', ['n', 'd']);
    g.output(g.shape(v), 'shape');
    g.output(g.shape(v, { start: -1 }), 'last');
    g.output(g.size(v), 'size');
    g.output(g.identity(v), 'same');
    const x = uniform(mulberry32(6), [4, 5]);
    const out = await run(g, { x });
    expect(out['shape']!.toArray()).toEqual([4n, 5n]);
    expect(out['last']!.toArray()).toEqual([5n]);
    expect(out['size']!.toArray()).toEqual(20n);
    expect(values(out['same']!)).toEqual(Array.from(x.data));
  });

  it('counts like numpy.arange, with constant or computed bounds', async () => {
    const g = new GraphBuilder();
    const v = g.input('x', 'float32', ['n']);
    const ints = g.range(0, 7, { delta: 2 });
    const floats = g.range(1, 0, { delta: -0.25 });
    expect([ints.dtype, ints.shape, floats.dtype, floats.shape]).toEqual(['int64', [4], 'float32', [4]]);
    g.output(ints, 'ints');
    g.output(floats, 'floats');
    g.output(g.range(0n, g.size(v)), 'positions');
    const out = await run(g, { x: Tensor.from([5, 5, 5]) });
    expect(out['ints']!.toArray()).toEqual([0n, 2n, 4n, 6n]);
    expect(out['floats']!.toArray()).toEqual([1, 0.75, 0.5, 0.25]);
    expect(out['positions']!.toArray()).toEqual([0n, 1n, 2n]);
  });
});
