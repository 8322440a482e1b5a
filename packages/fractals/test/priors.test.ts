/**
 * Priors: the loss subgraph (built with the core GraphBuilder, run on onnxruntime) and the host
 * evaluation both equal weight · (exponent − target)² with the exponent from the Python reference.
 */
import { Backend, GraphBuilder, Tensor, gradients } from '@mechint/core';
import { HiguchiPrior, SpectralPrior } from '../src/index.js';
import { SIGNALS, expectClose, reference, signal } from './helpers.js';

const n = 512;
const rows = SIGNALS.map((name) => signal(name).subarray(0, n));
let backend: Backend;

beforeAll(async () => {
  backend = await Backend.create({ ep: 'cpu', intraOpNumThreads: 1 });
});
afterAll(async () => {
  await backend.dispose();
});

async function runLoss(build: (g: GraphBuilder, x: ReturnType<GraphBuilder['input']>) => ReturnType<GraphBuilder['input']>, x: Tensor): Promise<number> {
  const g = new GraphBuilder({ name: 'prior' });
  const input = g.input('x', x.dtype, x.shape);
  g.output(build(g, input), 'loss');
  const session = await backend.session(g.build());
  const { loss } = await session.run({ x });
  expect(loss!.shape).toEqual([]);
  return loss!.item() as number;
}

describe('SpectralPrior', () => {
  const prior = new SpectralPrior({ targetBeta: 1, weight: 0.5, bins: [2, 100] });
  const expected = 0.5 * SIGNALS.reduce((s, name) => s + (reference[name].prior_beta - 1) ** 2, 0) / SIGNALS.length;

  it('host evaluation matches the reference periodogram slope', () => {
    SIGNALS.forEach((name, i) => expectClose(prior.exponent(rows[i]!), reference[name].prior_beta, 1e-9));
    expectClose(prior.evaluate(rows), expected, 1e-9);
  });

  it('the loss subgraph gives the same value (float64 and float32, batch and single signal)', async () => {
    const batch = new Tensor('float64', Float64Array.from(rows.flatMap((r) => Array.from(r))), [rows.length, n]);
    expectClose(await runLoss((g, x) => prior.loss(g, x), batch), expected, 1e-9);
    expect(Math.abs((await runLoss((g, x) => prior.loss(g, x), batch.clone('float32'))) - expected)).toBeLessThan(1e-3 * expected);
    const single = new Tensor('float64', Float64Array.from(rows[0]!), [n]);
    expectClose(await runLoss((g, x) => prior.loss(g, x), single), 0.5 * (reference['white'].prior_beta - 1) ** 2, 1e-9);
  });

  it('is differentiable by core’s autodiff: the gradient equals finite differences of the host loss', async () => {
    await expectGradientMatchesHost(new SpectralPrior({ targetBeta: 1, weight: 0.5, bins: [2, 20] }), rows[0]!.subarray(0, 64));
  });
});

/** d loss / d x from `gradients()` on the prior's subgraph, against central differences of `evaluate`. */
async function expectGradientMatchesHost(prior: SpectralPrior | HiguchiPrior, x: Float64Array): Promise<void> {
  const g = new GraphBuilder({ name: 'prior' });
  g.output(prior.loss(g, g.input('x', 'float64', [x.length])), 'loss');
  const { model, grads } = gradients(g.build(), { of: 'loss', wrt: ['x'] });
  const out = await (await backend.session(model)).run({ x: new Tensor('float64', Float64Array.from(x), [x.length]) });
  const analytic = out[grads['x']!]!.data as Float64Array;
  const h = 1e-6;
  for (let i = 0; i < x.length; i++) {
    const up = Float64Array.from(x);
    const down = Float64Array.from(x);
    up[i] = up[i]! + h;
    down[i] = down[i]! - h;
    const numeric = (prior.evaluate(up) - prior.evaluate(down)) / (2 * h);
    expect(Math.abs(analytic[i]! - numeric)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(numeric)));
  }
}

describe('HiguchiPrior', () => {
  const prior = new HiguchiPrior({ targetFD: 1.5, weight: 2 });
  const expected = 2 * SIGNALS.reduce((s, name) => s + (reference[name].prior_higuchi - 1.5) ** 2, 0) / SIGNALS.length;

  it('host evaluation and the loss subgraph both equal weight · mean (FD − target)² with antropy FDs', async () => {
    expectClose(prior.evaluate(rows), expected, 1e-9);
    const batch = new Tensor('float64', Float64Array.from(rows.flatMap((r) => Array.from(r))), [rows.length, n]);
    expectClose(prior.evaluate(batch), expected, 1e-9);
    expectClose(await runLoss((g, x) => prior.loss(g, x), batch), expected, 1e-9);
  });

  it('is differentiable by core’s autodiff: the gradient equals finite differences of the host loss', async () => {
    await expectGradientMatchesHost(new HiguchiPrior({ targetFD: 1.5, weight: 2, kMax: 5 }), rows[0]!.subarray(0, 64));
  });
});
