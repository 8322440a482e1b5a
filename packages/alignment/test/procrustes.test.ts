import { Tensor } from '@mechint/core';
import { procrustes, shapeDistance } from '../src/index.js';
import { expectClose, expectCode, num, randomMatrix, ref, times } from './helpers.js';

function standardized(t: Tensor<'float64'>): Tensor<'float64'> {
  const [n, p] = t.shape as [number, number];
  const out = t.clone();
  for (let j = 0; j < p; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += out.data[i * p + j]! / n;
    for (let i = 0; i < n; i++) out.data[i * p + j] = out.data[i * p + j]! - mean;
  }
  const norm = Math.sqrt(out.data.reduce((s, v) => s + v * v, 0));
  return new Tensor('float64', out.data.map((v) => v / norm), [n, p]);
}

describe('procrustes against scipy', () => {
  it('disparity, scale and the transformed Y of scipy.spatial.procrustes', async () => {
    const { rotation, scale, disparity } = await procrustes(ref('pr_x'), ref('pr_y'));
    expect(Math.abs(disparity - num('pr_disparity'))).toBeLessThan(1e-6);
    expect(Math.abs(scale - num('pr_scale'))).toBeLessThan(1e-6);
    const aligned = times(standardized(ref('pr_y')), rotation).data.map((v) => v * scale);
    expectClose(aligned, ref('pr_mtx2').data, 1e-6);
    const identity = times(rotation, new Tensor('float64', transpose(rotation.data, 4), [4, 4]));
    expectClose(identity.data, [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], 1e-10);
  });

  it('without scaling, and without reflections (Kabsch)', async () => {
    expect(Math.abs((await procrustes(ref('pr_x'), ref('pr_y'), { scaling: false })).disparity - num('pr_disparity_noscale'))).toBeLessThan(1e-6);
    const proper = await procrustes(ref('pr_x'), ref('pr_y'), { reflection: false });
    expect(Math.abs(proper.scale - num('pr_scale_proper'))).toBeLessThan(1e-6);
    expect(Math.abs(proper.disparity - num('pr_disparity_proper'))).toBeLessThan(1e-6);
  });

  it('aligns a mirror image only when reflections are allowed', async () => {
    const x = ref('pr_x');
    const mirrored = new Tensor('float64', x.data.map((v, i) => (i % 4 === 3 ? -v : v)), [30, 4]);
    expect((await procrustes(x, mirrored)).disparity).toBeLessThan(1e-12);
    const proper = await procrustes(x, mirrored, { reflection: false });
    expect(Math.abs(proper.disparity - num('pr_reflected_disparity_proper'))).toBeLessThan(1e-6);
    expect(proper.disparity).toBeGreaterThan(0.01);
  });

  it('zero-pads a narrower Y', async () => {
    const narrow = ref('pr_y').slice(null, [0, 3]) as Tensor<'float64'>;
    const { disparity, rotation } = await procrustes(ref('pr_x'), narrow);
    expect(Math.abs(disparity - num('pr_narrow_disparity'))).toBeLessThan(1e-6);
    expect(rotation.shape).toEqual([4, 4]);
  });

  it('explains bad input', async () => {
    await expectCode(() => procrustes(Tensor.zeros([5, 2], 'float64'), randomMatrix(5, 2, 1)), 'INVALID_ARGUMENT', /X is constant/);
    await expectCode(() => procrustes(randomMatrix(5, 2, 1), randomMatrix(6, 2, 1)), 'SHAPE_MISMATCH');
  });
});

describe('shapeDistance (Williams et al. 2021)', () => {
  it('matches the numpy reference for α = 1, 0.5 and 0', async () => {
    const x = ref('pr_x');
    const y = ref('pr_y');
    expect(Math.abs((await shapeDistance(x, y)) - num('shape_10'))).toBeLessThan(1e-6);
    expect(Math.abs((await shapeDistance(x, y, { alpha: 0.5 })) - num('shape_05'))).toBeLessThan(1e-6);
    expect(Math.abs((await shapeDistance(x, y, { alpha: 0 })) - num('shape_00'))).toBeLessThan(1e-6);
  });

  it('α = 0 is the arccos of the mean canonical correlation; α = 1 is arccos of Procrustes scale', async () => {
    expect(Math.abs(Math.cos(await shapeDistance(ref('pr_x'), ref('pr_y'), { alpha: 0 })) - num('shape_cca_mean'))).toBeLessThan(1e-6);
    expect(Math.abs(Math.cos(await shapeDistance(ref('pr_x'), ref('pr_y'))) - num('pr_scale'))).toBeLessThan(1e-6);
  });

  it('explains bad input', async () => {
    await expectCode(() => shapeDistance(randomMatrix(5, 2, 1), randomMatrix(5, 2, 2), { alpha: 2 }), 'INVALID_ARGUMENT', /\[0, 1\]/);
    await expectCode(() => shapeDistance(randomMatrix(3, 5, 1), randomMatrix(3, 5, 2), { alpha: 0 }), 'INVALID_ARGUMENT', /singular/);
  });
});

function transpose(data: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[j * n + i] = data[i * n + j]!;
  return out;
}
