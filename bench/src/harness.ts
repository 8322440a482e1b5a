/**
 * The benchmark harness: timing with warm-up, medians of at least five runs, the comparison table
 * with its ratio, and the machine it ran on.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, totalmem } from 'node:os';

/** Timings of one measured task, in milliseconds. */
export interface Timing {
  runs: number[];
  median: number;
}

/** One row of the table: our timing against the reference on the same input. */
export interface Comparison {
  benchmark: string;
  ours: Timing;
  reference: Timing;
  referenceName: string;
  /** Anything else worth a column: peak memory, sizes, accuracy. */
  note?: string;
}

/** Median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs `task` `warmup` times untimed, then `runs` (≥ 5) times timed. */
export async function measure(task: () => unknown, { runs = 7, warmup = 1 } = {}): Promise<Timing> {
  if (runs < 5) throw new Error('Benchmarks take the median of at least 5 runs.');
  for (let i = 0; i < warmup; i++) await task();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await task();
    times.push(performance.now() - start);
  }
  return { runs: times, median: median(times) };
}

/** Timing of runs measured elsewhere (e.g. by a Python reference script). */
export function timingOf(runs: readonly number[]): Timing {
  return { runs: [...runs], median: median(runs) };
}

/** A one-line description of this machine. */
export function machine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/** The comparison table in Markdown: medians, ratio (ours / reference; < 1 means faster). */
export function table(rows: readonly Comparison[]): string {
  const lines = [
    `Machine: ${machine()}`,
    '',
    '| benchmark | @mechint median (ms) | reference | reference median (ms) | ratio (ours / ref) | runs | notes |',
    '|---|---:|---|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.benchmark} | ${r.ours.median.toFixed(1)} | ${r.referenceName} | ${r.reference.median.toFixed(1)} | ${(r.ours.median / r.reference.median).toFixed(2)} | ${r.ours.runs.length} / ${r.reference.runs.length} | ${r.note ?? ''} |`,
    );
  }
  return lines.join('\n');
}

/** Peak resident memory of this process so far, in MiB (Linux: VmHWM; elsewhere the current RSS). */
export function peakMemoryMiB(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    if (kib !== undefined) return Number(kib) / 1024;
  } catch {
    // not Linux: fall through to the current resident size
  }
  return process.memoryUsage().rss / 2 ** 20;
}

/** Runs a Python reference script with Debian's python3 and parses the JSON line it prints. */
export function runPython<T>(script: string, args: readonly string[]): T {
  const output = execFileSync('/usr/bin/python3', [script, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = output.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as T;
}

/** The repository root. */
const repositoryRoot = new URL('../../', import.meta.url).pathname;

/**
 * Paths of the GPT-2-small-shaped bench model (random weights, 12 layers, d_model 768) as ONNX and
 * as the torch weights the references load, written by tools/bench-models/gpt2_small.py on first use.
 */
export function gpt2Small(): { onnx: string; weights: string } {
  const onnx = join(repositoryRoot, 'bench/.cache/gpt2-small.onnx');
  const weights = join(repositoryRoot, 'bench/.cache/gpt2-small.pt');
  if (!existsSync(onnx) || !existsSync(weights)) {
    console.error('Writing the GPT-2-small-shaped model with tools/bench-models/gpt2_small.py (needs python3-torch, python3-onnx)…');
    execFileSync('/usr/bin/python3', [join(repositoryRoot, 'tools/bench-models/gpt2_small.py'), onnx], { stdio: 'inherit' });
  }
  return { onnx, weights };
}
