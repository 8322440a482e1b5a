import { Backend, GraphBuilder, Tensor, gradients, type ModelIR, type Session, type Value } from '@mechint/core';
import { DalesLinear, arctan, emitLeaky, fastSigmoid, seededRandom, straightThrough, surrogateOverrides, type SurrogateGradient } from '../src/index.js';
import { adam, expectCode } from './helpers.js';

const surrogates: [string, SurrogateGradient][] = [
  ['fastSigmoid', fastSigmoid()],
  ['arctan', arctan()],
  ['straightThrough', straightThrough()],
];

const backend = Backend.create({ ep: 'cpu' });
const session = async (model: ModelIR): Promise<Session> => (await backend).session(model);
const f64 = (values: ArrayLike<number>, shape: number[]) => new Tensor('float64', Float64Array.from(values), shape);

/** A fixed pseudo-random vector in [lo, hi) (a small LCG, so the test data does not depend on the code under test). */
function uniform(length: number, seed: number, lo: number, hi: number): number[] {
  let state = seed;
  return Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return lo + ((hi - lo) * state) / 2147483648;
  });
}

describe('training spiking graphs with surrogate gradients', () => {
  // Linear → RLeaky, unrolled over T steps, float64: loss = Σ spikes · R + Σ membrane · M.
  const [T, B, nIn, n] = [8, 2, 2, 3];
  const beta = 0.8;
  const spikeWeights = f64(uniform(T * B * n, 1, -1, 1), [T, B, n]);
  const membraneWeights = f64(uniform(T * B * n, 2, -0.5, 0.5), [T, B, n]);
  const feeds: Record<string, Tensor> = {
    x: f64(uniform(T * B * nIn, 3, 0, 1.5), [T, B, nIn]),
    w: f64(uniform(n * nIn, 4, 0.2, 1.2), [n, nIn]),
    v: f64(uniform(n * n, 5, -0.4, 0.4), [n, n]),
  };

  function build(surrogate: SurrogateGradient, resetMode: 'subtract' | 'zero'): { model: ModelIR; spikeSteps: Value<'float64'>[] } {
    const g = new GraphBuilder();
    const x = g.input('x', 'float64', [T, B, nIn]);
    const w = g.input('w', 'float64', [n, nIn]);
    const v = g.input('v', 'float64', [n, n]);
    const current = g.reshape(g.matmul(g.reshape(x, [-1, nIn]), g.transpose(w)), [T, B, n]); // a 2-D MatMul (see buildSpikingLayer)
    const layer = emitLeaky(g, current, { beta, resetMode, recurrent: v, surrogate });
    const loss = g.add(g.reduceSum(g.mul(layer.spikes, spikeWeights), { keepdims: false }), g.reduceSum(g.mul(layer.membrane, membraneWeights), { keepdims: false }));
    g.output(loss, 'loss');
    g.output(layer.membrane, 'membrane');
    g.output(layer.spikes, 'spikes');
    return { model: g.build(), spikeSteps: layer.spikeSteps };
  }

  /**
   * The same surrogate with its spike replaced by `H(x₀) + smooth(x) − smooth(x₀)` (`emitSmooth`),
   * x₀ the Heaviside network's `U − θ` at each step: this network computes exactly the Heaviside
   * network's forward values at the operating point and is smooth around it, and its derivative
   * there is the surrogate-gradient BPTT, so its central differences check the backward graph
   * exactly. onnxruntime's CPU `Atan` has no float64 kernel, so for arctan the spike is the
   * tangent `H(x₀) + grad(x₀)(x − x₀)` instead (the same derivative at x₀; `grad` is checked
   * against finite differences of `smooth` in surrogate.test.ts).
   */
  function smoothedAt(s: SurrogateGradient, x0: Float64Array[], tangent: boolean): SurrogateGradient {
    let t = 0;
    return {
      ...s,
      emitSpike: (g, x) => {
        const at = x0[t++]!;
        const constant = (values: Float64Array) => g.constant(f64(values, [B, n])) as Value as Value<typeof x.dtype>;
        if (tangent) return g.add(g.mul(g.sub(x, constant(at)), constant(at.map((u) => s.grad(u)))), constant(at.map((u) => s.spike(u))));
        return g.add(s.emitSmooth(g, x), constant(at.map((u) => s.spike(u) - s.smooth(u))));
      },
    };
  }

  it.each(surrogates.flatMap(([name, s]) => (['subtract', 'zero'] as const).map((reset) => [name, reset, s] as const)))(
    '%s, %s reset: gradients(…, { nodeOverrides }) equal finite differences of the network smoothed at the operating point',
    async (_, resetMode, s) => {
      const { model, spikeSteps } = build(s, resetMode);
      const nodeOverrides = surrogateOverrides(model, s, spikeSteps);
      expect(Object.keys(nodeOverrides)).toHaveLength(T);
      const { model: withGrads, grads } = gradients(model, { of: 'loss', wrt: ['x', 'w', 'v'], nodeOverrides });
      const out = await (await session(withGrads)).run(feeds);
      const spikes = out['spikes']!.data as Float64Array;
      expect(spikes.reduce((a, z) => a + z, 0)).toBeGreaterThan(5); // the operating point has spikes and silences
      expect(Array.from(spikes).every((z) => z === 0 || z === 1)).toBe(true); // the forward stays the Heaviside step

      const membrane = out['membrane']!.data as Float64Array;
      const x0 = Array.from({ length: T }, (_, t) => membrane.slice(t * B * n, (t + 1) * B * n).map((u) => u - 1));
      expect(x0.flatMap((step) => Array.from(step)).every((u) => Math.abs(u) > 1e-3)).toBe(true); // no step sits on the threshold
      const smoothed = await session(build(smoothedAt(s, x0, s.name.startsWith('arctan')), resetMode).model);
      const lossAt = async (name: string, i: number, d: number) => {
        const moved = feeds[name]!.clone();
        (moved.data as Float64Array)[i]! += d;
        return ((await smoothed.run({ ...feeds, [name]: moved }))['loss']!.data as Float64Array)[0]!;
      };
      expect(await lossAt('x', 0, 0)).toBeCloseTo((out['loss']!.data as Float64Array)[0]!, 10); // same forward value
      const h = 1e-6;
      let worst = 0;
      for (const name of ['x', 'w', 'v']) {
        const analytic = out[grads[name]!]!.data as Float64Array;
        for (let i = 0; i < analytic.length; i++) {
          const numeric = ((await lossAt(name, i, h)) - (await lossAt(name, i, -h))) / (2 * h);
          worst = Math.max(worst, Math.abs(analytic[i]! - numeric) / Math.max(1, Math.abs(numeric)));
        }
      }
      expect(worst).toBeLessThan(1e-7);
    },
  );

  it.each(surrogates)('%s: one neuron over three steps matches the hand-derived BPTT', async (_, s) => {
    // U₁ = I₁, U_t = β U_{t−1} + I_t − θ z_{t−1}, z_t = H(U_t − θ); L = Σ r_t z_t + m_t U_t. Backward, with σ_t = s'(U_t − θ):
    // ∂L/∂U₃ = m₃ + r₃σ₃, ∂L/∂U₂ = m₂ + (r₂ − θ ∂L/∂U₃)σ₂ + β ∂L/∂U₃, ∂L/∂U₁ = m₁ + (r₁ − θ ∂L/∂U₂)σ₁ + β ∂L/∂U₂, ∂L/∂I_t = ∂L/∂U_t.
    const [b, theta, current, r, m] = [0.8, 1, [1.3, 0.4, 0.9], [0.7, -1.1, 0.5], [0.2, -0.3, 0.4]];
    const u1 = current[0]!;
    const u2 = b * u1 + current[1]! - theta * s.spike(u1 - theta);
    const u3 = b * u2 + current[2]! - theta * s.spike(u2 - theta);
    expect([u1, u2, u3].map((u) => s.spike(u - theta))).toEqual([1, 0, 1]);
    const [g1, g2, g3] = [u1, u2, u3].map((u) => s.grad(u - theta)) as [number, number, number];
    const d3 = m[2]! + r[2]! * g3;
    const d2 = m[1]! + (r[1]! - theta * d3) * g2 + b * d3;
    const d1 = m[0]! + (r[0]! - theta * d2) * g1 + b * d2;

    const g = new GraphBuilder();
    const layer = emitLeaky(g, g.input('current', 'float64', [3, 1, 1]), { beta: b, threshold: theta, surrogate: s });
    const loss = g.add(g.reduceSum(g.mul(layer.spikes, f64(r, [3, 1, 1])), { keepdims: false }), g.reduceSum(g.mul(layer.membrane, f64(m, [3, 1, 1])), { keepdims: false }));
    g.output(loss, 'loss');
    const model = g.build();
    const { model: withGrads, grads } = gradients(model, { of: 'loss', wrt: ['current'], nodeOverrides: surrogateOverrides(model, layer.surrogate, layer.spikeSteps) });
    const out = await (await session(withGrads)).run({ current: f64(current, [3, 1, 1]) });
    const grad = out[grads['current']!]!.data as Float64Array;
    [d1, d2, d3].forEach((d, t) => expect(grad[t]).toBeCloseTo(d, 12));
  });

  it('finds every spike of a model without being told, and rejects values that are not spikes', () => {
    const { model, spikeSteps } = build(fastSigmoid(), 'subtract');
    expect(Object.keys(surrogateOverrides(model, fastSigmoid())).sort()).toEqual(Object.keys(surrogateOverrides(model, fastSigmoid(), spikeSteps)).sort());
    expectCode(() => surrogateOverrides(model, fastSigmoid(), ['membrane']), 'INVALID_ARGUMENT', /'membrane' is not a spike/);
    const g = new GraphBuilder();
    g.output(g.relu(g.input('x', 'float32', [2])), 'y');
    expectCode(() => surrogateOverrides(g.build(), fastSigmoid()), 'INVALID_ARGUMENT', /found no spike/);
  });

  it("learns to tell two input rate patterns apart by spike counts, Dale's law kept at every step", async () => {
    // Input → DalesLinear (10 → 2, the raw weights a graph input) → Leaky, T = 20. Class c makes
    // inputs 0–4 fire with probability 0.3 / 0.05 per step (c = 0) or 0.05 / 0.3 (c = 1); the
    // prediction is the output neuron with more spikes; the loss is the cross-entropy of the
    // softmax of the spike counts (snnTorch's ce_count_loss).
    const [steps, nIn, nOut, batch] = [20, 10, 2, 32];
    const surrogate = fastSigmoid();
    const layer = new DalesLinear({ inFeatures: nIn, outFeatures: nOut, eiRatio: 0.8, seed: 3 });
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [steps, 'batch', nIn]);
    const labels = g.input('labels', 'float32', ['batch', nOut]);
    const current = g.reshape(layer.emit(g, g.reshape(x, [-1, nIn]), g.input('w_raw', 'float32', [nOut, nIn])), [steps, -1, nOut]);
    const leaky = emitLeaky(g, current, { beta: 0.9, surrogate });
    const counts = g.reduceSum(leaky.spikes, { axes: [0], keepdims: false });
    g.output(counts, 'counts');
    g.output(g.neg(g.reduceMean(g.reduceSum(g.mul(labels, g.logSoftmax(counts)), { axes: [1], keepdims: false }), { keepdims: false })), 'loss');
    const model = g.build();
    const { model: withGrads, grads } = gradients(model, { of: 'loss', wrt: ['w_raw'], nodeOverrides: surrogateOverrides(model, surrogate, leaky.spikeSteps) });
    const train = await session(withGrads); // one session for every step: the weights are fed, not baked in

    const rand = seededRandom(42);
    const samples = (size: number) => {
      const data = new Float32Array(steps * size * nIn);
      const onehot = new Float32Array(size * nOut);
      const classes = Array.from({ length: size }, () => (rand() < 0.5 ? 0 : 1));
      classes.forEach((c, b) => {
        onehot[b * nOut + c] = 1;
        for (let t = 0; t < steps; t++) for (let j = 0; j < nIn; j++) data[(t * size + b) * nIn + j] = rand() < ((j < 5) === (c === 0) ? 0.3 : 0.05) ? 1 : 0;
      });
      return { x: new Tensor('float32', data, [steps, size, nIn]), labels: new Tensor('float32', onehot, [size, nOut]), classes };
    };
    const accuracy = (out: Record<string, Tensor>, classes: number[]) => {
      const c = out['counts']!.data as Float32Array;
      return classes.filter((k, b) => (c[b * nOut + 1]! > c[b * nOut]! ? 1 : 0) === k).length / classes.length;
    };
    const heldOut = samples(200);
    const evaluate = async () => accuracy(await train.run({ x: heldOut.x, labels: heldOut.labels, w_raw: layer.raw }), heldOut.classes);

    const before = await evaluate();
    const step = adam(layer.raw.data, 0.05);
    const losses: number[] = [];
    for (let it = 0; it < 150; it++) {
      const { x: xs, labels: ys } = samples(batch);
      const out = await train.run({ x: xs, labels: ys, w_raw: layer.raw });
      losses.push((out['loss']!.data as Float32Array)[0]!);
      step(out[grads['w_raw']!]!.data as Float32Array);
      const w = layer.effectiveWeights().data;
      for (let k = 0; k < w.length; k++) if (w[k]! * layer.signs[k % nIn]! < 0) throw new Error(`step ${it}: weight ${k} broke Dale's law`);
    }
    const after = await evaluate();
    const mean = (xs: number[]) => xs.reduce((a, v) => a + v, 0) / xs.length;
    expect(mean(losses.slice(-20))).toBeLessThan(0.5 * mean(losses.slice(0, 20)));
    expect(after).toBeGreaterThanOrEqual(0.9);
    expect(before).toBeLessThan(0.75);
  });
});
