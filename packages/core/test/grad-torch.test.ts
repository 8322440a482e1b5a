import { Backend, GraphBuilder, HookedModel, Tensor, decodeModel, denseFromRows, gradients, type ModelIR } from '../src/index.node.js';
import { closeness } from './helpers/compare.js';
import { activationNames, fixturePath, modelBytes, reference } from './helpers/fixtures.js';

/**
 * Gradients of the committed fixture models against torch autograd (tools/fixtures/*.py), with a
 * tolerance of 1e-4 relative in float32.
 */
let backend: Backend;
beforeAll(async () => {
  backend = await Backend.create({ ep: 'cpu' });
});

async function run(model: ModelIR, feeds: Record<string, Tensor>) {
  return (await backend.session(model)).run(feeds);
}

const close = (actual: Tensor, expected: Tensor) => expect(closeness(actual, expected, 1e-4, 1e-5)).toBeLessThanOrEqual(1);

describe('the 2-layer transformer', () => {
  const ref = reference('gpt2l');
  const names = activationNames('gpt2l');
  const params = ['embed.weight', 'pos_embed.weight', 'blocks.0.ln1.weight', 'blocks.0.attn.W_Q.weight', 'blocks.0.attn.W_K.bias', 'blocks.1.attn.W_V.weight', 'blocks.1.mlp.W_out.bias', 'blocks.1.mlp.W_in.weight', 'ln_final.bias', 'unembed.weight'];

  it('matches torch for parameters and residual-stream values, seeded with torch’s d loss / d logits', async () => {
    const resid = ['act.blocks.0.hook_resid_pre', 'act.blocks.1.hook_resid_pre'];
    const wrt = [...params, ...resid.map((k) => names[k]!)];
    const { model, grads, seedInput } = gradients(decodeModel(modelBytes('gpt2l')), { of: 'logits', wrt, seed: 'input' });
    const out = await run(model, { tokens: ref['input.tokens']!, [seedInput!]: ref['grad.logits']! });
    for (const p of params) close(out[grads[p]!]!, ref[`grad.param.${p}`]!);
    for (const k of resid) close(out[grads[names[k]!]!]!, ref[`grad.${k}`]!);
  });

  it('returns the embedding table’s gradient as the rows read (rowSparse), which densify to torch’s', async () => {
    const { model, grads, rows, seedInput } = gradients(decodeModel(modelBytes('gpt2l')), { of: 'logits', wrt: params, seed: 'input', rowSparse: true });
    expect(Object.keys(rows)).toContain('embed.weight');
    expect(grads['embed.weight']).toBeUndefined();
    const tokens = ref['input.tokens']!;
    const out = await run(model, { tokens, [seedInput!]: ref['grad.logits']! });
    const embed = rows['embed.weight']!;
    expect(Array.from(out[embed.indices]!.data as BigInt64Array)).toEqual(Array.from(tokens.data as BigInt64Array));
    for (const [p, r] of Object.entries(rows)) close(denseFromRows(out[r.indices]!, out[r.values]!, r.shape), ref[`grad.param.${p}`]!);
    for (const p of params.filter((name) => !(name in rows))) close(out[grads[p]!]!, ref[`grad.param.${p}`]!);
  });
});

describe('the CNN', () => {
  const ref = reference('cnn');
  const images = ref['input.images']!;
  const labels = Array.from(ref['input.labels']!.data as BigInt64Array, Number);
  const oneHot = Tensor.zeros([labels.length, 10]);
  labels.forEach((l, b) => oneHot.set(1, b, l));

  it('gives torch’s saliency (d Σ true-class logits / d images)', async () => {
    const { model, grads, seedInput } = gradients(decodeModel(modelBytes('cnn')), { of: 'logits', wrt: ['images'], seed: 'input' });
    const out = await run(model, { images, [seedInput!]: oneHot });
    close(out[grads['images']!]!, ref['grad.images']!);
  });

  it('gives torch’s parameter gradients of the cross-entropy (through conv, batch norm, pooling, padding)', async () => {
    const logits = ref['output.logits']!;
    const dLogits = Tensor.zeros([labels.length, 10]);
    for (let b = 0; b < labels.length; b++) {
      const row = Array.from({ length: 10 }, (_, c) => Number(logits.get(b, c)));
      const max = Math.max(...row);
      const exp = row.map((v) => Math.exp(v - max));
      const sum = exp.reduce((a, v) => a + v, 0);
      exp.forEach((e, c) => dLogits.set((e / sum - (c === labels[b] ? 1 : 0)) / labels.length, b, c));
    }
    const wrt = ['conv1.weight', 'conv1.bias', 'bn1.weight', 'bn1.bias', 'conv2.weight', 'conv2.bias', 'fc.weight', 'fc.bias', 'images'];
    const { model, grads, seedInput } = gradients(decodeModel(modelBytes('cnn')), { of: 'logits', wrt, seed: 'input' });
    const out = await run(model, { images, [seedInput!]: dLogits });
    for (const p of wrt.slice(0, -1)) close(out[grads[p]!]!, ref[`grad.param.${p}`]!);
    close(out[grads['images']!]!, ref['grad.images_of_loss']!);
  });
});

describe('models with operators that have no rule', () => {
  it('name the operator, the node and the path that needs it', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['batch', 3, 3]);
    g.output(g.mul(g.op('Det', [g.exp(x)]), 2), 'y');
    const model = g.build();
    const det = model.graph.nodes.find((n) => n.opType === 'Det')!;
    try {
      gradients(model, { of: 'y', wrt: ['x'] });
      throw new Error('expected UNSUPPORTED_OP');
    } catch (e) {
      expect(e).toMatchObject({ code: 'UNSUPPORTED_OP', details: { opType: 'Det', node: det.name } });
      const path = (e as { details: { path: string[] } }).details.path;
      expect(path[0]).toBe('x');
      expect(path.at(-1)).toBe('y');
    }
  });
});

describe('HookedModel.runWithGrad', () => {
  it('differentiates with respect to hook points by name', async () => {
    const ref = reference('gpt2l');
    const model = await HookedModel.load(fixturePath('gpt2l.onnx'));
    const { grads, outputs } = await model.runWithGrad({ tokens: ref['input.tokens']! }, { of: 'logits', wrt: ['blocks.1.hook_resid_pre', 'unembed.weight', 'embed.weight', 'pos_embed.weight'], seed: ref['grad.logits']! });
    close(grads['blocks.1.hook_resid_pre']!, ref['grad.act.blocks.1.hook_resid_pre']!);
    for (const p of ['unembed.weight', 'embed.weight', 'pos_embed.weight']) close(grads[p]!, ref[`grad.param.${p}`]!);
    close(outputs['logits']!, ref['output.logits']!);
  });
});
