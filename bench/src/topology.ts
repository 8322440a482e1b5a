/**
 * Vietoris-Rips persistence: H0 + H1 of 1 000 and 2 000 points and H2 of 300 points, uniform in
 * the unit cube of R³, against GUDHI (Debian python3-gudhi) on the same points and thresholds,
 * in one run; plus clouds shaped like Ripser's published benchmarks, against the published
 * Ripser timings (measured by Bauer on his machine: a different machine, so the ratio is only a
 * rough standing).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor, writeNpy } from '@mechint/core';
import { ripsPersistence } from '@mechint/topology';
import { measure, peakMemoryMiB, runPython, timingOf, type Comparison } from './harness.js';

const root = new URL('../../', import.meta.url).pathname;
const cache = join(root, 'bench/.cache');

interface GudhiResult {
  runs_ms: number[];
  pairs: number[];
  peak_mib: number;
  gudhi: string;
}

function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

function cube(n: number, seed: number): Float64Array {
  const rand = random(seed);
  return Float64Array.from({ length: n * 3 }, rand);
}

/** Uniform points on the unit sphere S^(dim−1) of R^dim (normalised Gaussians, Box-Muller). */
function sphere(n: number, dim: number, seed: number): Float64Array {
  const rand = random(seed);
  const out = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const g = Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
      out[i * dim + j] = g;
      norm += g * g;
    }
    for (let j = 0; j < dim; j++) out[i * dim + j]! /= Math.sqrt(norm);
  }
  return out;
}

/** Peak RSS of this process before the first topology run (Node, tsx, onnxruntime loaded). */
let baseline = 0;

async function againstGudhi(label: string, data: Float64Array, n: number, threshold: number, maxDim: number, runs: number): Promise<Comparison> {
  const points = new Tensor('float64', data, [n, 3]);
  const file = join(cache, `topology-${n}-${maxDim}.npy`);
  writeFileSync(file, writeNpy(points));
  let pairs: number[] = [];
  const ours = await measure(async () => {
    const { diagrams } = await ripsPersistence(points, { maxDim, threshold });
    pairs = diagrams.map((d) => d.length);
  }, { runs });
  const peak = peakMemoryMiB();
  const gudhi = runPython<GudhiResult>(join(root, 'tools/topology/bench_reference.py'), [file, String(threshold), String(maxDim), String(runs)]);
  const same = pairs.join(',') === gudhi.pairs.join(',') ? 'same pair counts' : `pair counts differ: ours ${pairs.join('/')}, GUDHI ${gudhi.pairs.join('/')}`;
  return {
    benchmark: `${label}, threshold ${threshold}`,
    ours,
    reference: timingOf(gudhi.runs_ms),
    referenceName: `GUDHI ${gudhi.gudhi} RipsComplex`,
    note: `peak RSS ours ${peak.toFixed(0)} MiB (whole process so far; ${baseline.toFixed(0)} MiB before any run), GUDHI ${gudhi.peak_mib.toFixed(0)} MiB; ${same} (${pairs.join('/')})`,
  };
}

async function againstPublished(label: string, points: Tensor<'float64'>, maxDim: number, threshold: number, publishedMs: number, publishedMiB: number, runs: number): Promise<Comparison> {
  const ours = await measure(() => ripsPersistence(points, { maxDim, threshold }), { runs });
  return {
    benchmark: label,
    ours,
    reference: timingOf([publishedMs]),
    referenceName: 'Ripser 1.x, published (Bauer 2021 benchmarks, other machine)',
    note: `peak RSS ours ${peakMemoryMiB().toFixed(0)} MiB (whole process so far; ${baseline.toFixed(0)} MiB before any run), Ripser ${publishedMiB} MiB`,
  };
}

/** Runs the topology benchmark and returns its table rows. */
export async function benchmark(runs: number): Promise<Comparison[]> {
  mkdirSync(cache, { recursive: true });
  await ripsPersistence([[0], [1]]);
  baseline = peakMemoryMiB();
  const rows: Comparison[] = [];
  rows.push(await againstGudhi('H0 + H1, 1 000 points in R³', cube(1000, 1), 1000, 0.25, 1, runs));
  rows.push(await againstGudhi('H0 + H1, 2 000 points in R³', cube(2000, 2), 2000, 0.25, 1, runs));
  rows.push(await againstGudhi('H0 … H2, 300 points in R³', cube(300, 3), 300, 0.4, 2, runs));
  // Ripser's benchmarks/output: sphere_3_192 (192 random points on S³, H2, no threshold): 1.15 s, 181 MiB.
  rows.push(await againstPublished('H0 … H2, 192 random points on S³ ⊂ R⁴, no threshold (like sphere_3_192)', new Tensor('float64', sphere(192, 4, 4), [192, 4]), 2, Infinity, 1150, 181, runs));
  return rows;
}
