/**
 * HookedModel on Hugging Face GPT-2 small (random weights) as users export it: torch's TorchScript
 * exporter, its dynamo exporter, and onnxruntime's transformer optimizer (fused attention).
 *
 * - load: `HookedModel.load` (decode, hook table, attention and residual recognition, probe),
 *   against the floor of any loader: decoding the file and creating one onnxruntime session.
 * - caching: `runWithCache` of the default hooks (every module output and alias) on each
 *   exporter's graph, against torch with a forward hook keeping every module's output, on the same
 *   weights; and against our own plain run of that graph.
 *
 * The models are written on first use by tools/bench-models/gpt2_small_hf.py, and the torch side
 * runs tools/bench-models/real_exports_baseline.py; both need torch 2.x: the repository's `.venv`
 * made by `tools/python-venv` (or the interpreter named by `MECHINT_PYTHON`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Backend, HookedModel, Tensor, loadModel } from '@mechint/core';
import { measure, timingOf, type Comparison } from './harness.js';

const root = new URL('../../', import.meta.url).pathname;
const BATCH = 1;
const SEQ = 128;
const THREADS = 2;
const EXPORTS = ['torchscript', 'dynamo', 'fused'] as const;

interface TorchResult {
  plain_ms: number[];
  cache_modules_ms: number[];
  modules: number;
  torch: string;
}

/** The venv Python with torch 2.x (the bench references must not use Debian's torch 1.13). */
export function python(): string {
  const fromEnv = process.env['MECHINT_PYTHON'];
  if (fromEnv !== undefined) return fromEnv;
  const venv = join(root, '.venv/bin/python');
  if (!existsSync(venv)) throw new Error('The real-exports benchmark needs torch 2.x: run tools/python-venv first (or set MECHINT_PYTHON).');
  return venv;
}

/** The folder holding Hugging Face GPT-2 small as `{torchscript,dynamo,fused}.onnx` and `weights.pt`. */
export function gpt2SmallExports(): string {
  const dir = join(root, 'bench/.cache/gpt2-small-hf');
  if (!EXPORTS.every((e) => existsSync(join(dir, `${e}.onnx`)))) {
    console.error('Writing Hugging Face GPT-2 small three ways with tools/bench-models/gpt2_small_hf.py…');
    execFileSync(python(), [join(root, 'tools/bench-models/gpt2_small_hf.py'), dir], { stdio: 'inherit' });
  }
  return dir;
}

/** Runs the real-exports benchmark and returns its table rows. */
export async function benchmark(runs: number): Promise<Comparison[]> {
  const dir = gpt2SmallExports();
  let seed = 1;
  const ids = Array.from({ length: BATCH * SEQ }, () => BigInt((seed = (seed * 48271) % 2147483647) % 50257));
  const input_ids = Tensor.from(ids, [BATCH, SEQ], 'int64');
  const label = `HF GPT-2 small, batch ${BATCH} × ${SEQ}, ${THREADS} threads`;
  const rows: Comparison[] = [];

  const dynamoPath = join(dir, 'dynamo.onnx');
  const floor = await measure(async () => {
    const floorBackend = await Backend.create({ ep: 'cpu', intraOpNumThreads: THREADS });
    await floorBackend.session(await loadModel(dynamoPath));
    await floorBackend.dispose();
  }, { runs, warmup: 0 });
  const load = await measure(async () => {
    const loadBackend = await Backend.create({ ep: 'cpu', intraOpNumThreads: THREADS });
    const model = await HookedModel.load(dynamoPath, { backend: loadBackend });
    await model.dispose();
  }, { runs, warmup: 0 });
  rows.push({ benchmark: `load + hook table + probe, dynamo export, ${label.split(',')[0]}`, ours: load, reference: floor, referenceName: 'decode + one onnxruntime session' });

  const torch = JSON.parse(
    execFileSync(python(), [join(root, 'tools/bench-models/real_exports_baseline.py'), join(dir, 'weights.pt'), String(BATCH), String(SEQ), String(runs), String(THREADS)], { encoding: 'utf8', maxBuffer: 1 << 26 })
      .trim()
      .split('\n')
      .pop()!,
  ) as TorchResult;
  for (const name of EXPORTS) {
    const model = await HookedModel.load(join(dir, `${name}.onnx`), { backend: await Backend.create({ ep: 'cpu', intraOpNumThreads: THREADS }) });
    const hooks = model.hookPoints.filter((h) => h.kind !== 'value' && h.data).length;
    const plain = await measure(() => model.run({ input_ids }), { runs });
    const cached = await measure(() => model.runWithCache({ input_ids }), { runs });
    rows.push(
      { benchmark: `${name}: runWithCache, default hooks (${hooks} names), ${label}`, ours: cached, reference: timingOf(torch.cache_modules_ms), referenceName: `torch ${torch.torch} forward hooks on ${torch.modules} modules` },
      { benchmark: `${name}: runWithCache / plain run`, ours: cached, reference: plain, referenceName: '@mechint plain run' },
      { benchmark: `${name}: plain run`, ours: plain, reference: timingOf(torch.plain_ms), referenceName: `torch ${torch.torch} forward` },
    );
    await model.dispose();
  }
  return rows;
}
