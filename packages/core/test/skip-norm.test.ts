import { readFileSync } from 'node:fs';
import { Backend, HookedModel, decodeModel, readNpz, splitSkipNorms, type ModelIR } from '../src/index.node.js';
import { closeness } from './helpers/compare.js';

/**
 * `splitSkipNorms` on onnxruntime's transformer-optimizer output (the zoo's fused GPT-2 with
 * `SkipLayerNormalization`, Llama with `SkipSimplifiedLayerNormalization`): the split graph
 * computes what the fused kernels compute, and nodes whose split would lose something stay fused.
 */
const ZOO = new URL('./fixtures/zoo/', import.meta.url).pathname;
const fused = (model: string) => decodeModel(readFileSync(`${ZOO}${model}/fused.onnx`));
const skipNorms = (ir: ModelIR) => ir.graph.nodes.filter((n) => n.domain === 'com.microsoft' && /^Skip(Simplified)?LayerNormalization$/.test(n.opType));
const feedsOf = (model: string) => {
  const ref = readNpz(readFileSync(`${ZOO}${model}/reference.npz`));
  return Object.fromEntries(Object.entries(ref).filter(([k]) => k.startsWith('input.')).map(([k, v]) => [k.slice('input.'.length), v]));
};

describe.each(['gpt2', 'llama'])('%s, fused export', (model) => {
  it('is split into Add + standard normalisation, keeping the names of the sums the file had, and runs as the fused kernels do (≤ 1e-5)', async () => {
    const original = fused(model);
    const sums = skipNorms(original).map((n) => n.output[3] ?? '').filter((o) => o !== '');
    expect(sums.length).toBeGreaterThan(0);
    const split = splitSkipNorms(original);
    expect(skipNorms(split)).toEqual([]);
    expect(skipNorms(original).length).toBeGreaterThan(0); // the input model is left as it was
    for (const sum of sums) expect(split.graph.producerOf(sum)?.opType).toBe('Add');
    const feeds = feedsOf(model);
    const hooked = await HookedModel.load(original, { probe: false });
    const ours = await hooked.run(feeds);
    await hooked.dispose();
    // the fused kernels' run: the file as it is, on onnxruntime directly
    const backend = await Backend.create({ ep: ['cpu'] });
    const session = await backend.session(original);
    const theirs = await session.run(feeds);
    await backend.dispose();
    for (const name of Object.keys(theirs)) expect(closeness(ours[name]!, theirs[name]!, 1e-5, 1e-5)).toBeLessThanOrEqual(1);
  });
});

it('leaves a SkipLayerNormalization fused where its mean output is read, and describeAttention says the residual addition is fused', async () => {
  const ir = fused('gpt2');
  const first = skipNorms(ir)[0]!;
  first.output[1] = 'mean_read';
  ir.graph.invalidate();
  ir.graph.addOutput('mean_read');
  expect(skipNorms(splitSkipNorms(ir))).toHaveLength(1);
  const model = await HookedModel.load(ir, { probe: false, validate: false });
  expect(model.describeAttention()).toMatch(/no residual aliases for layer\(s\) 0: the residual addition is fused into SkipLayerNormalization/);
  expect(model.hookPoints.some((h) => h.name === 'blocks.1.hook_resid_post')).toBe(true);
  await model.dispose();
});

it('leaves a SkipSimplifiedLayerNormalization with a bias fused (onnxruntime versions disagree on whether its sum output includes the bias)', () => {
  const ir = fused('llama');
  const first = skipNorms(ir)[0]!;
  first.input[3] = first.input[2]!;
  ir.graph.invalidate();
  expect(skipNorms(splitSkipNorms(ir)).map((n) => n.name)).toEqual([first.name]);
});
