/**
 * `mechint sae train | eval | features` on activations cached from the gpt2l fixture; the
 * evaluation is checked against a TopK SAE computed here from the saved SAELens weights.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor, readSafetensors, seededRandom } from '@mechint/core';
import { expectSvg } from './xml.js';
import { fixture, mechint, readJson, readNpyFile, readNpzFile, temporaryFolder, writeNpzFile } from './helpers.js';

const { dir, remove } = temporaryFolder();
afterAll(remove);
const HOOK = 'blocks.1.hook_resid_pre';

/** SAELens's TopK SAE: z = TopK(ReLU((x − b_dec) W_enc + b_enc)), x̂ = z W_dec + b_dec; returns MSE and L0. */
function topkReference(x: Float32Array, rows: number, w: Record<string, Tensor>, k: number): { mse: number; l0: number } {
  const [dIn, dSae] = w['W_enc']!.shape as [number, number];
  const We = w['W_enc']!.data as Float32Array;
  const be = w['b_enc']!.data as Float32Array;
  const Wd = w['W_dec']!.data as Float32Array;
  const bd = w['b_dec']!.data as Float32Array;
  let se = 0;
  let active = 0;
  for (let r = 0; r < rows; r++) {
    const pre = new Float64Array(dSae);
    for (let j = 0; j < dSae; j++) {
      let s = be[j]!;
      for (let i = 0; i < dIn; i++) s += (x[r * dIn + i]! - bd[i]!) * We[i * dSae + j]!;
      pre[j] = Math.max(0, s);
    }
    const kept = Array.from(pre.keys()).sort((a, b) => pre[b]! - pre[a]!).slice(0, k).filter((j) => pre[j]! > 0);
    active += kept.length;
    for (let i = 0; i < dIn; i++) {
      let y = bd[i]!;
      for (const j of kept) y += pre[j]! * Wd[j * dIn + i]!;
      se += (x[r * dIn + i]! - y) ** 2;
    }
  }
  return { mse: se / (rows * dIn), l0: active / rows };
}

beforeAll(async () => {
  const random = seededRandom(3);
  const tokens = Tensor.from(Array.from({ length: 32 }, () => [0n, ...Array.from({ length: 20 }, () => BigInt(1 + Math.floor(random() * 23)))]));
  writeNpzFile(join(dir, 'prompts.npz'), { tokens });
  const ran = await mechint(['cache', fixture('gpt2l.onnx'), '--inputs', 'prompts.npz', '--hooks', HOOK, '--out', 'acts.npz'], dir);
  expect(ran.code).toBe(0);
});

describe('mechint sae', () => {
  it('trains a TopK SAE and writes an SAELens folder, a training curve and results', async () => {
    const ran = await mechint(['sae', 'train', `acts.npz:${HOOK}`, '--d-sae', '128', '--k', '8', '--steps', '150', '--lr', '2e-3', '--batch-size', '256', '--hook', HOOK, '--out', 'sae'], dir);
    expect(ran.code).toBe(0);
    const cfg = JSON.parse(readFileSync(join(dir, 'sae/cfg.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg).toMatchObject({ architecture: 'topk', d_in: 64, d_sae: 128, k: 8, hook_name: HOOK, apply_b_dec_to_input: true });
    const { tensors } = readSafetensors(readFileSync(join(dir, 'sae/sae_weights.safetensors')));
    expect(Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, t.shape]))).toEqual({ W_enc: [64, 128], b_enc: [128], W_dec: [128, 64], b_dec: [64] });
    const result = readJson(join(dir, 'sae/results.json')) as { curve: { step: number; mse: number }[]; training: { steps: number; rows: number } };
    expect(result.training.steps).toBe(150);
    expect(result.curve).toHaveLength(150);
    expect(result.curve.at(-1)!.mse).toBeLessThan(result.curve[0]!.mse);
    expectSvg(readFileSync(join(dir, 'sae/training.svg'), 'utf8'));
  });

  it('evaluates a saved SAE: MSE and L0 as a TopK SAE computed from its weights', async () => {
    const ran = await mechint(['sae', 'eval', 'sae', `acts.npz:${HOOK}`, '--out', 'eval'], dir);
    expect(ran.code).toBe(0);
    const { evaluation } = readJson(join(dir, 'eval/results.json')) as { evaluation: { mse: number; l0: number; rows: number; deadFeatures: number } };
    const acts = readNpzFile(join(dir, 'acts.npz'))[HOOK]!;
    const rows = acts.size / 64;
    const { tensors } = readSafetensors(readFileSync(join(dir, 'sae/sae_weights.safetensors')));
    const reference = topkReference(acts.data as Float32Array, rows, tensors, 8);
    expect(evaluation.rows).toBe(rows);
    expect(Math.abs(evaluation.mse - reference.mse) / reference.mse).toBeLessThan(1e-3);
    expect(evaluation.l0).toBeCloseTo(reference.l0, 6);
    const frequency = readNpyFile(join(dir, 'eval/frequency.npy'));
    expect(frequency.shape).toEqual([128]);
    expect(Array.from(frequency.data as Float64Array).filter((f) => f === 0)).toHaveLength(evaluation.deadFeatures);
    expectSvg(readFileSync(join(dir, 'eval/frequency.svg'), 'utf8'));
  });

  it('lists the most frequent latents with their strongest rows', async () => {
    const ran = await mechint(['sae', 'features', 'sae', `acts.npz:${HOOK}`, '--top', '4', '--examples', '3', '--out', 'features'], dir);
    expect(ran.code).toBe(0);
    const { features } = readJson(join(dir, 'features/results.json')) as { features: { feature: number; frequency: number; top: { row: number; activation: number; label: string }[] }[] };
    expect(features).toHaveLength(4);
    const frequencies = features.map((f) => f.frequency);
    expect(frequencies).toEqual([...frequencies].sort((a, b) => b - a));
    const acts = readNpyFile(join(dir, 'features/feature-acts.npy'));
    expect(acts.shape).toEqual([32 * 21, 4]);
    features.forEach((f, j) => {
      expect(f.top).toHaveLength(3);
      const column = Array.from({ length: 32 * 21 }, (_, r) => (acts.data as Float32Array)[r * 4 + j]!);
      expect(f.top[0]!.activation).toBeCloseTo(Math.max(...column), 6);
      expect(f.top[0]!.label).toBe(`[${Math.floor(f.top[0]!.row / 21)}, ${f.top[0]!.row % 21}]`);
    });
    expectSvg(readFileSync(join(dir, 'features/features.svg'), 'utf8'));
  });

  it('refuses a missing SAE folder, a missing action and activations of the wrong width', async () => {
    const folder = await mechint(['sae', 'eval', 'nowhere', `acts.npz:${HOOK}`], dir);
    expect(folder.code).toBe(3);
    expect(folder.stderr).toContain("SAE folder 'nowhere' does not exist");
    expect((await mechint(['sae'], dir)).stderr).toContain('mechint sae needs an action: train, eval or features');
    writeNpzFile(join(dir, 'narrow.npz'), { x: Tensor.zeros([10, 8]) });
    const width = await mechint(['sae', 'eval', 'sae', 'narrow.npz'], dir);
    expect(width.code).toBe(3);
    expect(width.stderr).toMatch(/^mechint: error \[SHAPE_MISMATCH\]/);
  });
});
