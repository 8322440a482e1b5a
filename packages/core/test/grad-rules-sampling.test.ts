import { GraphBuilder, Tensor, attr, gradients } from '../src/index.node.js';
import { SAMPLING_RULES } from '../src/grad/rules/sampling.js';
import { expectGradientsMatch, testData, type GradCheck } from './helpers/gradcheck.js';

/**
 * GridSample (bilinear, zero padding) against central finite differences of a one-node graph, in
 * float64 (h = 1e-6, 1e-6 relative) at its opset-20 form and float32 at its opset-16 form, input
 * and grid; grid points are kept off the pixel lattice, where the interpolation has kinks.
 */

const covered = new Set<string>();
function checks(op: string, title: string, spec: () => GradCheck): void {
  covered.add(op);
  it(title, () => expectGradientsMatch(spec()));
}

/** Grid coordinates in [−1.1, 1.1] (some points outside, exercising the zero padding) whose pixel positions avoid integers. */
function grid(seed: number, shape: readonly number[], sizes: readonly [number, number], alignCorners: boolean, float32: boolean) {
  const t = testData(seed).uniform(shape, -1.1, 1.1);
  const data = t.data as Float64Array;
  for (let i = 0; i < data.length; i++) {
    const size = sizes[i % 2]!;
    const scale = alignCorners ? (size - 1) / 2 : size / 2;
    const pixel = alignCorners ? (data[i]! + 1) * scale : (data[i]! + 1) * scale - 0.5;
    if (Math.abs(pixel - Math.round(pixel)) < 0.05) data[i] = data[i]! + 0.1 / scale;
  }
  return float32 ? Tensor.from(Float32Array.from(data), shape) : t;
}

for (const [opset, mode] of [[16, 'bilinear'], [20, 'linear']] as const) {
  for (const alignCorners of [false, true]) {
    // onnxruntime runs GridSample-16 in float32 only: a step of 1e-3 (well inside the 0.05-pixel margin) beats the rounding.
    const float32 = opset === 16;
    checks('GridSample', `GridSample (opset ${opset}, ${mode}, align_corners=${alignCorners}${float32 ? ', float32' : ''}) of [2,2,3,4] at [2,3,2] points: input and grid`, () => ({
      opset,
      inputs: {
        x: testData(1400 + opset).uniform([2, 2, 3, 4], -1, 1, float32 ? { dtype: 'float32' } : {}),
        grid: grid(1410 + opset + Number(alignCorners), [2, 3, 2, 2], [4, 3], alignCorners, float32),
      },
      build: (g, { x, grid: gr }) => g.op('GridSample', [x!, gr!], { mode, align_corners: attr.int(Number(alignCorners)) }),
      ...(float32 ? { h: 1e-3, rtol: 1e-3, atol: 1e-4 } : {}),
    }));
  }
}

it('refuses GridSample modes and paddings it does not differentiate (UNSUPPORTED_OP)', () => {
  for (const attributes of [{ mode: 'nearest' }, { padding_mode: 'border' }]) {
    const g = new GraphBuilder({ opset: 16 });
    g.output(g.op('GridSample', [g.input('x', 'float64', [1, 1, 2, 2]), g.input('grid', 'float64', [1, 2, 2, 2])], attributes), 'y');
    let error: unknown;
    try {
      gradients(g.build(), { of: 'y', wrt: ['x'] });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'UNSUPPORTED_OP' });
  }
});

it('has a finite-difference check for every rule of the family', () => {
  expect(Object.keys(SAMPLING_RULES).filter((op) => !covered.has(op))).toEqual([]);
});
