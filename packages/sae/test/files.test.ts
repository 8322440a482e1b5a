import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MechintError, Tensor, readNpz, writeSafetensors } from '@mechint/core';
import { SparseAutoencoder, clampFeatureHook, loadSae, saeFromFiles, saeToFiles, saveSae, spliceHook, type Architecture } from '../src/index.js';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mechint-sae-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(expected[i]!)));
}

describe('SAELens files written by a Python script (tools/sae/make_saelens_fixture.py)', () => {
  it.each<[string, Architecture, number, number]>([
    ['saelens_topk', 'topk', 16, 32],
    ['saelens_jumprelu', 'jumprelu', 8, 24],
    ['saelens_standard', 'standard', 8, 16],
  ])('%s loads and encodes / decodes as numpy does', async (name, architecture, dIn, dSae) => {
    const sae = await loadSae(join(fixtures, name));
    expect(sae.cfg).toMatchObject({ architecture, dIn, dSae, hookName: 'blocks.0.hook_resid_post', applyBDecToInput: true });
    if (architecture === 'topk') expect(sae.cfg.k).toBe(4);
    expect(sae.W_enc.shape).toEqual([dIn, dSae]);
    expect(sae.W_dec.shape).toEqual([dSae, dIn]);
    const expected = readNpz(readFileSync(join(fixtures, `${name}.expected.npz`)));
    const { acts, reconstruction } = await sae.forward(expected['x']!);
    expectClose(acts.data, expected['acts']!.data as Float64Array, 1e-5);
    expectClose(reconstruction.data, expected['reconstruction']!.data as Float64Array, 1e-5);
    expectClose(sae.logSparsity!.data, expected['sparsity']!.data as Float32Array, 0);
  });
});

describe('SAELens run-time normalisation (numpy reference of SAELens _setup_activation_normalization)', () => {
  it.each<[string, 'constant_norm_rescale' | 'layer_norm', Architecture]>([
    ['saelens_constant_norm_rescale', 'constant_norm_rescale', 'standard'],
    ['saelens_layer_norm', 'layer_norm', 'topk'],
  ])('%s: encode, forward and decode give numpy\'s codes and reconstructions', async (name, mode, architecture) => {
    const sae = await loadSae(join(fixtures, name));
    expect(sae.cfg).toMatchObject({ architecture, normalizeActivations: mode });
    const expected = readNpz(readFileSync(join(fixtures, `${name}.expected.npz`)));
    const x = expected['x']!;
    const { acts, reconstruction } = await sae.forward(x);
    expectClose(acts.data, expected['acts']!.data as Float64Array, 1e-5);
    expectClose(reconstruction.data, expected['reconstruction']!.data as Float64Array, 1e-5);
    expectClose((await sae.encode(x)).data, expected['acts']!.data as Float64Array, 1e-5);
    expectClose((await sae.decode(acts, { input: x })).data, expected['reconstruction']!.data as Float64Array, 1e-5);
    const edited = Tensor.from(Float32Array.from(expected['acts_edit']!.data as Float64Array), [...expected['acts_edit']!.shape]);
    expectClose((await sae.decode(edited, { input: x })).data, expected['decoded_edit']!.data as Float64Array, 1e-5);
    // the same weights read without normalisation give other codes: the check can fail
    const plain = new SparseAutoencoder({ ...sae.cfg, normalizeActivations: 'none' }, sae.parameters());
    const plainActs = await plain.encode(x);
    expect(Math.max(...Array.from(plainActs.data, (v, i) => Math.abs(v - acts.data[i]!)))).toBeGreaterThan(1e-2);
  });

  it('the splice hook gives the de-normalised reconstruction, and edits decode in the activation\'s units', async () => {
    const name = 'saelens_constant_norm_rescale';
    const sae = await loadSae(join(fixtures, name));
    const expected = readNpz(readFileSync(join(fixtures, `${name}.expected.npz`)));
    const x = expected['x']!.reshape([1, 5, 8]);
    const spliced = (await spliceHook(sae)(x, { name: sae.cfg.hookName } as never)) as Tensor<'float32'>;
    expectClose(spliced.data, expected['reconstruction']!.data as Float64Array, 1e-5);
    const clamped = (await clampFeatureHook(sae, 0, 2.5)(x, { name: sae.cfg.hookName } as never)) as Tensor<'float32'>;
    // clamping keeps the error term: decode(edited) + (x − reconstruction)
    const want = Array.from(expected['decoded_edit']!.data as Float64Array, (v, i) => v + (expected['x']!.data[i] as number) - (expected['reconstruction']!.data[i] as number));
    expectClose(clamped.data, want, 1e-5);
  });

  it('round trip keeps normalize_activations; an unknown value → INVALID_FILE listing the accepted ones', async () => {
    const sae = await loadSae(join(fixtures, 'saelens_layer_norm'));
    const files = saeToFiles(sae);
    expect(JSON.parse(files['cfg.json'])).toMatchObject({ normalize_activations: 'layer_norm' });
    expect(saeFromFiles(files).cfg.normalizeActivations).toBe('layer_norm');
    const bad = { ...files, 'cfg.json': JSON.stringify({ ...JSON.parse(files['cfg.json']), normalize_activations: 'rms_norm' }) };
    expect(() => saeFromFiles(bad)).toThrow(expect.objectContaining({ code: 'INVALID_FILE', message: expect.stringMatching(/'rms_norm'.*none, expected_average_only_in, constant_norm_rescale, layer_norm/) }));
    const missing = { ...files, 'cfg.json': JSON.stringify({ ...JSON.parse(files['cfg.json']), normalize_activations: undefined }) };
    expect(saeFromFiles(missing).cfg.normalizeActivations).toBe('none');
  });

  it('decode without the input of a normalising SAE → INVALID_ARGUMENT; an unknown option → INVALID_ARGUMENT', async () => {
    const sae = await loadSae(join(fixtures, 'saelens_layer_norm'));
    await expect(sae.decode(Tensor.zeros([2, 24]))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/decode\(acts, \{ input: x \}\)/) });
    await expect(sae.decode(Tensor.zeros([2, 24]), { input: Tensor.zeros([3, 12]) })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    expect(() => new SparseAutoencoder({ dIn: 4, dSae: 8, normalizeActivations: 'rms' as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/none, expected_average_only_in, constant_norm_rescale, layer_norm/) }),
    );
    expect(() => new SparseAutoencoder({ dIn: 1, dSae: 8, normalizeActivations: 'layer_norm' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => sae.setNormalizeActivations('bogus' as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('SAELens layout round trip', () => {
  it.each<Architecture>(['standard', 'topk', 'jumprelu'])('%s: save → load gives the same tensors and config', async (architecture) => {
    const sae = new SparseAutoencoder({ dIn: 6, dSae: 10, architecture, k: 3, hookName: 'blocks.1.hook_resid_pre', seed: 4 });
    sae.logSparsity = Tensor.from(Float32Array.from({ length: 10 }, (_, i) => -i), [10]) as Tensor<'float32'>;
    const folder = join(dir, architecture);
    await saveSae(sae, folder);
    const cfg = JSON.parse(readFileSync(join(folder, 'cfg.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg).toMatchObject({ architecture, d_in: 6, d_sae: 10, hook_name: 'blocks.1.hook_resid_pre', hook_layer: 1, dtype: 'float32', apply_b_dec_to_input: true, normalize_activations: 'none' });
    const back = await loadSae(folder);
    expect(back.cfg).toMatchObject({ architecture, dIn: 6, dSae: 10, hookName: 'blocks.1.hook_resid_pre' });
    for (const key of ['W_enc', 'b_enc', 'W_dec', 'b_dec'] as const) expect(Array.from(back[key].data)).toEqual(Array.from(sae[key].data));
    if (architecture === 'jumprelu') expect(Array.from(back.threshold!.data)).toEqual(Array.from(sae.threshold!.data));
    expect(Array.from(back.logSparsity!.data)).toEqual(Array.from(sae.logSparsity.data));
  });

  it('BatchTopK is written as jumprelu with its threshold, as SAELens saves it for inference', () => {
    const sae = new SparseAutoencoder({ dIn: 3, dSae: 5, architecture: 'batchtopk', k: 2 });
    const back = saeFromFiles(saeToFiles(sae));
    expect(back.cfg.architecture).toBe('jumprelu');
    expect(back.threshold!.shape).toEqual([5]);
  });
});

describe('bad files', () => {
  const base = join(fixtures, 'saelens_topk');
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      return MechintError.isInstance(e) ? e.code : 'not a MechintError';
    }
    return undefined;
  };
  const files = () => ({ 'cfg.json': readFileSync(join(base, 'cfg.json'), 'utf8'), 'sae_weights.safetensors': new Uint8Array(readFileSync(join(base, 'sae_weights.safetensors'))) });

  it('a missing tensor → INVALID_FILE naming it', () => {
    const f = files();
    const weights = writeSafetensors({ W_enc: Tensor.zeros([16, 32]), b_enc: Tensor.zeros([32]), W_dec: Tensor.zeros([32, 16]) });
    expect(code(() => saeFromFiles({ ...f, 'sae_weights.safetensors': weights }))).toBe('INVALID_FILE');
    expect(() => saeFromFiles({ ...f, 'sae_weights.safetensors': weights })).toThrow(/no tensor 'b_dec'/);
  });

  it('a tensor of the wrong shape → INVALID_FILE naming the shapes', () => {
    const weights = writeSafetensors({ W_enc: Tensor.zeros([32, 16]), b_enc: Tensor.zeros([32]), W_dec: Tensor.zeros([32, 16]), b_dec: Tensor.zeros([16]) });
    expect(() => saeFromFiles({ ...files(), 'sae_weights.safetensors': weights })).toThrow(/'W_enc' has shape \[32, 16\].*needs \[16, 32\]/);
  });

  it('a malformed cfg.json, a missing file → INVALID_FILE', async () => {
    expect(code(() => saeFromFiles({ ...files(), 'cfg.json': '{ not json' }))).toBe('INVALID_FILE');
    expect(code(() => saeFromFiles({ ...files(), 'cfg.json': '{"architecture": "gated", "d_in": 16, "d_sae": 32}' }))).toBe('INVALID_FILE');
    const empty = join(dir, 'empty');
    cpSync(base, empty, { recursive: true });
    writeFileSync(join(empty, 'cfg.json'), '{"architecture": "topk", "d_in": 16, "d_sae": 32}');
    await expect(loadSae(empty)).rejects.toMatchObject({ code: 'INVALID_FILE' });
    await expect(loadSae(join(dir, 'nowhere'))).rejects.toMatchObject({ code: 'INVALID_FILE' });
  });
});
