import { MechintError } from '@mechint/core';
import { ripsPersistence, type Progress } from '../src/index.js';
import { uniformCube } from './prng.js';

async function codeOf(run: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await run();
  } catch (e) {
    if (MechintError.isInstance(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a MechintError');
}

describe('ripsPersistence rejects bad input with coded errors', () => {
  it('fewer than two points', async () => {
    expect(await codeOf(() => ripsPersistence([[1, 2]]))).toEqual({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/1 point\(s\); this needs at least 2/) });
  });

  it('NaN coordinates, naming the point', async () => {
    expect(await codeOf(() => ripsPersistence([[0, 0], [1, NaN]]))).toEqual({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/point 1, axis 1/) });
  });

  it('ragged rows and tensors of the wrong rank', async () => {
    expect((await codeOf(() => ripsPersistence([[0, 0], [1]]))).code).toBe('SHAPE_MISMATCH');
  });

  it('a non-symmetric distance matrix', async () => {
    const { code, message } = await codeOf(() => ripsPersistence({ distanceMatrix: [[0, 1], [2, 0]] }));
    expect(code).toBe('INVALID_ARGUMENT');
    expect(message).toMatch(/not symmetric.*symmetrise/);
  });

  it('a negative distance matrix', async () => {
    expect((await codeOf(() => ripsPersistence({ distanceMatrix: [[0, -1], [-1, 0]] }))).message).toMatch(/negative entry/);
  });

  it('a non-zero diagonal and a non-square matrix', async () => {
    expect((await codeOf(() => ripsPersistence({ distanceMatrix: [[1, 1], [1, 0]] }))).message).toMatch(/diagonal/);
    expect((await codeOf(() => ripsPersistence({ distanceMatrix: [[0, 1, 2], [1, 0, 1]] }))).code).toBe('SHAPE_MISMATCH');
  });

  it('maxDim > 3 without the explicit opt-in', async () => {
    expect((await codeOf(() => ripsPersistence([[0], [1]], { maxDim: 4 }))).message).toMatch(/allowHighDimensions: true/);
  });

  it('a coefficient field that is not a prime, a negative threshold, a metric with a distance matrix, an unknown metric', async () => {
    expect((await codeOf(() => ripsPersistence([[0], [1]], { coefficients: 4 }))).message).toMatch(/prime/);
    expect((await codeOf(() => ripsPersistence([[0], [1]], { threshold: -1 }))).message).toMatch(/threshold/);
    expect((await codeOf(() => ripsPersistence({ distanceMatrix: [[0, 1], [1, 0]] }, { metric: 'euclidean' }))).message).toMatch(/leave out metric/);
    expect((await codeOf(() => ripsPersistence([[0], [1]], { metric: 'hamming' as 'euclidean' }))).message).toMatch(/Unknown metric/);
  });

  it('more edges than maxEdges: with no threshold, before computing any distance', async () => {
    let progressed = false;
    const { message } = await codeOf(() => ripsPersistence(uniformCube(50, 2, 1), { maxEdges: 100, onProgress: () => (progressed = true) }));
    expect(message).toMatch(/all 1225 edges.*pass \{ threshold \}/);
    expect(progressed).toBe(false);
  });

  it('more edges than maxEdges within the threshold', async () => {
    expect((await codeOf(() => ripsPersistence(uniformCube(50, 2, 1), { maxEdges: 100, threshold: 0.5 }))).message).toMatch(/lower the threshold/);
  });

  it('the zero vector under the cosine metric', async () => {
    expect((await codeOf(() => ripsPersistence([[0, 0], [1, 0]], { metric: 'cosine' }))).message).toMatch(/zero vector/);
  });
});

describe('progress and cancellation', () => {
  it('reports every phase, from 0 to its total', async () => {
    const reports: Progress[] = [];
    await ripsPersistence(uniformCube(40, 3, 2), { maxDim: 2, onProgress: (p) => reports.push(p) });
    const phases = reports.map((p) => `${p.phase}${p.dim ?? ''}`);
    for (const phase of ['distances', 'H0', 'reduce1', 'assemble2', 'reduce2']) expect(phases).toContain(phase);
    const last = reports.at(-1)!;
    expect(last).toEqual({ phase: 'reduce', dim: 2, done: last.total, total: last.total });
  });

  it('an aborted signal stops before any work', async () => {
    const controller = new AbortController();
    controller.abort();
    const { code, message } = await codeOf(() => ripsPersistence(uniformCube(40, 3, 2), { signal: controller.signal }));
    expect(code).toBe('ABORTED');
    expect(message).toMatch(/aborted/);
  });

  it('aborting from a progress callback stops at the next check', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const run = () =>
      ripsPersistence(uniformCube(40, 3, 2), {
        maxDim: 2,
        signal: controller.signal,
        onProgress: (p) => {
          seen.push(p.phase);
          if (p.phase === 'reduce') controller.abort();
        },
      });
    expect((await codeOf(run)).code).toBe('ABORTED');
    expect(seen).not.toContain('assemble');
  });

  it('aborting from a timer stops a long computation', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    expect((await codeOf(() => ripsPersistence(uniformCube(400, 3, 3), { maxDim: 2, threshold: 0.6, signal: controller.signal }))).code).toBe('ABORTED');
  });
});
