import { create } from '@bufbuild/protobuf';
import { Backend, MechintError, decodeModel, onnx, tensorType, type ModelIR, type Tensor } from '../src/index.node.js';
import { expectBitIdentical, expectClose } from './helpers/compare.js';
import { activationNames, modelBytes, reference } from './helpers/fixtures.js';

let backend: Backend;
beforeAll(async () => {
  backend = await Backend.create({ ep: 'cpu' });
});

const gpt = () => decodeModel(modelBytes('gpt2l'));
const ref = reference('gpt2l');
const names = activationNames('gpt2l');
const tokens = ref['input.tokens']!;

async function run(model: ModelIR, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  return (await backend.session(model)).run(feeds);
}

describe('Graph lookups', () => {
  it('maps every value to its producer and consumers', () => {
    const { graph } = gpt();
    const pattern = names['act.blocks.0.attn.pattern']!;
    expect(graph.producerOf(pattern)?.opType).toBe('Softmax');
    expect(graph.consumersOf(pattern).map((n) => n.opType)).toContain('MatMul');
    expect(graph.producerOf('tokens')).toBeUndefined();
    expect(graph.initializer('embed.weight')?.dims).toEqual([24n, 64n]);
    expect(graph.feedNames).toEqual(['tokens']);
  });

  it('orders nodes topologically even when stored out of order', async () => {
    const model = gpt();
    const original = await run(gpt(), { tokens });
    model.graph.proto.node.reverse();
    model.graph.invalidate();
    const order = model.graph.topologicalOrder();
    const seen = new Set(model.graph.inputs.map((i) => i.name).concat(model.graph.initializers.map((t) => t.name)));
    for (const node of order) {
      for (const input of node.input) if (input !== '') expect(seen.has(input)).toBe(true);
      for (const output of node.output) seen.add(output);
    }
    model.graph.proto.node = order;
    model.graph.invalidate();
    expectBitIdentical((await run(model, { tokens }))['logits']!, original['logits']!);
  });

  it('reports a cycle with INVALID_MODEL', () => {
    const { graph } = gpt();
    const first = graph.nodes.find((n) => n.opType === 'Add' && n.input.length === 2)!;
    const later = graph.nodes[graph.nodes.length - 1]!;
    first.input[1] = later.output[0]!;
    graph.invalidate();
    expect(() => graph.topologicalOrder()).toThrow(expect.objectContaining({ code: 'INVALID_MODEL' }));
  });

  it('suggests close names for an unknown value', () => {
    const { graph } = gpt();
    try {
      graph.addOutput('/blocks.0/attn/Softmax_outptu_0');
      throw new Error('expected UNKNOWN_VALUE');
    } catch (e) {
      expect(MechintError.isInstance(e) && e.code).toBe('UNKNOWN_VALUE');
      expect((e as MechintError).message).toContain('/blocks.0/attn/Softmax_output_0');
    }
  });
});

describe('Graph edits, checked by running the edited model', () => {
  it('adds intermediate values as outputs that equal torch activations', async () => {
    const model = gpt();
    for (const key of ['act.blocks.0.attn.pattern', 'act.blocks.1.hook_resid_pre', 'act.blocks.1.mlp.post', 'act.ln_final']) {
      model.graph.addOutput(names[key]!);
    }
    const out = await run(model, { tokens });
    for (const key of ['act.blocks.0.attn.pattern', 'act.blocks.1.hook_resid_pre', 'act.blocks.1.mlp.post', 'act.ln_final']) {
      expectClose(out[names[key]!]!, ref[key]!, { rtol: 1e-4, atol: 1e-5 });
    }
    expectClose(out['logits']!, ref['output.logits']!, { rtol: 1e-4, atol: 1e-4 });
  });

  it('replaces a value by a new graph input: feeding torch’s residual stream reproduces the logits', async () => {
    const model = gpt();
    const resid = names['act.blocks.1.hook_resid_pre']!;
    model.graph.replaceWithInput(resid);
    expect(model.graph.feedNames).toContain(resid);
    expect(model.graph.nodes.some((n) => n.name.startsWith('/blocks.0/'))).toBe(true);
    const out = await run(model, { tokens, [resid]: ref['act.blocks.1.hook_resid_pre']! });
    expectClose(out['logits']!, ref['output.logits']!, { rtol: 1e-4, atol: 1e-4 });
  });

  it('replacing a value removes the nodes that only fed it', () => {
    const model = gpt();
    const before = model.graph.nodes.length;
    model.graph.replaceWithInput(names['act.ln_final']!);
    expect(model.graph.nodes.length).toBeLessThan(before);
    expect(model.graph.nodes.some((n) => n.name.startsWith('/blocks.'))).toBe(false);
    expect(model.graph.initializer('blocks.0.attn.W_Q.weight')).toBeUndefined();
  });

  it('extracts the subgraph between two cuts and runs it on torch activations', async () => {
    const full = gpt();
    const resid1 = names['act.blocks.1.hook_resid_pre']!;
    const sub = full.extract(['tokens', resid1], [names['act.blocks.1.attn_out']!, 'logits']);
    expect(sub.graph.feedNames).toEqual(['tokens', resid1]);
    expect(sub.graph.initializer('blocks.0.mlp.W_in.weight')).toBeUndefined();
    expect(sub.graph.initializer('blocks.1.mlp.W_in.weight')).toBeDefined();
    const out = await run(sub, { tokens, [resid1]: ref['act.blocks.1.hook_resid_pre']! });
    expectClose(out['logits']!, ref['output.logits']!, { rtol: 1e-4, atol: 1e-4 });
    expectClose(out[names['act.blocks.1.attn_out']!]!, ref['act.blocks.1.attn_out']!, { rtol: 1e-4, atol: 1e-5 });
  });

  it('refuses an extraction whose outputs need a value outside the cut, naming it', () => {
    const full = gpt();
    const attnOut = names['act.blocks.1.attn_out']!;
    expect(() => full.extract([attnOut], ['logits'])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining("'tokens'") }));
  });

  it('renames a value everywhere it is used and still runs', async () => {
    const model = gpt();
    const pattern = names['act.blocks.0.attn.pattern']!;
    model.graph.addOutput(pattern);
    model.graph.renameValue(pattern, 'blocks.0.attn.hook_pattern');
    expect(model.graph.has(pattern)).toBe(false);
    const out = await run(model, { tokens });
    expectClose(out['blocks.0.attn.hook_pattern']!, ref['act.blocks.0.attn.pattern']!, { rtol: 1e-4, atol: 1e-5 });
    expect(() => model.graph.renameValue('blocks.0.attn.hook_pattern', 'logits')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('appends new nodes and returns their values', async () => {
    const model = gpt();
    model.graph.addNode({ opType: 'ReduceMax', inputs: ['logits'], outputs: ['max_logit'], attributes: [create(onnx.AttributeProtoSchema, { name: 'keepdims', type: onnx.AttributeProto_AttributeType.INT, i: 0n })] });
    model.graph.addOutput('max_logit', tensorType('float32'));
    const out = await run(model, { tokens });
    const logits = ref['output.logits']!;
    expect(out['max_logit']!.item()).toBeCloseTo(Math.max(...Array.from(logits.data as Float32Array)), 4);
    expect(() => model.graph.addNode({ opType: 'Relu', inputs: ['logits'], outputs: ['max_logit'] })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('clones a model so that editing the clone leaves the original untouched', () => {
    const model = gpt();
    const variant = model.clone();
    variant.graph.addOutput(names['act.ln_final']!);
    variant.graph.nodes[0]!.name = 'renamed';
    expect(model.graph.outputs.map((o) => o.name)).toEqual(['logits']);
    expect(model.graph.nodes[0]!.name).not.toBe('renamed');
    expect(variant.graph.initializers[0]).toBe(model.graph.initializers[0]);
  });
});
