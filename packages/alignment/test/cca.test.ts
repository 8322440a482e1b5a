import { Tensor } from '@mechint/core';
import { cca, pwcca, svcca, svccaDetails } from '../src/index.js';
import { expectClose, expectCode, num, randomMatrix, ref, times, vec } from './helpers.js';

/** Column `j` of a `[rows, cols]` tensor. */
function column(t: Tensor<'float64'>, j: number): number[] {
  const [rows, cols] = t.shape as [number, number];
  return Array.from({ length: rows }, (_, i) => t.data[i * cols + j]!);
}

describe('cca', () => {
  it('matches the QR-based numpy reference: correlations and weights (up to sign)', async () => {
    const { correlations, weightsX, weightsY } = await cca(ref('cca_x'), ref('cca_y'));
    expectClose(correlations, vec('cca_rho'));
    expect(weightsX.shape).toEqual([6, 5]);
    expect(weightsY.shape).toEqual([5, 5]);
    const wx = ref('cca_wx');
    const wy = ref('cca_wy');
    for (let j = 0; j < 5; j++) {
      const sign = Math.sign(column(weightsX, j)[0]!) * Math.sign(column(wx, j)[0]!);
      expectClose(column(weightsX, j).map((v) => v * sign), column(wx, j), 1e-6);
      expectClose(column(weightsY, j).map((v) => v * sign), column(wy, j), 1e-6);
    }
  });

  it('handles more X than Y features and the swapped order', async () => {
    const { correlations } = await cca(ref('cca_y'), ref('cca_x'));
    expectClose(correlations, vec('cca_rho_yx'));
  });

  it('matches ridge CCA', async () => {
    const { correlations } = await cca(ref('cca_x'), ref('cca_y'), { regularization: 0.1 });
    expectClose(correlations, vec('cca_rho_ridge'));
  });

  it('is invariant under invertible linear maps of X and Y', async () => {
    const x = ref('cca_x');
    const y = ref('cca_y');
    const mapped = await cca(times(x, randomMatrix(6, 6, 11)), times(y, randomMatrix(5, 5, 12)));
    expectClose(mapped.correlations, vec('cca_rho'), 1e-8);
  });

  it('accepts nested arrays and float32 tensors', async () => {
    const x = ref('cca_x');
    const rows = Array.from({ length: 80 }, (_, i) => Array.from(x.data.subarray(i * 6, i * 6 + 6)));
    expectClose((await cca(rows, ref('cca_y'))).correlations, vec('cca_rho'));
    expectClose((await cca(x.clone('float32'), ref('cca_y').clone('float32'))).correlations, vec('cca_rho'), 1e-3);
  });

  it('explains bad input with coded errors', async () => {
    const x = ref('cca_x');
    await expectCode(() => cca(x, randomMatrix(79, 5, 1)), 'SHAPE_MISMATCH', /same stimuli/);
    await expectCode(() => cca(randomMatrix(5, 6, 1), randomMatrix(5, 2, 2)), 'INVALID_ARGUMENT', /more samples than features.*regularization/);
    const constant = x.clone();
    for (let i = 0; i < 80; i++) constant.data[i * 6 + 2] = 7;
    await expectCode(() => cca(constant, ref('cca_y')), 'INVALID_ARGUMENT', /constant column\(s\) 2/);
    const collinear = x.clone();
    for (let i = 0; i < 80; i++) collinear.data[i * 6 + 5] = 2 * collinear.data[i * 6]! - collinear.data[i * 6 + 1]!;
    await expectCode(() => cca(collinear, ref('cca_y')), 'INVALID_ARGUMENT', /singular/);
    const nan = x.clone();
    nan.data[13] = Number.NaN;
    await expectCode(() => cca(nan, ref('cca_y')), 'INVALID_ARGUMENT', /NaN at \[2, 1\]/);
    await expectCode(() => cca(x, ref('cca_y'), { regularization: -1 }), 'INVALID_ARGUMENT', /regularization/);
    await expectCode(() => cca(Tensor.from([1, 2, 3]), ref('cca_y')), 'SHAPE_MISMATCH', /\[samples, features\]/);
    await expectCode(() => cca(Tensor.from([[true], [false]]), ref('cca_y')), 'UNSUPPORTED_DTYPE');
  });

  it('runs with fewer samples than features when regularised', async () => {
    const { correlations } = await cca(randomMatrix(5, 6, 1), randomMatrix(5, 2, 2), { regularization: 1e-3 });
    expect(correlations).toHaveLength(2);
    for (const r of correlations) expect(r).toBeLessThanOrEqual(1);
  });
});

describe('svcca', () => {
  it('matches the numpy reference (keep 0.99 and 0.9)', async () => {
    const details = await svccaDetails(ref('svcca_x'), ref('svcca_y'));
    expect(details.kept).toEqual(vec('svcca_kept'));
    expect(Math.abs(details.mean - num('svcca_mean'))).toBeLessThan(1e-6);
    expect(Math.abs((await svcca(ref('svcca_x'), ref('svcca_y'), { keep: 0.9 })) - num('svcca_mean_09'))).toBeLessThan(1e-6);
    expect((await svccaDetails(ref('svcca_x'), ref('svcca_y'), { keep: 0.9 })).kept).toEqual(vec('svcca_kept_09'));
  });

  it('runs with fewer samples than features and rejects a bad keep', async () => {
    const x = randomMatrix(10, 30, 5);
    expect(await svcca(x, x)).toBeCloseTo(1, 8);
    await expectCode(() => svcca(x, x, { keep: 1.5 }), 'INVALID_ARGUMENT', /0\.99/);
    await expectCode(() => svcca(Tensor.zeros([4, 3], 'float64'), x.slice([0, 4])), 'INVALID_ARGUMENT', /constant/);
  });
});

describe('pwcca', () => {
  it('matches the numpy reference, weighting by the first argument', async () => {
    expect(Math.abs((await pwcca(ref('cca_x'), ref('cca_y'))) - num('pwcca_xy'))).toBeLessThan(1e-6);
    expect(Math.abs((await pwcca(ref('cca_y'), ref('cca_x'))) - num('pwcca_yx'))).toBeLessThan(1e-6);
  });
});
