/**
 * @mechint/fractals on a batch of 64 signals × 10 000 samples (fGn with H from 0.2 to 0.8):
 * Higuchi (kMax 10), DFA (nolds's default scales, half-overlapping windows, order 1) and MFDFA
 * (q = −5…5, 20 scales from 10 to N/4, order 1), against vectorised numpy implementations of the
 * same definitions (tools/fractals/bench_reference.py), on the same input, in one run. The batch
 * classes are timed on both engines: host loops (what `engine: 'auto'` picks on the CPU) and ONNX
 * graphs on onnxruntime's CPU provider (2 threads, timed after the host runs so that its spinning
 * worker threads do not steal the host loops' cores).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend, Tensor, writeNpy } from '@mechint/core';
import { DFA, HiguchiFractalDimension, fgn, mfdfa } from '@mechint/fractals';
import { measure, peakMemoryMiB, runPython, timingOf, type Comparison } from './harness.js';

const root = new URL('../../', import.meta.url).pathname;
const BATCH = 64;
const N = 10_000;

interface NumpyFractalsResult {
  higuchi_ms: number[];
  dfa_ms: number[];
  mfdfa_ms: number[];
  higuchi_mean: number;
  dfa_mean: number;
  mfdfa_h2_mean: number;
}

/** Runs the fractals benchmark and returns its table rows. */
export async function benchmark(runs: number): Promise<Comparison[]> {
  const data = new Float64Array(BATCH * N);
  for (let b = 0; b < BATCH; b++) data.set(fgn(N, 0.2 + (0.6 * b) / (BATCH - 1), { seed: b }), b * N);
  const x = new Tensor('float64', data, [BATCH, N]);
  const higuchi = new HiguchiFractalDimension({ kMax: 10, engine: 'host' });
  const detrended = new DFA({ engine: 'host' });
  const rows = Array.from({ length: BATCH }, (_, b) => data.subarray(b * N, (b + 1) * N));
  const multifractal = () => rows.map((r) => mfdfa(r).hq[7]!);

  const oursHiguchi = await measure(() => higuchi.compute(x), { runs });
  const oursDfa = await measure(() => detrended.compute(x), { runs });
  const oursMfdfa = await measure(multifractal, { runs });
  const backend = await Backend.create({ ep: 'cpu', intraOpNumThreads: 2 });
  const higuchiGraph = new HiguchiFractalDimension({ kMax: 10, engine: 'graph', backend });
  const dfaGraph = new DFA({ engine: 'graph', backend });
  const graphHiguchi = await measure(() => higuchiGraph.compute(x), { runs });
  const graphDfa = await measure(() => dfaGraph.compute(x), { runs });
  await backend.dispose();
  const memory = peakMemoryMiB();

  const dir = mkdtempSync(join(tmpdir(), 'fractals-bench-'));
  const file = join(dir, 'batch.npy');
  writeFileSync(file, writeNpy(x));
  const numpy = runPython<NumpyFractalsResult>(join(root, 'tools/fractals/bench_reference.py'), [file, String(runs)]);
  rmSync(dir, { recursive: true, force: true });

  const mean = (v: Float64Array | number[]) => Array.from(v).reduce((a, b) => a + b, 0) / v.length;
  const agree = (ours: number, ref: number) => `mean ${ours.toFixed(6)} vs ${ref.toFixed(6)}`;
  const label = `${BATCH} × ${N} fGn`;
  return [
    { benchmark: `Higuchi FD (kMax 10), ${label}`, ours: oursHiguchi, reference: timingOf(numpy.higuchi_ms), referenceName: 'numpy (vectorised)', note: agree(mean(await higuchi.compute(x)), numpy.higuchi_mean) },
    { benchmark: `DFA α (nolds scales, overlap, order 1), ${label}`, ours: oursDfa, reference: timingOf(numpy.dfa_ms), referenceName: 'numpy (vectorised)', note: agree(mean((await detrended.compute(x)).alpha), numpy.dfa_mean) },
    { benchmark: `Higuchi FD, graph engine (onnxruntime CPU), ${label}`, ours: graphHiguchi, reference: timingOf(numpy.higuchi_ms), referenceName: 'numpy (vectorised)' },
    { benchmark: `DFA α, graph engine (onnxruntime CPU), ${label}`, ours: graphDfa, reference: timingOf(numpy.dfa_ms), referenceName: 'numpy (vectorised)' },
    { benchmark: `MFDFA h(q), q −5…5, 20 scales, ${label}`, ours: oursMfdfa, reference: timingOf(numpy.mfdfa_ms), referenceName: 'numpy (vectorised)', note: `${agree(mean(multifractal()), numpy.mfdfa_h2_mean)} (h(2)); peak RSS ${memory.toFixed(0)} MiB` },
  ];
}
