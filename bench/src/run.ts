/**
 * Runs every benchmark (or those named on the command line) and prints one table.
 *
 *   pnpm bench                # all
 *   pnpm bench onnx-codec     # one
 */
import { table, type Comparison } from './harness.js';
import { hooksBenchmark } from './hooks.js';
import { onnxCodecBenchmark } from './onnx-codec.js';

const BENCHMARKS: Record<string, (runs: number) => Promise<Comparison[]>> = {
  'onnx-codec': onnxCodecBenchmark,
  hooks: hooksBenchmark,
};

const requested = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const runs = Number(process.env['BENCH_RUNS'] ?? 7);
const rows: Comparison[] = [];
for (const name of requested.length > 0 ? requested : Object.keys(BENCHMARKS)) {
  const benchmark = BENCHMARKS[name];
  if (benchmark === undefined) throw new Error(`Unknown benchmark '${name}'; known: ${Object.keys(BENCHMARKS).join(', ')}.`);
  rows.push(...(await benchmark(runs)));
}
console.log(table(rows));
