/**
 * GraphBuilder DFT, in the opset-17 form (axis attribute) and the opset-20 form (axis input),
 * against a naive O(n²) JavaScript DFT.
 */
import { Tensor } from '../src/index.node.js';
import { GraphBuilder } from '../src/builder/index.js';
import { mulberry32, uniform } from './helpers/random.js';
import { expectClose, run, runModel } from './helpers/builder.js';

/** X[k] = Σₙ x[n] e^(∓2πikn/N) of a complex signal given as [re, im] pairs, interleaved the same way; 1/N for the inverse. */
function naiveDft(re: readonly number[], im: readonly number[], inverse = false): number[] {
  const n = re.length;
  const sign = inverse ? 1 : -1;
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    for (let t = 0; t < n; t++) {
      const angle = (sign * 2 * Math.PI * k * t) / n;
      sr += re[t]! * Math.cos(angle) - im[t]! * Math.sin(angle);
      si += re[t]! * Math.sin(angle) + im[t]! * Math.cos(angle);
    }
    out.push(inverse ? sr / n : sr, inverse ? si / n : si);
  }
  return out;
}

describe.each([17, 20])('dft on an opset-%i builder', (opset) => {
  it('transforms a batch of real signals like the naive O(n²) DFT, as [re, im] pairs', async () => {
    const x = uniform(mulberry32(opset), [3, 16]);
    const g = new GraphBuilder({ opset });
    const spectrum = g.dft(g.unsqueeze(g.input('x', 'float32', [3, 16]), [-1]), { axis: 1 });
    expect(spectrum.shape).toEqual([3, 16, 2]);
    g.output(spectrum, 'X');
    const model = g.build();
    const node = model.graph.nodes.find((n) => n.opType === 'DFT')!;
    expect(opset >= 20 ? node.input.length : node.attribute.filter((a) => a.name === 'axis').length).toBe(opset >= 20 ? 3 : 1);
    const out = (await runModel(model, { x }))['X']!;
    const expected = [0, 1, 2].flatMap((b) => naiveDft(Array.from(x.data.subarray(b * 16, b * 16 + 16)), new Array<number>(16).fill(0)));
    expect(out.shape).toEqual([3, 16, 2]);
    expectClose(out.data as Float32Array, expected, 1e-4);
  });

  it('keeps only the floor(n/2) + 1 non-negative frequencies when onesided', async () => {
    const x = uniform(mulberry32(opset + 1), [1, 10, 1]);
    const g = new GraphBuilder({ opset });
    const half = g.dft(g.input('x', 'float32', [1, 10, 1]), { onesided: true });
    expect(half.shape).toEqual([1, 6, 2]);
    g.output(half, 'X');
    const out = (await run(g, { x }))['X']!;
    expect(out.shape).toEqual([1, 6, 2]);
    expectClose(out.data as Float32Array, naiveDft(Array.from(x.data), new Array<number>(10).fill(0)).slice(0, 12), 1e-4);
  });

  it('transforms complex signals, and the inverse undoes the forward transform', async () => {
    const x = uniform(mulberry32(opset + 2), [2, 8, 2]);
    const g = new GraphBuilder({ opset });
    const v = g.input('x', 'float32', [2, 8, 2]);
    const forward = g.dft(v);
    g.output(forward, 'X');
    g.output(g.dft(forward, { inverse: true }), 'back');
    const out = await run(g, { x });
    const expected = [0, 1].flatMap((b) => {
      const pairs = Array.from(x.data.subarray(b * 16, b * 16 + 16));
      return naiveDft(
        pairs.filter((_, i) => i % 2 === 0),
        pairs.filter((_, i) => i % 2 === 1),
      );
    });
    expectClose(out['X']!.data as Float32Array, expected, 1e-4);
    expectClose(out['back']!.data as Float32Array, Array.from(x.data), 1e-4);
  });

  it('zero-pads the signal to a given length', async () => {
    const signal = [1, 2, 3];
    const g = new GraphBuilder({ opset });
    const X = g.dft(g.input('x', 'float32', [1, 3, 1]), { length: 8 });
    expect(X.shape).toEqual([1, 8, 2]);
    g.output(X, 'X');
    const out = (await run(g, { x: Tensor.from(signal, [1, 3, 1]) }))['X']!;
    expectClose(out.data as Float32Array, naiveDft([...signal, 0, 0, 0, 0, 0], new Array<number>(8).fill(0)), 1e-4);
  });
});

describe('dft refuses', () => {
  it('the real / imaginary axis as the signal axis, a last axis that is not 1 or 2, integers, and onesided inverses', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [2, 8, 1]);
    expect(() => g.dft(x, { axis: -1 })).toThrow(/real \/ imaginary axis/);
    expect(() => g.dft(g.input('y', 'float32', [2, 8, 3]))).toThrow(/size 1 or 2/);
    expect(() => g.dft(g.input('i', 'int32', [2, 8, 1]))).toThrow(/float/);
    expect(() => g.dft(x, { inverse: true, onesided: true })).toThrow(/onesided/);
  });
});
