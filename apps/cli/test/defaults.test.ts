/**
 * Defaults the command line finds in the model itself, whatever its module paths: patching's
 * hooks by their role in the recognised attention layers, and the layer `attribute` suggests.
 * gpt_hf.onnx is a Hugging Face-layout GPT-2 (`transformer.h.N.attn`), which has no `blocks.*.attn.z`.
 */
import { join } from 'node:path';
import { HookedModel, Tensor } from '@mechint/core';
import { errorLine, fixture, mechint, readJson, temporaryFolder, writeNpzFile } from './helpers.js';

const { dir, remove } = temporaryFolder();
afterAll(remove);
const int64 = (rows: number[][]) => Tensor.from(rows.map((r) => r.map(BigInt)));

beforeAll(() => {
  writeNpzFile(join(dir, 'clean.npz'), { input_ids: int64([[0, 5, 9, 2, 7, 5, 9, 2]]) });
  writeNpzFile(join(dir, 'corrupted.npz'), { input_ids: int64([[0, 13, 14, 15, 7, 5, 9, 2]]) });
});

describe('mechint patch on a Hugging Face-layout export', () => {
  it('sweeps heads on each attention layer’s z, named by the model’s own modules', async () => {
    const ran = await mechint(['patch', fixture('gpt_hf.onnx'), '--clean', 'clean.npz', '--corrupted', 'corrupted.npz', '--metric', 'logit:2', '--granularity', 'head', '--out', 'heads.json'], dir);
    expect(ran.code).toBe(0);
    const { axes } = readJson(join(dir, 'heads.json')) as { axes: { name: string; labels: (string | number)[] }[] };
    expect(axes[0]!.labels).toEqual(['transformer.h.0.attn.z', 'transformer.h.1.attn.z']);
    expect(axes[1]).toEqual({ name: 'head', labels: [0, 1, 2, 3] });
  });

  it('sweeps positions on each block’s residual input by default', async () => {
    const ran = await mechint(['patch', fixture('gpt_hf.onnx'), '--clean', 'clean.npz', '--corrupted', 'corrupted.npz', '--metric', 'logit:2', '--out', 'pos.json'], dir);
    expect(ran.code).toBe(0);
    const { axes, shape } = readJson(join(dir, 'pos.json')) as { axes: { labels: (string | number)[] }[]; shape: number[] };
    expect(axes[0]!.labels).toEqual(['blocks.0.hook_resid_pre', 'blocks.1.hook_resid_pre']);
    expect(shape).toEqual([2, 8]);
  });

  it('says what was recognised when a model has no attention to default to', async () => {
    writeNpzFile(join(dir, 'digits.npz'), { images: Tensor.zeros([1, 1, 8, 8]) });
    const ran = await mechint(['patch', fixture('cnn.onnx'), '--clean', 'digits.npz', '--corrupted', 'digits.npz', '--metric', 'logit:2', '--granularity', 'head', '--out', 'x.json'], dir);
    expect(ran.code).toBe(3);
    expect(errorLine(ran, 'UNKNOWN_HOOK')).toContain("the model's attention layers' per-head outputs (z) were not all recognised (0 attention layer(s) recognised.) Pass --hooks");
  });
});

describe('mechint attribute on token inputs', () => {
  it('suggests a layer the model has, and the suggestion runs', async () => {
    const refused = await mechint(['attribute', fixture('gpt_hf.onnx'), '--inputs', 'clean.npz', '--target', '7:2', '--out', 'x'], dir);
    const layer = /e\.g\. --layer (\S+)\.$/.exec(errorLine(refused, 'INVALID_ARGUMENT'))?.[1];
    const model = await HookedModel.load(fixture('gpt_hf.onnx'));
    expect(model.hookPoint(layer!).dtype).toBe('float32');
    const ran = await mechint(['attribute', fixture('gpt_hf.onnx'), '--inputs', 'clean.npz', '--target', '7:2', '--layer', layer!, '--steps', '8', '--out', 'lig'], dir);
    expect(ran.code).toBe(0);
  });
});
