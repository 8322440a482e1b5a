/**
 * `mechint patch` and `mechint attribute` on the fixtures: closed-form checks (patching the whole
 * residual stream restores the clean run; integrated gradients are complete) and torch references.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from '@mechint/core';
import { expectSvg } from './xml.js';
import { fixture, mechint, readJson, readNpyFile, readNpzFile, temporaryFolder, writeNpzFile } from './helpers.js';

const { dir, remove } = temporaryFolder();
afterAll(remove);
const meta = JSON.parse(readFileSync(fixture('gpt2l.meta.json'), 'utf8')) as { head_scores: Record<string, { induction: number[] }> };

// Clean: [BOS, A, A]; corrupted: [BOS, A′, A]. Position 9 holds A's 4th token, which predicts A's 5th (token 11 / 1).
const clean = [[0, 5, 9, 2, 7, 11, 5, 9, 2, 7, 11], [0, 3, 8, 4, 6, 1, 3, 8, 4, 6, 1]];
const corrupted = [[0, 13, 14, 15, 16, 17, 5, 9, 2, 7, 11], [0, 13, 14, 15, 16, 17, 3, 8, 4, 6, 1]];
const int64 = (rows: number[][]) => Tensor.from(rows.map((r) => r.map(BigInt)));

beforeAll(() => {
  writeNpzFile(join(dir, 'clean.npz'), { tokens: int64(clean) });
  writeNpzFile(join(dir, 'corrupted.npz'), { tokens: int64(corrupted) });
  writeNpzFile(join(dir, 'short.npz'), { tokens: int64(clean.map((r) => r.slice(0, 6))) });
});

describe('mechint patch', () => {
  const base = ['patch', fixture('gpt2l.onnx'), '--clean', 'clean.npz', '--corrupted', 'corrupted.npz'];

  it('restores the clean metric exactly when the whole residual stream is patched', async () => {
    const ran = await mechint([...base, '--metric', 'logit-diff:11,1', '--position', '9', '--granularity', 'layer', '--hooks', 'blocks.0.hook_resid_pre', '--out', 'layer.json'], dir);
    expect(ran.code).toBe(0);
    const result = readJson(join(dir, 'layer.json')) as { shape: number[]; scores: number[]; normalized: number[]; cleanMetric: number };
    expect(result.shape).toEqual([1]);
    expect(result.scores[0]).toBeCloseTo(result.cleanMetric, 4);
    expect(result.normalized[0]).toBeCloseTo(1, 4);
  });

  it('sweeps heads: the layer-1 induction heads carry the repeated token', async () => {
    const ran = await mechint([...base, '--metric', 'logit:11', '--position', '9', '--granularity', 'head', '--out', 'heads.json', '--figure', 'heads.svg', '--npy', 'heads.npy', '--json'], dir);
    expect(ran.code).toBe(0);
    const result = readJson(join(dir, 'heads.json')) as { axes: { name: string; labels: (string | number)[] }[]; normalized: number[] };
    expect(result.axes).toEqual([{ name: 'hook', labels: ['blocks.0.attn.z', 'blocks.1.attn.z'] }, { name: 'head', labels: [0, 1, 2, 3] }]);
    const scores = readNpyFile(join(dir, 'heads.npy'));
    expect(scores.shape).toEqual([2, 4]);
    expect(Array.from(scores.data as Float64Array)).toEqual(result.normalized);
    // The strongest patch is a head torch's induction score (gpt2l.meta.json) marks as an induction head.
    const best = result.normalized.indexOf(Math.max(...result.normalized));
    expect(meta.head_scores[`blocks.${Math.floor(best / 4)}`]!.induction[best % 4]).toBeGreaterThan(0.5);
    expectSvg(readFileSync(join(dir, 'heads.svg'), 'utf8'));
  });

  it('sweeps positions and heads × positions', async () => {
    const ran = await mechint([...base, '--metric', 'prob:11', '--position', '9', '--granularity', 'head-position', '--hooks', 'blocks.1.attn.z', '--out', 'hp.json', '--figure', 'hp.svg'], dir);
    expect(ran.code).toBe(0);
    expect((readJson(join(dir, 'hp.json')) as { shape: number[] }).shape).toEqual([1, 4, 11]);
    expectSvg(readFileSync(join(dir, 'hp.svg'), 'utf8'));
    const pos = await mechint([...base, '--metric', 'logit-diff:11,1', '--position', '9', '--out', 'pos.json'], dir);
    expect((readJson(join(dir, 'pos.json')) as { shape: number[] }).shape).toEqual([2, 11]);
  });

  it('refuses a malformed metric, mismatched runs and unknown hooks before running', async () => {
    const metric = await mechint([...base, '--metric', 'logitdiff:1', '--out', 'x.json'], dir);
    expect(metric.code).toBe(2);
    expect(metric.stderr).toContain('--metric takes logit-diff:CORRECT,INCORRECT (token ids), logit:TOKEN or prob:TOKEN');
    const shapes = await mechint(['patch', fixture('gpt2l.onnx'), '--clean', 'clean.npz', '--corrupted', 'short.npz', '--metric', 'logit:1', '--out', 'x.json'], dir);
    expect(shapes.code).toBe(3);
    expect(shapes.stderr).toMatch(/^mechint: error \[SHAPE_MISMATCH\] Clean and corrupted 'tokens' differ in shape/);
    const hooks = await mechint([...base, '--metric', 'logit:1', '--hooks', 'blocks.1.attn.zz', '--out', 'x.json'], dir);
    expect(hooks.stderr).toMatch(/^mechint: error \[UNKNOWN_HOOK\] No hook point named 'blocks.1.attn.zz'/);
  });
});

describe('mechint attribute', () => {
  const ref = readNpzFile(fixture('cnn.reference.npz'));
  const labels = Array.from(ref['input.labels']!.data as BigInt64Array, Number);
  beforeAll(() => writeNpzFile(join(dir, 'digits.npz'), { images: ref['input.images']! }));

  it('saliency is |∂ true logit / ∂ image| as torch computed it', async () => {
    const ran = await mechint(['attribute', fixture('cnn.onnx'), '--inputs', 'digits.npz', '--target', labels.join(','), '--method', 'saliency', '--out', 'sal'], dir);
    expect(ran.code).toBe(0);
    const ours = readNpyFile(join(dir, 'sal/images.npy'));
    const torch = ref['grad.images']!;
    expect(ours.shape).toEqual(torch.shape);
    const a = ours.data as Float32Array;
    const b = torch.data as Float32Array;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - Math.abs(b[i]!))).toBeLessThan(1e-4);
    expectSvg(readFileSync(join(dir, 'sal/attributions.svg'), 'utf8'));
  });

  it('integrated gradients are complete: attributions sum to f(x) − f(baseline)', async () => {
    const ran = await mechint(['attribute', fixture('cnn.onnx'), '--inputs', 'digits.npz', '--target', '3', '--steps', '64', '--out', 'ig', '--json'], dir);
    expect(ran.code).toBe(0);
    const report = readJson(join(dir, 'ig/results.json')) as { convergenceDelta: number[]; attributions: Record<string, { shape: number[] }> };
    expect(report.attributions['images']!.shape).toEqual([8, 1, 8, 8]);
    for (const d of report.convergenceDelta) expect(Math.abs(d)).toBeLessThan(0.05);
  });

  it('attributes a layer of a token model (layer integrated gradients)', async () => {
    const ran = await mechint(['attribute', fixture('gpt2l.onnx'), '--inputs', 'clean.npz', '--target', '9:11', '--layer', 'embed.output', '--out', 'lig'], dir);
    expect(ran.code).toBe(0);
    const report = readJson(join(dir, 'lig/results.json')) as { convergenceDelta: number[] };
    expect(readNpyFile(join(dir, 'lig/embed.output.npy')).shape).toEqual([2, 11, 64]);
    for (const d of report.convergenceDelta) expect(Math.abs(d)).toBeLessThan(1e-3);
    expectSvg(readFileSync(join(dir, 'lig/attributions.svg'), 'utf8'));
  });

  it('says to attribute a layer for token inputs, and refuses bad targets', async () => {
    const tokens = await mechint(['attribute', fixture('gpt2l.onnx'), '--inputs', 'clean.npz', '--target', '9:11', '--out', 'x'], dir);
    expect(tokens.code).toBe(3);
    expect(tokens.stderr).toContain('for token inputs attribute a layer, e.g. --layer blocks.0.hook_resid_pre.');
    const target = await mechint(['attribute', fixture('cnn.onnx'), '--inputs', 'digits.npz', '--target', '1,2', '--out', 'x'], dir);
    expect(target.code).toBe(2);
    expect(target.stderr).toContain('--target lists 2 indices but the inputs hold 8 item(s)');
  });
});
