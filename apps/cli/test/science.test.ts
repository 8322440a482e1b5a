/**
 * `mechint fractal`, `align`, `topology` and `spikes` on inputs with closed-form answers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor, float32ToHalf, seededNormal, writeNpy } from '@mechint/core';
import { expectSvg } from './xml.js';
import { mechint, readJson, readNpyFile, temporaryFolder } from './helpers.js';

const { dir, remove } = temporaryFolder();
afterAll(remove);
const save = (name: string, t: Tensor) => writeFileSync(join(dir, name), writeNpy(t));
const svg = (path: string) => expectSvg(readFileSync(join(dir, path), 'utf8'));

describe('mechint fractal', () => {
  it('a straight line has Katz and Petrosian dimension 1', async () => {
    save('line.npy', Tensor.from(Float64Array.from({ length: 500 }, (_, i) => 0.3 * i), [500], 'float64'));
    const ran = await mechint(['fractal', 'line.npy', '--methods', 'katz,petrosian', '--out', 'line', '--json'], dir);
    expect(ran.code).toBe(0);
    const result = readJson(join(dir, 'line/results.json')) as { rows: Record<string, number>[] };
    expect(result.rows[0]!['katz']).toBeCloseTo(1, 10);
    expect(result.rows[0]!['petrosian']).toBeCloseTo(1, 10);
    // float16 files are decoded, not read as their bits.
    save('line16.npy', new Tensor('float16', float32ToHalf(Float32Array.from({ length: 100 }, (_, i) => 0.5 * i)), [100]));
    expect((await mechint(['fractal', 'line16.npy', '--methods', 'katz', '--out', 'line16'], dir)).code).toBe(0);
    expect((readJson(join(dir, 'line16/results.json')) as { rows: Record<string, number>[] }).rows[0]!['katz']).toBeCloseTo(1, 10);
  });

  it('white noise: DFA α ≈ 0.5, Higuchi ≈ 2, flat spectrum; one row of measures per signal; fit figures', async () => {
    const normal = seededNormal(5);
    save('noise.npy', Tensor.from(Float64Array.from({ length: 2 * 4096 }, normal), [2, 4096], 'float64'));
    const ran = await mechint(['fractal', 'noise.npy', '--out', 'noise'], dir);
    expect(ran.code).toBe(0);
    const result = readJson(join(dir, 'noise/results.json')) as { methods: string[]; rows: Record<string, number>[] };
    expect(result.methods).toEqual(['higuchi', 'katz', 'petrosian', 'dfa', 'hurst', 'spectral']);
    for (const row of result.rows) {
      expect(Math.abs(row['dfa']! - 0.5)).toBeLessThan(0.08);
      expect(Math.abs(row['higuchi']! - 2)).toBeLessThan(0.05);
      expect(Math.abs(row['spectral']!)).toBeLessThan(0.15);
    }
    expect(readNpyFile(join(dir, 'noise/measures.npy')).shape).toEqual([2, 6]);
    svg('noise/dfa.svg');
    svg('noise/spectrum.svg');
  });

  it('refuses a 3-D array and unknown methods', async () => {
    save('cube.npy', Tensor.zeros([2, 2, 2]));
    expect((await mechint(['fractal', 'cube.npy'], dir)).stderr).toMatch(/^mechint: error \[SHAPE_MISMATCH\] Signal 'cube.npy' must be a signal \[samples\] or signals \[rows, samples\]/);
    expect((await mechint(['fractal', 'cube.npy', '--methods', 'box'], dir)).stderr).toContain('Unknown method(s) box for --methods');
  });
});

describe('mechint align', () => {
  it('a rotated, rescaled copy is identical to every measure', async () => {
    const normal = seededNormal(9);
    const n = 60;
    const p = 6;
    const a = Float64Array.from({ length: n * p }, normal);
    // b = 3 · a · Q, Q a signed permutation (orthogonal).
    const perm = [2, 0, 5, 1, 4, 3];
    const b = Float64Array.from({ length: n * p }, (_, i) => 3 * (perm[i % p]! % 2 === 0 ? -1 : 1) * a[Math.floor(i / p) * p + perm[i % p]!]!);
    save('a.npy', new Tensor('float64', a, [n, p]));
    save('b.npy', new Tensor('float64', b, [n, p]));
    const ran = await mechint(['align', 'a.npy', 'b.npy', '--rdm-metric', 'euclidean', '--out', 'same'], dir);
    expect(ran.code).toBe(0);
    const { scores } = readJson(join(dir, 'same/results.json')) as { scores: Record<string, number> };
    expect(scores['cka']).toBeCloseTo(1, 6);
    expect(scores['cca']).toBeCloseTo(1, 6);
    expect(scores['svcca']).toBeCloseTo(1, 6);
    expect(scores['pwcca']).toBeCloseTo(1, 6);
    expect(scores['rsa']).toBeCloseTo(1, 6);
    expect(scores['procrustes']).toBeCloseTo(0, 6);
    const correlations = readNpyFile(join(dir, 'same/cca.npy'));
    expect(correlations.shape).toEqual([p]);
    for (const c of correlations.data as Float64Array) expect(c).toBeCloseTo(1, 6);
    for (const f of ['cca.svg', 'rdm-a.svg', 'rdm-b.svg']) svg(`same/${f}`);
  });

  it('refuses sets of different sample counts', async () => {
    save('c.npy', Tensor.zeros([10, 3]));
    const ran = await mechint(['align', 'a.npy', 'c.npy'], dir);
    expect(ran.code).toBe(3);
    expect(ran.stderr).toMatch(/^mechint: error \[SHAPE_MISMATCH\] The two sets must hold the same stimuli: 'a.npy' has 60 samples, 'c.npy' 10/);
  });
});

describe('mechint topology', () => {
  it('a regular hexagon: five components merge at 1, one loop lives from 1 to √3', async () => {
    save('hexagon.npy', Tensor.from(Array.from({ length: 6 }, (_, i) => [Math.cos((i * Math.PI) / 3), Math.sin((i * Math.PI) / 3)]), [6, 2], 'float64'));
    const ran = await mechint(['topology', 'hexagon.npy', '--out', 'hex'], dir);
    expect(ran.code).toBe(0);
    const h0 = readNpyFile(join(dir, 'hex/h0.npy'));
    const h1 = readNpyFile(join(dir, 'hex/h1.npy'));
    expect(h0.shape).toEqual([6, 2]);
    expect(h1.shape).toEqual([1, 2]);
    const deaths = Array.from({ length: 6 }, (_, i) => (h0.data as Float64Array)[2 * i + 1]!).sort((x, y) => x - y);
    deaths.slice(0, 5).forEach((d) => expect(d).toBeCloseTo(1, 6));
    expect(deaths[5]).toBe(Infinity);
    expect((h1.data as Float64Array)[0]).toBeCloseTo(1, 6);
    expect((h1.data as Float64Array)[1]).toBeCloseTo(Math.sqrt(3), 6);
    const result = readJson(join(dir, 'hex/results.json')) as { summary: { dim: number; pairs: number; essential: number }[] };
    expect(result.summary.map((s) => [s.dim, s.pairs, s.essential])).toEqual([[0, 6, 1], [1, 1, 0]]);
    svg('hex/diagram.svg');
    svg('hex/barcode.svg');
  });
});

describe('mechint spikes', () => {
  it('analyses regular trains: rates, ISI CV 0, Fano factor 0, raster', async () => {
    const steps = 1000;
    const data = new Float32Array(steps * 2);
    for (let t = 0; t < steps; t++) {
      if (t % 10 === 0) data[2 * t] = 1;
      if (t % 25 === 0) data[2 * t + 1] = 1;
    }
    save('regular.npy', new Tensor('float32', data, [steps, 2]));
    const ran = await mechint(['spikes', 'analyse', 'regular.npy', '--dt', '1', '--out', 'regular'], dir);
    expect(ran.code).toBe(0);
    const result = readJson(join(dir, 'regular/results.json')) as { ratesHz: number[]; isiCV: number[]; meanFano: number; spikes: number };
    expect(result.ratesHz).toEqual([100, 40]);
    expect(result.isiCV).toEqual([0, 0]);
    expect(result.meanFano).toBe(0);
    expect(result.spikes).toBe(140);
    expect(readNpyFile(join(dir, 'regular/rates.npy')).shape).toEqual([2]);
    svg('regular/raster.svg');
  });

  it('simulates LIF neurons: without noise they fire at 1 / (τ ln(I / (I − θ)))', async () => {
    const ran = await mechint(['spikes', 'simulate', '--neurons', '3', '--duration', '1000', '--dt', '0.01', '--current', '1.5', '--spread', '0', '--noise', '0', '--out', 'lif'], dir);
    expect(ran.code).toBe(0);
    expect(readNpyFile(join(dir, 'lif/spikes.npy')).shape).toEqual([100_000, 3]);
    expect(readNpyFile(join(dir, 'lif/voltages.npy')).shape).toEqual([100_000, 3]);
    const { ratesHz } = readJson(join(dir, 'lif/results.json')) as { ratesHz: number[] };
    const expected = 1000 / (10 * Math.log(1.5 / 0.5));
    for (const r of ratesHz) expect(Math.abs(r - expected)).toBeLessThan(1.5);
    svg('lif/raster.svg');
  });

  it('needs an action and --dt', async () => {
    expect((await mechint(['spikes'], dir)).stderr).toContain("mechint spikes needs an action: 'simulate' or 'analyse'");
    expect((await mechint(['spikes', 'analyse', 'regular.npy'], dir)).stderr).toContain('needs --dt');
  });
});
