import { Backend, GraphBuilder, Tensor } from '@mechint/core';
import { DalesLinear, applyDalesLaw, dalesSigns, seededNormal, type DalesRectifier } from '../src/index.js';
import { adam, expectCode } from './helpers.js';

describe("Dale's law", () => {
  it('assigns the first round(eiRatio · n) inputs excitatory', () => {
    expect(Array.from(dalesSigns({ n: 10 }))).toEqual([1, 1, 1, 1, 1, 1, 1, 1, -1, -1]);
    expect(Array.from(dalesSigns({ n: 5, eiRatio: 0.6 }))).toEqual([1, 1, 1, -1, -1]);
    expectCode(() => dalesSigns({ n: 5, eiRatio: 1.5 }), 'INVALID_ARGUMENT', /eiRatio/);
  });

  it('projects any matrix onto the law (wrong-signed entries to 0)', () => {
    expect(applyDalesLaw(Tensor.from([[0.5, 0.25], [-0.125, -0.75]]), [1, -1]).toArray()).toEqual([
      [0.5, 0],
      [0, -0.75],
    ]);
    expectCode(() => applyDalesLaw(Tensor.from([[1, 2]]), [1]), 'SHAPE_MISMATCH', /one entry per presynaptic neuron/);
    expectCode(() => applyDalesLaw(Tensor.from([[Number.NaN, 2]]), [1, 1]), 'INVALID_ARGUMENT', /NaN/);
  });

  it.each(['relu', 'abs'] as DalesRectifier[])('DalesLinear keeps every presynaptic sign through 2000 Adam steps (%s)', (rectifier) => {
    // Regression onto a teacher whose weights have random signs, so the gradient keeps pushing
    // weights across zero; loss ½‖x Wᵀ − y‖² / B, dL/dW = (x Wᵀ − y)ᵀ x / B (hand-derived).
    const inF = 10;
    const outF = 6;
    const batch = 32;
    const layer = new DalesLinear({ inFeatures: inF, outFeatures: outF, eiRatio: 0.7, rectifier, seed: 5 });
    const randn = seededNormal(11);
    const teacher = Float64Array.from({ length: outF * inF }, () => randn());
    const x = new Tensor('float32', Float32Array.from({ length: batch * inF }, () => randn()), [batch, inF]);
    const y = new Float64Array(batch * outF);
    for (let b = 0; b < batch; b++) for (let i = 0; i < outF; i++) for (let j = 0; j < inF; j++) y[b * outF + i]! += x.data[b * inF + j]! * teacher[i * inF + j]!;
    const step = adam(layer.raw.data, 0.05);
    const loss = () => {
      const out = layer.forward(x).data;
      return out.reduce((a, o, k) => a + (o - y[k]!) ** 2, 0) / (2 * batch);
    };
    const initial = loss();
    let crossings = 0;
    for (let it = 0; it < 2000; it++) {
      const out = layer.forward(x).data;
      const grad = new Float32Array(outF * inF);
      for (let b = 0; b < batch; b++) for (let i = 0; i < outF; i++) for (let j = 0; j < inF; j++) grad[i * inF + j]! += ((out[b * outF + i]! - y[b * outF + i]!) * x.data[b * inF + j]!) / batch;
      const before = layer.raw.data.map(Math.sign);
      step(layer.backward(new Tensor('float32', grad, [outF, inF])).data);
      layer.raw.data.forEach((r, k) => (crossings += Math.sign(r) !== before[k] ? 1 : 0));
      const w = layer.effectiveWeights().data;
      for (let k = 0; k < w.length; k++) if (w[k]! * layer.signs[k % inF]! < 0) throw new Error(`step ${it}: weight ${k} changed sign`);
    }
    expect(loss()).toBeLessThan(initial);
    if (rectifier === 'abs') expect(crossings).toBeGreaterThan(0); // raw weights did cross zero
  });

  it('emits the same layer into a graph', async () => {
    const layer = new DalesLinear({ inFeatures: 4, outFeatures: 3, rectifier: 'abs', seed: 2 });
    layer.raw.data.set([-0.5, 0.25], 0);
    const g = new GraphBuilder();
    g.output(layer.emit(g, g.input('x', 'float32', ['batch', 4])), 'y');
    const session = await (await Backend.create({ ep: 'cpu' })).session(g.build());
    const x = Tensor.from([[1, -2, 0.5, 3], [0, 1, 1, 0]]);
    const { y } = await session.run({ x });
    const host = layer.forward(x).data;
    y!.data.forEach((v, k) => expect(v).toBeCloseTo(host[k] as number, 5));
    // The raw weights as a graph input instead, fed per run.
    const h = new GraphBuilder();
    h.output(layer.emit(h, h.input('x', 'float32', ['batch', 4]), h.input('w_raw', 'float32', [3, 4])), 'y');
    const fed = await (await (await Backend.create({ ep: 'cpu' })).session(h.build())).run({ x, w_raw: layer.raw });
    expect(Array.from(fed['y']!.data as Float32Array)).toEqual(Array.from(y!.data as Float32Array));
    const k = new GraphBuilder();
    expectCode(() => layer.emit(k, k.input('x', 'float32', ['batch', 4]), k.input('w_raw', 'float32', [4, 3])), 'SHAPE_MISMATCH', /\[3, 4\]/);
  });

  it('backward chains through the rectifier and the signs', () => {
    const layer = new DalesLinear({ inFeatures: 2, outFeatures: 1, eiRatio: 0.5, rectifier: 'relu' });
    layer.raw.data.set([0.3, -0.2]);
    expect(layer.backward(Tensor.from([[2, 2]])).toArray()).toEqual([[2, 0]]);
    expectCode(() => layer.backward(Tensor.from([[1]])), 'SHAPE_MISMATCH');
    expectCode(() => layer.forward(Tensor.from([[1, 2, 3]])), 'SHAPE_MISMATCH', /\[batch, 2\]/);
    expectCode(() => new DalesLinear({ inFeatures: 0, outFeatures: 1 }), 'INVALID_ARGUMENT', /inFeatures/);
  });
});
