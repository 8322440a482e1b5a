/**
 * Runs benchmarks and prints one table. Each benchmark is the module `src/<name>.ts`, exporting
 * `benchmark(runs): Promise<Comparison[]>`.
 *
 *   pnpm bench                    # every benchmark listed below
 *   pnpm bench onnx-codec hooks   # some
 *   BENCH_RUNS=9 pnpm bench hooks # more runs (default 7; at least 5)
 */
import { table, type Comparison } from './harness.js';

const ALL = ['onnx-codec', 'hooks', 'real-exports', 'real-exports-grad', 'autodiff', 'silero-grad', 'attribution', 'fractals', 'spiking', 'alignment', 'topology', 'sae', 'patching'];

interface BenchmarkModule {
  benchmark(runs: number): Promise<Comparison[]>;
}

const requested = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const runs = Number(process.env['BENCH_RUNS'] ?? 7);
const rows: Comparison[] = [];
for (const name of requested.length > 0 ? requested : ALL) {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`Benchmark names are lower-case words; got '${name}'.`);
  const module = (await import(`./${name}.js`)) as BenchmarkModule;
  rows.push(...(await module.benchmark(runs)));
}
console.log(table(rows));
