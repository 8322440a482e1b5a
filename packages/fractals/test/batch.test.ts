/**
 * Batch kernels: the graph (ONNX on onnxruntime) and host engines give the reference values.
 */
import { Backend, Tensor } from '@mechint/core';
import { DFA, HiguchiFractalDimension } from '../src/index.js';
import { SIGNALS, expectClose, reference, signal } from './helpers.js';

const n = 1000;
const rows = SIGNALS.map((name) => signal(name).subarray(0, n));
const batch = new Tensor('float64', Float64Array.from(rows.flatMap((r) => Array.from(r))), [rows.length, n]);
let backend: Backend;

beforeAll(async () => {
  backend = await Backend.create({ ep: 'cpu', intraOpNumThreads: 1 });
});
afterAll(async () => {
  await backend.dispose();
});

describe.each(['host', 'graph'] as const)('%s engine', (engine) => {
  it('HiguchiFractalDimension matches antropy on every row (float64 and float32 input)', async () => {
    const fd = await new HiguchiFractalDimension({ kMax: 10, engine, backend }).compute(batch);
    SIGNALS.forEach((name, i) => expectClose(fd[i]!, reference[name].higuchi_1000, 1e-9));
    const fd32 = await new HiguchiFractalDimension({ kMax: 10, engine, backend }).compute(batch.clone('float32'));
    SIGNALS.forEach((name, i) => expect(Math.abs(fd32[i]! - reference[name].higuchi_1000)).toBeLessThan(1e-5));
  });

  it('DFA matches nolds on every row', async () => {
    const r = await new DFA({ engine, backend }).compute(batch);
    expect(r.scales).toEqual(reference['white'].dfa_1000.scales);
    expect(r.fluctuations.shape).toEqual([rows.length, r.scales.length]);
    SIGNALS.forEach((name, i) => {
      expectClose(r.alpha[i]!, reference[name].dfa_1000.alpha, 1e-9);
      expectClose(r.intercept[i]!, reference[name].dfa_1000.intercept, 1e-9);
    });
    const r2 = await new DFA({ engine, backend, order: 2, overlap: false, scales: [8, 16, 32, 64] }).compute(batch);
    SIGNALS.forEach((name, i) => expectClose(r2.alpha[i]!, reference[name].dfa_1000_order2.alpha, 1e-9));
  });
});
