import { readFileSync } from 'node:fs';
import { create } from '@bufbuild/protobuf';
import { HookedModel, MechintError, Tensor, attributeProto, attr, decodeModel, onnx, readNpz, tensorType, unfuse, type ModelIR } from '../src/index.node.js';
import { runModel } from './helpers/builder.js';
import { closeness } from './helpers/compare.js';
import { fixturePath } from './helpers/fixtures.js';
import { mulberry32, randomInts, uniform } from './helpers/random.js';
import { thrownMechintError } from './helpers/errors.js';

/** Fixtures of tools/fixtures/fused_attention.py: onnxruntime's fused attention operators, with torch / numpy references. */
type Fused = 'gpt2' | 'gpt2_dynamo23' | 'bert' | 'mha' | 'gqa' | 'gqa_rotary' | 'attention23' | 'attention23_4d';
const REF = readNpz(readFileSync(fixturePath('fused/fused.reference.npz')));
const load = (name: Fused): ModelIR => decodeModel(readFileSync(fixturePath(`fused/${name}.onnx`)));
const byPrefix = (prefix: string) => Object.fromEntries(Object.entries(REF).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
const feedsOf = (name: Fused) => byPrefix(`${name}.input.`);
const expectedOf = (name: Fused) => byPrefix(`${name}.output.`);

/** Largest |a - b| / (1e-5 + 1e-5·|b|): ≤ 1 means equal within 1e-5 (abs + rel). */
const within1e5 = (a: Tensor, b: Tensor) => closeness(a, b, 1e-5, 1e-5);

async function expectSameRun(fused: ModelIR, feeds: Record<string, Tensor>): Promise<void> {
  const [want, got] = await Promise.all([runModel(fused, feeds), runModel(unfuse(fused), feeds)]);
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const name of Object.keys(want)) expect(within1e5(got[name]!, want[name]!)).toBeLessThanOrEqual(1);
}


const opTypes = (model: ModelIR) => new Set(model.graph.nodes.map((n) => `${n.domain}:${n.opType}`));
const node = (model: ModelIR, opType: string, i = 0) => model.graph.nodes.filter((n) => n.opType === opType)[i]!;
const setAttr = (model: ModelIR, opType: string, name: string, value: Parameters<typeof attributeProto>[1]) => {
  const n = node(model, opType);
  n.attribute = [...n.attribute.filter((a) => a.name !== name), attributeProto(name, value)];
};

describe('unfuse on Hugging Face models in the transformer optimizer’s fused form', () => {
  it.each([
    ['gpt2', 'logits'],
    ['bert', 'last_hidden_state'],
  ] as const)('%s: the unfused graph has no fused attention and reproduces torch’s %s within 1e-5', async (name, output) => {
    const unfused = unfuse(load(name));
    expect([...opTypes(unfused)].filter((op) => op.endsWith(':Attention'))).toEqual([]);
    expect(opTypes(unfused)).toContain(':Softmax');
    const got = await runModel(unfused, feedsOf(name));
    expect(within1e5(got[output]!, expectedOf(name)[output]!)).toBeLessThanOrEqual(1);
  });

  it('GPT-2 from torch’s dynamo exporter at opset 23 (standard Attention nodes): unfused reproduces torch, with causal patterns per module', async () => {
    const unfused = unfuse(load('gpt2_dynamo23'));
    expect([...opTypes(unfused)].filter((op) => op.endsWith(':Attention'))).toEqual([]);
    const got = await runModel(unfused, feedsOf('gpt2_dynamo23'));
    expect(within1e5(got['logits']!, expectedOf('gpt2_dynamo23')['logits']!)).toBeLessThanOrEqual(1);
    const model = await HookedModel.load(load('gpt2_dynamo23'), { unfuse: true });
    expect(model.attention.sites.map((s) => s.module)).toEqual(['transformer.h.0.attn', 'transformer.h.1.attn']);
    const { cache } = await model.runWithCache(feedsOf('gpt2_dynamo23'), { hooks: ['blocks.1.attn.hook_pattern'] });
    const p = cache.get('blocks.1.attn.hook_pattern');
    expect(p.shape).toEqual([2, 4, 7, 7]);
    for (let row = 0; row < 2 * 4 * 7; row++) {
      const values = Array.from({ length: 7 }, (_, j) => Number(p.data[row * 7 + j]));
      expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(values.slice((row % 7) + 1).every((v) => v === 0)).toBe(true);
    }
  });

  it('GPT-2: unfused == fused on random tokens with left padding (causal ∧ mask_index, down to fully masked rows)', async () => {
    const rng = mulberry32(7);
    const mask = Tensor.from([1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 0n, 0n, 0n, 1n, 1n, 1n, 1n, 1n, 1n], [2, 9], 'int64');
    await expectSameRun(load('gpt2'), { input_ids: randomInts(rng, [2, 9], 0, 64), attention_mask: mask });
  });

  it('BERT: unfused == fused on random tokens with right padding and mixed token types', async () => {
    const rng = mulberry32(8);
    const mask = Tensor.from([1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 0n, 0n], [2, 7], 'int64');
    await expectSameRun(load('bert'), { input_ids: randomInts(rng, [2, 7], 0, 64), attention_mask: mask, token_type_ids: randomInts(rng, [2, 7], 0, 2) });
  });

  it.each([
    ['[batch] end positions', [7, 4]],
    ['[2·batch] end and start positions', [7, 7, 0, 3]],
  ])('BERT with mask_index as %s: unfused == fused', async (_, positions) => {
    const model = load('bert');
    const cast = model.graph.producerOf('mask_index')!;
    model.graph.proto.node.splice(model.graph.nodes.indexOf(cast), 1);
    model.graph.inputs.push(tensorInput('mask_index', 'int32', ['mask_len']));
    model.graph.invalidate();
    const rng = mulberry32(9);
    const feeds = { ...feedsOf('bert'), input_ids: randomInts(rng, [2, 7], 0, 64), mask_index: Tensor.from(positions, [positions.length], 'int32') };
    await expectSameRun(model, feeds);
  });
});

describe('unfuse on hand-built fused operators, against numpy references from the operator docs', () => {
  it.each(['mha', 'gqa', 'gqa_rotary', 'attention23', 'attention23_4d'] as const)('%s: the unfused graph matches the reference within 1e-5', async (name) => {
    const got = await runModel(unfuse(load(name)), feedsOf(name));
    for (const [output, want] of Object.entries(expectedOf(name))) expect(within1e5(got[output]!, want)).toBeLessThanOrEqual(1);
  });

  it('MultiHeadAttention: present_key / present_value are the biased key / value heads, as the fused kernel returns them', async () => {
    const model = load('mha');
    node(model, 'MultiHeadAttention').output.push('present_key', 'present_value');
    model.graph.invalidate();
    model.graph.addOutput('present_key', tensorType('float32'));
    model.graph.addOutput('present_value', tensorType('float32'));
    await expectSameRun(model, feedsOf('mha'));
  });

  it('GroupQueryAttention: interleaved rotary and packed QKV give the fused kernel’s outputs', async () => {
    const interleaved = load('gqa_rotary');
    setAttr(interleaved, 'GroupQueryAttention', 'rotary_interleaved', attr.int(1));
    await expectSameRun(interleaved, feedsOf('gqa_rotary'));

    const packed = load('gqa');
    packed.graph.addNode({ opType: 'Concat', inputs: ['query', 'key', 'value'], outputs: ['qkv'], attributes: [attributeProto('axis', attr.int(2))] });
    const gqa = node(packed, 'GroupQueryAttention');
    gqa.input = ['qkv', '', '', ...gqa.input.slice(3)];
    packed.graph.invalidate();
    packed.graph.proto.node = packed.graph.topologicalOrder();
    packed.graph.invalidate();
    await expectSameRun(packed, feedsOf('gqa'));
  });

  it.each([
    ['gpt2', 'Attention', 5],
    ['mha', 'MultiHeadAttention', 5],
    ['gqa', 'GroupQueryAttention', 10],
  ] as const)('%s: an attention_bias input is added to the scores as the fused kernel adds it', async (name, opType, slot) => {
    const model = load(name);
    const fusedNode = node(model, opType);
    fusedNode.input = [...Array.from({ length: slot }, (_, i) => fusedNode.input[i] ?? ''), 'attention_bias'];
    model.graph.inputs.push(create(onnx.ValueInfoProtoSchema, { name: 'attention_bias', type: tensorType('float32', [1, 4, 'q', 'k']) }));
    model.graph.invalidate();
    const rng = mulberry32(11);
    const feeds = name === 'gpt2' ? { input_ids: randomInts(rng, [2, 7], 0, 64), attention_mask: Tensor.from(new BigInt64Array(14).fill(1n), [2, 7]) } : feedsOf(name);
    const [q, k] = name === 'gpt2' ? [7, 7] : name === 'mha' ? [5, 6] : [5, 5];
    await expectSameRun(model, { ...feeds, attention_bias: uniform(rng, [1, 4, q, k], -3, 3) });
  });

  it('MultiHeadAttention: unidirectional self-attention with key lengths [batch] gives the fused kernel’s outputs', async () => {
    const model = load('mha');
    setAttr(model, 'MultiHeadAttention', 'unidirectional', attr.int(1));
    const input = model.graph.inputs.find((i) => i.name === 'key_padding_mask')!;
    input.type = tensorType('int32', ['batch']);
    model.graph.invalidate();
    const rng = mulberry32(12);
    const x = () => uniform(rng, [2, 5, 32], -2, 2);
    await expectSameRun(model, { query: x(), key: x(), value: x(), key_padding_mask: Tensor.from([5, 3], [2], 'int32') });
  });

  it('Attention: qkv_hidden_sizes and a 3-D mask [batch, seq, total_seq] give the fused kernel’s outputs', async () => {
    const model = load('bert');
    for (const n of model.graph.nodes.filter((x) => x.opType === 'Attention')) n.attribute.push(attributeProto('qkv_hidden_sizes', attr.ints([32, 32, 32])));
    const cast = model.graph.producerOf('mask_index')!;
    model.graph.proto.node.splice(model.graph.nodes.indexOf(cast), 1);
    model.graph.inputs.push(tensorInput('mask_index', 'int32', ['batch', 'seq', 'seq']));
    model.graph.invalidate();
    const rng = mulberry32(13);
    const mask = Tensor.from(Array.from({ length: 2 * 7 * 7 }, () => (rng() < 0.7 ? 1 : 0)), [2, 7, 7], 'int32');
    await expectSameRun(model, { ...feedsOf('bert'), mask_index: mask });
  });

  it('opset-23 Attention: softcap and a float mask give the fused kernel’s outputs', async () => {
    const model = load('attention23_4d');
    setAttr(model, 'Attention', 'softcap', attr.float(1.5));
    const rng = mulberry32(10);
    await expectSameRun(model, { Q: uniform(rng, [2, 4, 5, 8], -2, 2), K: uniform(rng, [2, 4, 6, 8], -2, 2), V: uniform(rng, [2, 4, 6, 8]), attn_mask: uniform(rng, [5, 6]) });
  });

  it.each([11, 13])('emits nodes valid at opset %i (Unsqueeze / Slice forms of that opset)', async (opset) => {
    for (const name of ['mha', 'gqa_rotary'] as const) {
      const model = load(name);
      model.proto.opsetImport.find((o) => o.domain === '')!.version = BigInt(opset);
      const got = await runModel(unfuse(model), feedsOf(name));
      for (const [output, want] of Object.entries(expectedOf(name))) expect(within1e5(got[output]!, want)).toBeLessThanOrEqual(1);
    }
  });

  it('leaves the input model as it was', () => {
    const model = load('gpt2');
    const before = model.graph.nodes.length;
    unfuse(model);
    expect(model.graph.nodes.length).toBe(before);
    expect(opTypes(model)).toContain('com.microsoft:Attention');
  });
});

describe('unfuse on int8 QAttention (tools/fixtures/qattention.py), against a float64 numpy reference of the dequantized attention', () => {
  type Quantized = 'qattention' | 'qattention_causal';
  const QREF = readNpz(readFileSync(fixturePath('fused/qattention.reference.npz')));
  const loadQ = (name: Quantized): ModelIR => decodeModel(readFileSync(fixturePath(`fused/${name}.onnx`)));
  const qFeeds = (name: Quantized) => Object.fromEntries(Object.entries(QREF).filter(([k]) => k.startsWith(`${name}.input.`)).map(([k, v]) => [k.slice(`${name}.input.`.length), v]));

  it.each([
    ['qattention', 'int8 weights with per-column scales and zero points, a 0/1 mask'],
    ['qattention_causal', 'uint8 weights with a scalar scale and zero point, no input zero point, key end positions, unidirectional, scale 0.2'],
  ] as const)('%s (%s): the unfused graph is standard operators and matches the reference within 1e-5, as the fused kernel does', async (name, _form) => {
    const fused = loadQ(name);
    const unfused = unfuse(fused);
    expect([...opTypes(unfused)].filter((op) => op.startsWith('com.microsoft'))).toEqual([]);
    expect(opTypes(unfused)).toContain(':Softmax');
    const want = QREF[`${name}.output.output`]!;
    const [got, kernel] = await Promise.all([runModel(unfused, qFeeds(name)), runModel(fused, qFeeds(name))]);
    expect(within1e5(got['output']!, want)).toBeLessThanOrEqual(1);
    // the fixture's weights keep onnxruntime's integer GEMM exact, so the kernel agrees too
    expect(within1e5(got['output']!, kernel['output']!)).toBeLessThanOrEqual(1);
  });

  it('before unfusing, the QAttention output is blocks.0.attn.fused_z and describeAttention says to load with { unfuse: true }', async () => {
    const model = await HookedModel.load(loadQ('qattention'));
    expect(model.hookPoint('blocks.0.attn.fused_z')).toMatchObject({ value: 'output', axes: { batch: 0, position: 1, feature: 2 } });
    expect(model.hookPoints.some((h) => h.name.endsWith('.pattern'))).toBe(false);
    expect(model.describeAttention()).toMatch(/not exposed: qattention \(load with \{ unfuse: true \}/);
  });

  it('load({ unfuse: true }) exposes the pattern, z and q / k / v; the padded keys get no weight', async () => {
    const model = await HookedModel.load(loadQ('qattention'), { unfuse: true });
    expect(model.hookPoint('blocks.0.attn.hook_q')).toMatchObject({ shape: ['batch', 'seq', 4, 8] });
    const { cache } = await model.runWithCache(qFeeds('qattention'), { hooks: ['blocks.0.attn.pattern', 'blocks.0.attn.hook_z'] });
    const p = cache.get('blocks.0.attn.pattern');
    expect(p.shape).toEqual([2, 4, 6, 6]);
    for (let row = 0; row < 4 * 6; row++) {
      const padded = Array.from({ length: 6 }, (_, j) => Number(p.data[(4 * 6 + row) * 6 + j]));
      expect(padded.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(padded[4]! + padded[5]!).toBeLessThan(1e-6); // batch 1's mask ends at 4: exp(-10000) underflows
    }
    const z = cache.get('blocks.0.attn.hook_z');
    expect(within1e5(Tensor.from(z.data, [2, 6, 32]), QREF['qattention.output.output']!)).toBeLessThanOrEqual(1);
  });

  it('a head ablation zeroes exactly that head’s slice of the output', async () => {
    const model = await HookedModel.load(loadQ('qattention'), { unfuse: true });
    const out = await model.run(qFeeds('qattention'), { interventions: [{ hook: 'blocks.0.attn.hook_z', op: 'zero', heads: [2] }] });
    const want = QREF['qattention.output.output']!;
    const expected = Tensor.from(Float32Array.from(want.data as Float32Array, (x, i) => (Math.floor((i % 32) / 8) === 2 ? 0 : x)), [2, 6, 32], 'float32');
    expect(within1e5(out['output']!, expected)).toBeLessThanOrEqual(1);
  });
});

describe('unfuse on the zoo’s optimizer output (tools/fixtures/zoo)', () => {
  it.each(['gpt2', 'vit'])('%s/fused.onnx: the optimizer fused no attention there, so unfuse keeps every node and the run', async (name) => {
    const fused = decodeModel(readFileSync(fixturePath(`zoo/${name}/fused.onnx`)));
    const zoo = readNpz(readFileSync(fixturePath(`zoo/${name}/reference.npz`)));
    const feeds = Object.fromEntries(fused.graph.feedNames.map((n) => [n, zoo[`input.${n}`]!]));
    const unfused = unfuse(fused);
    expect(unfused.graph.nodes.map((n) => n.opType).sort()).toEqual(fused.graph.nodes.map((n) => n.opType).sort());
    const [want, got] = await Promise.all([runModel(fused, feeds), runModel(unfused, feeds)]);
    for (const output of Object.keys(want)) expect(within1e5(got[output]!, want[output]!)).toBeLessThanOrEqual(1);
  });

  // Optimizer output records no value_info: the rank of mask_index comes from static shape inference.
  it.each(['bert', 'whisper_encoder'])('%s/fused.onnx (com.microsoft Attention, no recorded types): unfused == fused within 1e-5, == torch within 1e-4, with pattern and z per layer', async (name) => {
    const path = fixturePath(`zoo/${name}/fused.onnx`);
    const fused = decodeModel(readFileSync(path));
    const zoo = readNpz(readFileSync(fixturePath(`zoo/${name}/reference.npz`)));
    const feeds = Object.fromEntries(fused.graph.feedNames.map((n) => [n, zoo[`input.${n}`]!]));
    expect(opTypes(fused)).toContain('com.microsoft:Attention');
    const unfused = unfuse(fused);
    expect([...opTypes(unfused)].filter((op) => op.endsWith('Attention'))).toEqual([]);
    const [want, got] = await Promise.all([runModel(fused, feeds), runModel(unfused, feeds)]);
    for (const output of Object.keys(want)) {
      expect(within1e5(got[output]!, want[output]!)).toBeLessThanOrEqual(1);
      expect(closeness(got[output]!, zoo[`output.${output}`]!, 1e-4, 1e-4)).toBeLessThanOrEqual(1);
    }
    const model = await HookedModel.load(path, { unfuse: true });
    // the optimizer's Attention_N nodes record no module, so neither do the sites (not the scope their neighbours share)
    expect(model.attention.sites.map((s) => s.module)).toEqual([undefined, undefined]);
    for (const layer of [0, 1]) {
      expect(model.hookPoint(`blocks.${layer}.attn.pattern`).shape).toEqual(['batch', 4, expect.anything(), expect.anything()]);
      expect(model.hookPoint(`blocks.${layer}.attn.z`).shape).toHaveLength(4);
    }
  });
});

describe('unfuse on the zoo’s int8 exports (quantize_dynamic’s QAttention)', () => {
  // meta.json's max_abs_error is the recorded distance of onnxruntime's run of quantized.onnx from torch's float
  // model (the int8 error). The unfused graph computes the exact dequantized attention, which the QAttention
  // kernel approximates: its u8·s8 GEMM saturates int16 pair sums on CPUs without VNNI (the zoo's weights span
  // ±127). Both approximate torch's output to the int8 error (+ 1e-5 for float32 rounding of the rewrite), so they
  // are within twice that of each other.
  it.each(['bert', 'whisper_encoder'])('%s/quantized.onnx: no QAttention left; unfused within the int8 error of torch, and within twice that of the QAttention run', async (name) => {
    const quantized = decodeModel(readFileSync(fixturePath(`zoo/${name}/quantized.onnx`)));
    const meta = JSON.parse(readFileSync(fixturePath(`zoo/${name}/meta.json`), 'utf8')) as { exports: { quantized: { max_abs_error: number } } };
    const int8Error = meta.exports.quantized.max_abs_error;
    const zoo = readNpz(readFileSync(fixturePath(`zoo/${name}/reference.npz`)));
    const feeds = Object.fromEntries(quantized.graph.feedNames.map((n) => [n, zoo[`input.${n}`]!]));
    expect(opTypes(quantized)).toContain('com.microsoft:QAttention');
    const unfused = unfuse(quantized);
    expect([...opTypes(unfused)].filter((op) => op.endsWith('Attention'))).toEqual([]);
    const [kernel, got] = await Promise.all([runModel(quantized, feeds), runModel(unfused, feeds)]);
    for (const output of Object.keys(kernel)) {
      expect(closeness(got[output]!, zoo[`output.${output}`]!, 0, int8Error + 1e-5)).toBeLessThanOrEqual(1);
      expect(closeness(got[output]!, kernel[output]!, 0, 2 * (int8Error + 1e-5))).toBeLessThanOrEqual(1);
    }
  });
});

describe('hook points of fused and unfused attention', () => {
  const tokens = Tensor.from([[5n, 9n, 1n, 33n, 9n, 1n, 60n]], [1, 7], 'int64');
  const ones = Tensor.from([[1n, 1n, 1n, 1n, 1n, 1n, 1n]], [1, 7], 'int64');

  it('names each fused node’s output (heads concatenated) per layer and says how to unfuse', async () => {
    const model = await HookedModel.load(load('gpt2'));
    expect(model.hookPoint('blocks.1.attn.fused_z').value).toBe('transformer.h.1.attn.fused');
    expect(model.hookPoint('transformer.h.0.attn.fused_z')).toMatchObject({ shape: ['batch', 'seq', 32], axes: { batch: 0, position: 1, feature: 2 } });
    expect(model.hookPoints.some((h) => h.name.endsWith('.pattern'))).toBe(false);
    expect(model.describeAttention()).toMatch(/unfuse: true/);
  });

  it('load({ unfuse: true }) exposes pattern, z and q / k / v of every layer; fused_z is z with its heads concatenated', async () => {
    const fused = await HookedModel.load(load('gpt2'));
    const model = await HookedModel.load(load('gpt2'), { unfuse: true });
    expect(model.attention.sites.map((s) => s.module)).toEqual(['transformer.h.0.attn', 'transformer.h.1.attn']);
    expect(model.hookPoint('transformer.h.1.attn.pattern')).toMatchObject({ shape: ['batch', 4, 'seq', 'seq'] });
    for (const name of ['hook_q', 'hook_k', 'hook_v']) expect(model.hookPoint(`blocks.1.attn.${name}`)).toMatchObject({ shape: ['batch', 'seq', 4, 8], axes: { batch: 0, position: 1, head: 2, feature: 3 } });
    expect(model.hookPoint('transformer.h.0.attn.q').value).toBe(model.hookPoint('blocks.0.attn.hook_q').value);
    expect(model.hookPoint('transformer.h.0.attn.pattern').value).toMatch(/^\/transformer\/h\.0\/attn\/__mechint_unfused_Attention_pattern/);
    const feeds = { input_ids: tokens, attention_mask: ones };
    const { cache } = await model.runWithCache(feeds, { hooks: ['transformer.h.1.attn.z'] });
    const { cache: fusedCache } = await fused.runWithCache(feeds, { hooks: ['blocks.1.attn.fused_z'] });
    const z = cache.get('transformer.h.1.attn.z');
    expect(z.shape).toEqual([1, 7, 4, 8]);
    expect(within1e5(Tensor.from(z.data, [1, 7, 32]), fusedCache.get('blocks.1.attn.fused_z'))).toBeLessThanOrEqual(1);
  });

  it('a head ablation on the unfused z equals torch’s (head 1 of layer 0 zeroed before c_proj)', async () => {
    const model = await HookedModel.load(load('gpt2'), { unfuse: true });
    const out = await model.run(feedsOf('gpt2'), { interventions: [{ hook: 'blocks.0.attn.hook_z', op: 'zero', heads: [1] }] });
    expect(within1e5(out['logits']!, REF['gpt2.ablate.logits']!)).toBeLessThanOrEqual(1);
    expect(within1e5(out['logits']!, expectedOf('gpt2')['logits']!)).toBeGreaterThan(1);
  });

  it('GPT-2 patterns are causal and their rows sum to 1; they are softmax(q·kᵀ/√d_head) of the q / k hooks', async () => {
    const model = await HookedModel.load(load('gpt2'), { unfuse: true });
    const { cache } = await model.runWithCache({ input_ids: tokens, attention_mask: ones }, { hooks: [/^blocks\.\d\.attn\.hook_(pattern|q|k)$/] });
    for (const layer of [0, 1]) {
      const p = cache.get(`blocks.${layer}.attn.hook_pattern`);
      const q = cache.get(`blocks.${layer}.attn.hook_q`);
      const k = cache.get(`blocks.${layer}.attn.hook_k`);
      const [, heads, seq] = p.shape as [number, number, number, number];
      for (let h = 0; h < heads; h++) {
        for (let i = 0; i < seq; i++) {
          const row = Array.from({ length: seq }, (_, j) => Number(p.data[(h * seq + i) * seq + j]));
          expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
          for (let j = i + 1; j < seq; j++) expect(row[j]).toBe(0);
          const logits = Array.from({ length: i + 1 }, (_, j) => {
            let dot = 0;
            for (let d = 0; d < 8; d++) dot += Number(q.data[(i * heads + h) * 8 + d]) * Number(k.data[(j * heads + h) * 8 + d]);
            return dot / Math.sqrt(8);
          });
          const max = Math.max(...logits);
          const norm = logits.reduce((a, l) => a + Math.exp(l - max), 0);
          logits.forEach((l, j) => expect(Math.abs(row[j]! - Math.exp(l - max) / norm)).toBeLessThan(1e-5));
        }
      }
    }
  });

  it('BERT patterns give padded keys no weight and their rows sum to 1', async () => {
    const model = await HookedModel.load(load('bert'), { unfuse: true });
    const mask = Tensor.from([[1n, 1n, 1n, 1n, 1n, 0n, 0n]], [1, 7], 'int64');
    const { cache } = await model.runWithCache({ input_ids: tokens, attention_mask: mask, token_type_ids: Tensor.zeros([1, 7], 'int64') }, { hooks: ['encoder.layer.1.attention.self.pattern'] });
    const p = cache.get('encoder.layer.1.attention.self.pattern');
    for (let row = 0; row < 4 * 7; row++) {
      const values = Array.from({ length: 7 }, (_, j) => Number(p.data[row * 7 + j]));
      expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(values[5]! + values[6]!).toBeLessThan(1e-30);
    }
  });

  it('grouped-query attention: hook_k has the key/value heads, hook_rot_q / hook_rot_k the rotated ones', async () => {
    const model = await HookedModel.load(load('gqa_rotary'), { unfuse: true });
    expect(model.hookPoint('blocks.0.attn.hook_q').shape).toEqual(['batch', 'seq', 4, 16]);
    expect(model.hookPoint('blocks.0.attn.hook_k').shape).toEqual(['batch', 'seq', 2, 16]);
    expect(model.hookPoint('blocks.0.attn.hook_rot_k').shape).toEqual(['batch', 'seq', 2, 16]);
    expect(model.hookPoint('gqa_rotary.pattern').shape).toEqual(['batch', 4, 'seq', 'seq']);
  });
});

describe('unfuse refuses what it cannot rewrite exactly', () => {
  const refuses = (mutate: (m: ModelIR) => void, file: Fused, ...words: string[]) => {
    const model = load(file);
    mutate(model);
    model.graph.invalidate();
    const error = thrownMechintError(() => unfuse(model));
    expect(error.code).toBe('UNSUPPORTED_OP');
    for (const word of words) expect(error.message).toContain(word);
    expect(error.message).toMatch(/To unfuse it, /);
  };

  it('Attention with a key/value cache (past) or a present output', () => {
    refuses((m) => (node(m, 'Attention').input[4] = 'h0'), 'gpt2', "'/transformer/h.0/attn/Attention'", "'past'");
    refuses((m) => node(m, 'Attention').output.push('present'), 'gpt2', "'present'");
  });

  it('Attention with do_rotary or a 4-D mask_index', () => {
    refuses((m) => setAttr(m, 'Attention', 'do_rotary', attr.int(1)), 'gpt2', "'do_rotary'");
    refuses((m) => {
      m.graph.proto.node.splice(m.graph.nodes.indexOf(m.graph.producerOf('mask_index')!), 1);
      m.graph.inputs.push(tensorInput('mask_index', 'int32', ['batch', 1, 32, 32]));
    }, 'bert', "'mask_index'", '4-D');
  });

  it('MultiHeadAttention with packed KV or a past key', () => {
    refuses((m) => (node(m, 'MultiHeadAttention').input[2] = ''), 'mha', "'value'", 'packed');
    refuses((m) => node(m, 'MultiHeadAttention').input.push('', 'key'), 'mha', "'past_key'");
  });

  it('GroupQueryAttention with a past key or a local window', () => {
    refuses((m) => (node(m, 'GroupQueryAttention').input[3] = 'key'), 'gqa', "'past_key'");
    refuses((m) => setAttr(m, 'GroupQueryAttention', 'local_window_size', attr.int(2)), 'gqa', "'local_window_size'", '-1');
  });

  it('opset-23 Attention returning its present key', () => {
    refuses((m) => node(m, 'Attention').output.push('present_key'), 'attention23', 'present_key');
  });

  it('attention on float16 inputs, with UNSUPPORTED_DTYPE', () => {
    const model = load('mha');
    model.graph.inputs.find((i) => i.name === 'query')!.type = tensorType('float16', ['batch', 'seq', 32]);
    model.graph.invalidate();
    const error = thrownMechintError(() => unfuse(model));
    expect(error.code).toBe('UNSUPPORTED_DTYPE');
    expect(error.message).toContain("'query'");
  });

  it('QAttention with a key/value cache (past), a present output, or a required input left empty', () => {
    const quantized = (mutate: (n: onnx.NodeProto) => void) => {
      const model = decodeModel(readFileSync(fixturePath('fused/qattention.onnx')));
      mutate(node(model, 'QAttention'));
      model.graph.invalidate();
      return thrownMechintError(() => unfuse(model));
    };
    for (const error of [quantized((n) => n.input.push('input_scale')), quantized((n) => n.output.push('present'))]) {
      expect(error.code).toBe('UNSUPPORTED_OP');
      expect(error.message).toContain("com.microsoft QAttention node 'qattention'");
      expect(error.message).toMatch(/'past'|'present'/);
    }
    expect(quantized((n) => (n.input[4] = '')).message).toContain("required input 'weight_scale' is empty");
  });

  it('other fused attention operators, and models below opset 11', () => {
    refuses((m) => (node(m, 'Attention').opType = 'PackedAttention'), 'gpt2', 'PackedAttention');
    refuses((m) => (m.proto.opsetImport.find((o) => o.domain === '')!.version = 10n), 'gpt2', 'opset 10');
  });
});

function tensorInput(name: string, dtype: 'int32', shape: (string | number)[]) {
  return create(onnx.ValueInfoProtoSchema, { name, type: tensorType(dtype, shape) });
}
