/**
 * Decode + encode of a ~100 MB ONNX model against Python's onnx (protobuf's C++ parser) on the
 * same file, in the same run: file to file (`loadModel` / `saveModel` vs `onnx.load` /
 * `onnx.save`) and the codec alone on bytes in memory (`decodeModel` / `encodeModel` vs
 * `ParseFromString` / `SerializeToString`).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { decodeModel, encodeModel, loadModel, saveModel } from '@mechint/core';
import { measure, runPython, timingOf, type Comparison } from './harness.js';

const root = new URL('../../', import.meta.url).pathname;
const modelPath = join(root, 'bench/.cache/gpt-100mb.onnx');

interface PythonCodecResult {
  load_ms: number[];
  save_ms: number[];
  total_ms: number[];
  parse_ms: number[];
  serialize_ms: number[];
}

/** Makes the benchmark model with tools/bench-models/big_model.py unless it exists. */
function ensureModel(): void {
  if (existsSync(modelPath)) return;
  console.error(`Writing ${modelPath} with tools/bench-models/big_model.py (needs python3-torch, python3-onnx)…`);
  execFileSync('/usr/bin/python3', [join(root, 'tools/bench-models/big_model.py'), modelPath], { stdio: 'inherit' });
}

/** Runs the codec benchmark and returns its table rows. */
export async function benchmark(runs: number): Promise<Comparison[]> {
  ensureModel();
  const bytes = readFileSync(modelPath);
  const dir = mkdtempSync(join(tmpdir(), 'mechint-bench-'));
  const out = join(dir, 'out.onnx');
  const model = await loadModel(modelPath);
  const oursLoad = await measure(() => loadModel(modelPath), { runs });
  const oursSave = await measure(() => saveModel(out, model), { runs });
  const oursTotal = await measure(async () => saveModel(out, await loadModel(modelPath)), { runs });
  const oursDecode = await measure(() => decodeModel(bytes), { runs });
  const oursEncode = await measure(() => encodeModel(model), { runs });
  rmSync(dir, { recursive: true });
  const python = runPython<PythonCodecResult>(join(root, 'tools/bench-models/onnx_codec.py'), [modelPath, String(runs)]);
  const label = `${(bytes.byteLength / 2 ** 20).toFixed(0)} MB GPT`;
  return [
    { benchmark: `file → model (loadModel), ${label}`, ours: oursLoad, reference: timingOf(python.load_ms), referenceName: 'onnx.load' },
    { benchmark: `model → file (saveModel), ${label}`, ours: oursSave, reference: timingOf(python.save_ms), referenceName: 'onnx.save' },
    { benchmark: `file → model → file, ${label}`, ours: oursTotal, reference: timingOf(python.total_ms), referenceName: 'onnx.load + onnx.save' },
    { benchmark: `bytes → model (decodeModel), ${label}`, ours: oursDecode, reference: timingOf(python.parse_ms), referenceName: 'ModelProto.ParseFromString' },
    { benchmark: `model → bytes (encodeModel), ${label}`, ours: oursEncode, reference: timingOf(python.serialize_ms), referenceName: 'ModelProto.SerializeToString' },
  ];
}
