import { Tensor, seededNormal } from '@mechint/core';
import { SparseAutoencoder, evaluateSae } from '../src/index.js';

describe('evaluateSae', () => {
  it('L0, MSE, FVE, densities and dead / dense counts equal a float64 recomputation', async () => {
    const randn = seededNormal(3);
    const [n, dIn, dSae] = [40, 5, 12];
    const sae = new SparseAutoencoder({ dIn, dSae, architecture: 'standard', seed: 2 });
    const x = Tensor.from(Float32Array.from({ length: n * dIn }, () => randn()), [n, dIn]);
    const m = await evaluateSae(sae, x, { denseThreshold: 0.4 });
    const { acts, reconstruction } = await sae.forward(x);
    let sse = 0;
    let sst = 0;
    const mean = Array.from({ length: dIn }, (_, i) => Array.from({ length: n }, (_, r) => x.data[r * dIn + i]! as number).reduce((a, b) => a + b, 0) / n);
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < dIn; i++) {
        sse += ((x.data[r * dIn + i] as number) - reconstruction.data[r * dIn + i]!) ** 2;
        sst += ((x.data[r * dIn + i] as number) - mean[i]!) ** 2;
      }
    }
    const density = Array.from({ length: dSae }, (_, j) => Array.from({ length: n }, (_, r) => (acts.data[r * dSae + j]! > 0 ? 1 : 0) as number).reduce((a, b) => a + b, 0) / n);
    expect(m.mse).toBeCloseTo(sse / n, 4);
    expect(m.fractionVarianceExplained).toBeCloseTo(1 - sse / sst, 4);
    expect(m.l0).toBeCloseTo(density.reduce((a, b) => a + b, 0), 6);
    expect(Array.from(m.featureDensity)).toEqual(density);
    expect(m.deadFeatures).toBe(density.filter((d) => d === 0).length);
    expect(m.denseFeatures).toBe(density.filter((d) => d > 0.4).length);
    expect(m.densityHistogram.counts.reduce((a, b) => a + b, 0)).toBe(dSae);
    expect(m.densityHistogram.counts[0]).toBe(m.deadFeatures);
  });

  it('an SAE that reconstructs perfectly has FVE 1 and MSE 0', async () => {
    // dIn = dSae = 2, identity encoder / decoder, non-negative inputs: relu is the identity.
    const eye = Tensor.from([[1, 0], [0, 1]], [2, 2], 'float32');
    const sae = new SparseAutoencoder({ dIn: 2, dSae: 2 }, { W_enc: eye, b_enc: Tensor.zeros([2]), W_dec: eye, b_dec: Tensor.zeros([2]) });
    const m = await evaluateSae(sae, Tensor.from([[1, 2], [3, 0.5], [0, 4]], [3, 2], 'float32'));
    expect(m.mse).toBe(0);
    expect(m.fractionVarianceExplained).toBe(1);
  });
});
