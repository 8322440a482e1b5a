import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { create, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { HookedModel, Tensor, decodeModel, encodeModel, onnx, readNpz, tensorFromProto, tensorToProto, type Intervention } from '../src/index.node.js';
import { closeness } from './helpers/compare.js';
import { modelBytes } from './helpers/fixtures.js';
import { mulberry32, uniform } from './helpers/random.js';

/**
 * Module names on real exports: every model of the zoo (tools/fixtures/zoo/make_zoo.py, torch
 * forward hooks as the reference) in every export where module scopes survive. Each
 * `<module>.output` we name must be the value torch's forward returned (≤ 1e-5), no module may
 * be named that torch's module tree does not have, and the blocks the generator lists must be
 * named in the TorchScript and dynamo exports.
 */
const ZOO = new URL('./fixtures/zoo/', import.meta.url).pathname;

interface ZooMeta {
  architecture: 'pre-ln' | 'post-ln' | 'parallel' | 'cnn';
  modules: { path: string }[];
  skipped_modules?: { path: string }[];
  blocks: string[];
  exports: Record<string, { file?: string }>;
}

/**
 * Module outputs whose torch reference is not the value the module hands on, with the reason:
 * such a comparison says nothing about our names.
 */
const REFERENCE_CAVEATS: Record<string, { modules: RegExp; reason: string }[]> = {
  resnet: [
    { modules: /^resnet$/, reason: 'ResNetModel returns (last_hidden_state, pooler_output); the graph hands on only pooler_output, torch’s hook records the first' },
    {
      modules: /\.layers\.\d+\.layer(\.1(\.normalization)?)?$/,
      reason: 'the basic layer adds its shortcut in place (hidden_state += residual), which rewrites the tensor torch’s hook recorded unless the generator clones it',
    },
  ],
};

/**
 * Modules torch's forward hooks recorded that the TorchScript and dynamo exports cannot name, with
 * the reason; every other module with a reference must have its `.output` (dropouts are listed by
 * pattern: in eval mode they are the identity and leave no node).
 */
const UNNAMEABLE: Record<string, { modules: RegExp; exports?: string; reason: string }[]> = {
  '*': [{ modules: /(^|\.)(\w*dropout|drop)$/, reason: 'an eval-mode dropout is the identity: no node computes its output' }],
  gpt_neox: [
    {
      modules: /^gpt_neox\.layers\.\d+\.post_attention_layernorm$/,
      exports: 'dynamo',
      reason:
        'both LayerNorms of a parallel block read the same input and have equal (freshly initialised) weights, so dynamo’s optimiser merged post_attention_layernorm into input_layernorm: no node records its scope',
    },
  ],
  resnet: [
    { modules: /^resnet\.encoder\.stages\.0\.layers\.0\.shortcut$/, reason: 'an nn.Identity shortcut (same channels, stride 1): no node' },
    { modules: /\.layer\.1\.activation$/, reason: 'the second conv layer of a basic block has activation=None, an nn.Identity: no node' },
    {
      modules: /\.convolution$/,
      exports: 'dynamo',
      reason: 'dynamo folds each BatchNorm into its Conv: the Conv’s output is the normalisation’s, the convolution’s own output is computed nowhere',
    },
  ],
  whisper_encoder: [
    {
      modules: /^embed_positions$/,
      reason:
        'WhisperEncoder calls it with torch.arange(num_embeddings), not with anything computed from the input (the mel input has a fixed length): its output is a constant of the file, like a weight',
    },
  ],
};

/** Exports whose numbers equal torch's (the quantized one rounds weights and activations to int8). */
const EXACT = new Set(['torchscript', 'dynamo', 'fused']);

/** ‖a − b‖ / ‖b‖: int8 rounding stays well under 0.2, another module's value does not. */
function relativeError(a: Tensor, b: Tensor): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < b.size; i++) {
    const x = Number(a.data[i]);
    const y = Number(b.data[i]);
    diff += (x - y) ** 2;
    norm += y ** 2;
  }
  return Math.sqrt(diff / norm);
}

const cases = existsSync(ZOO)
  ? readdirSync(ZOO)
      .filter((m) => existsSync(`${ZOO}${m}/meta.json`))
      .flatMap((m) => {
        const meta = JSON.parse(readFileSync(`${ZOO}${m}/meta.json`, 'utf8')) as ZooMeta;
        return Object.entries(meta.exports)
          .filter(([, e]) => e.file !== undefined)
          .map(([exp, e]) => [m, exp, e.file!, meta] as const);
      })
  : [];

it('has zoo models to check', () => {
  expect(cases.length).toBeGreaterThan(0);
});

describe.each(cases)('%s, %s export', (model, exp, file, meta) => {
  const ref = readNpz(readFileSync(`${ZOO}${model}/reference.npz`));
  const feeds = Object.fromEntries(Object.entries(ref).filter(([k]) => k.startsWith('input.')).map(([k, v]) => [k.slice('input.'.length), v]));
  let hooked: HookedModel;
  let cache: Map<string, Tensor>;
  beforeAll(async () => {
    hooked = await HookedModel.load(`${ZOO}${model}/${file}`);
    const outputs = hooked.hookPoints.filter((h) => h.kind === 'module-output' && ref[`module.${h.name.replace(/\.output$/, '')}`] !== undefined);
    const run = await hooked.runWithCache(feeds, { hooks: outputs.map((h) => h.name) });
    cache = new Map(outputs.map((h) => [h.name, run.cache.get(h.name)]));
  });
  afterAll(async () => {
    await hooked.dispose();
  });

  it('names no module torch does not have', () => {
    const torchModules = new Set([...meta.modules, ...(meta.skipped_modules ?? [])].map((m) => m.path));
    const named = hooked.hookPoints.filter((h) => h.kind === 'module-input' || h.kind === 'module-output').map((h) => h.name.replace(/\.(input|output)(\.\d+)?$/, ''));
    expect([...new Set(named)].filter((m) => !torchModules.has(m))).toEqual([]);
  });

  it('gives each named module the output torch’s forward returned', () => {
    const caveats = REFERENCE_CAVEATS[model] ?? [];
    const wrong = [...cache].filter(([name, value]) => {
      const module = name.replace(/\.output$/, '');
      if (caveats.some((c) => c.modules.test(module))) return false;
      const torch = ref[`module.${module}`]!;
      if (value.shape.join() !== torch.shape.join()) return true;
      return EXACT.has(exp) ? closeness(value, torch, 1e-5, 1e-5) > 1 : relativeError(value, torch) > 0.2;
    });
    expect(wrong.map(([name]) => name)).toEqual([]);
  });

  if (exp === 'torchscript' || exp === 'dynamo') {
    it('names every module torch’s forward hooks recorded, but those the export cannot name (UNNAMEABLE)', () => {
      const names = new Set(hooked.hookPoints.map((h) => h.name));
      const excused = [...UNNAMEABLE['*']!, ...(UNNAMEABLE[model] ?? [])].filter((u) => u.exports === undefined || u.exports === exp);
      const recorded = Object.keys(ref).filter((k) => k.startsWith('module.')).map((k) => k.slice('module.'.length));
      const unnamed = recorded.filter((m) => m !== '' && !names.has(`${m}.output`));
      expect(unnamed.filter((m) => !excused.some((u) => u.modules.test(m)))).toEqual([]);
      // a model's excuse that no longer applies must go
      const own = (UNNAMEABLE[model] ?? []).filter((u) => u.exports === undefined || u.exports === exp);
      expect(own.filter((u) => !unnamed.some((m) => u.modules.test(m))).map((u) => u.reason)).toEqual([]);
    });

    it('names every block, and the attention inside each transformer block', () => {
      const names = new Set(hooked.hookPoints.map((h) => h.name));
      expect(meta.blocks.filter((b) => !names.has(`${b}.output`))).toEqual([]);
      const attention = meta.architecture === 'cnn' ? [] : meta.blocks.map(() => true);
      expect(hooked.attention.sites.map((s) => s.module?.startsWith(`${meta.blocks[s.layer]!}.`))).toEqual(attention);
    });
  }
});

describe('quantize_dynamic on a dynamo export (the zoo’s int8 ResNet: ConvInteger nodes without a scope)', () => {
  it('places each product in its weight’s module, names the stage outputs, and names no input that a quantization step reads first', async () => {
    const model = await HookedModel.load(`${ZOO}resnet/quantized.onnx`, { probe: false });
    const names = new Set(model.hookPoints.map((h) => h.name));
    expect(['resnet.encoder.stages.0.output', 'resnet.encoder.stages.1.output'].filter((n) => !names.has(n))).toEqual([]);
    // the stage's first ConvInteger reads DynamicQuantizeLinear's int8 copy of the stage input, not the float input itself
    expect(names.has('resnet.encoder.stages.0.input')).toBe(false);
    // the int32 product is dequantized (and its bias added) outside the convolution's nodes
    expect([...names].filter((n) => /\.convolution\.(input|output)$/.test(n))).toEqual([]);
    await model.dispose();
  });
});

describe('exporter conventions, on the gpt2l fixture renamed as each exporter would', () => {
  let torchscript: HookedModel;
  beforeAll(async () => {
    torchscript = await HookedModel.load(modelBytes('gpt2l'), { probe: false });
  });
  const named = (model: HookedModel) => new Map(model.hookPoints.filter((h) => h.kind !== 'value').map((h) => [h.name, h.value]));

  it('reads the dynamo exporter’s namespace metadata where name_scopes is absent', async () => {
    const dynamo = decodeModel(modelBytes('gpt2l'));
    dynamo.graph.nodes.forEach((node, i) => {
      const parts = node.name.split('/').slice(1, -1);
      const modules = parts.map((_, k) => `${parts.slice(0, k + 1).join('.')}: mod.Class${k}`);
      const value = [': mod.Root', ...modules, `node_${i}: aten.op.default`].join('/');
      const entry = toBinary(onnx.StringStringEntryProtoSchema, create(onnx.StringStringEntryProtoSchema, { key: 'namespace', value }));
      node.name = `node_${node.opType}_${i}`;
      node.$unknown = [{ no: 9, wireType: WireType.LengthDelimited, data: new BinaryWriter().bytes(entry).finish() }];
    });
    expect(named(await HookedModel.load(dynamo, { probe: false }))).toEqual(named(torchscript));
  });

  it('maps TorchScript’s names inside nn.Sequential (/blocks/blocks.0/…) to torch’s module paths', async () => {
    const sequential = decodeModel(modelBytes('gpt2l'));
    for (const node of sequential.graph.nodes) node.name = node.name.replace(/^\/blocks\.(\d+)\//, '/blocks/blocks.$1/');
    const names = named(await HookedModel.load(sequential, { probe: false }));
    expect(names.get('blocks.0.attn.W_Q.output')).toBe(torchscript.hookPoint('blocks.0.attn.W_Q.output').value);
    expect(names.get('blocks.output')).toBe(torchscript.hookPoint('blocks.1.output').value);
    expect([...names.keys()].filter((n) => n.startsWith('blocks.blocks'))).toEqual([]);
  });

  it('places a node a tool inserted (named after the value it reads) outside the module that made the value', async () => {
    const quantized = decodeModel(modelBytes('gpt2l'));
    const embedOut = torchscript.hookPoint('embed.output').value;
    const copy = quantized.graph.addNode({ opType: 'Identity', inputs: [embedOut], outputs: ['embed_copy'], name: `${embedOut}_QuantizeLinear` });
    for (const node of quantized.graph.nodes) node.input.forEach((input, i) => node !== copy && input === embedOut && (node.input[i] = 'embed_copy'));
    quantized.graph.invalidate();
    const model = await HookedModel.load(quantized, { probe: false });
    expect(model.hookPoint('embed.output').value).toBe(embedOut);
    expect(model.hookPoint('embed_copy').scope).toBe('');
  });
});

describe('modules whose values vary only with the input’s size (positions, token types: no data from the input)', () => {
  /**
   * The module's output is a `Gather` of rows of a weight table; setting it to `v` (or adding `v`)
   * at every position equals running the unhooked model with every row of that table set to `v`
   * (or shifted by `v`) — a reference that uses no hook point.
   */
  const cases = [
    ['gpt2', 'torchscript', 'transformer.wpe'],
    ['gpt2', 'dynamo', 'transformer.wpe'],
    ['bert', 'torchscript', 'bert.embeddings.position_embeddings'],
    ['bert', 'dynamo', 'bert.embeddings.token_type_embeddings'],
  ] as const;

  it.each(cases)('%s %s: %s.output is cached as torch computed it, and set / add on it equal the same edit of its weight table', async (model, exp, module) => {
    const ref = readNpz(readFileSync(`${ZOO}${model}/reference.npz`));
    const feeds = { input_ids: ref['input.input_ids']! };
    const bytes = readFileSync(`${ZOO}${model}/${exp}.onnx`);
    const hooked = await HookedModel.load(bytes);
    const point = hooked.hookPoint(`${module}.output`);
    expect(point.data).toBe(false);
    const { cache } = await hooked.runWithCache(feeds, { hooks: [point.name] });
    expect(closeness(cache.get(point.name), ref[`module.${module}`]!, 1e-5, 1e-5)).toBeLessThanOrEqual(1);
    const gather = hooked.model.graph.producerOf(point.value)!;
    expect(gather.opType).toBe('Gather');
    const table = tensorFromProto(hooked.model.graph.initializer(gather.input[0]!)!);
    const [rows, width] = table.shape as [number, number];
    const v = uniform(mulberry32(17), [width]);
    const edits: [Intervention, (row: number, j: number) => number][] = [
      [{ hook: point.name, op: 'add', value: v }, (row, j) => Number(table.data[row * width + j]) + v.data[j]!],
      [{ hook: point.name, op: 'set', value: v }, (_, j) => v.data[j]!],
    ];
    for (const [edit, entry] of edits) {
      const edited = await hooked.run(feeds, { interventions: [edit] });
      const ir = decodeModel(bytes);
      const proto = ir.graph.initializer(gather.input[0]!)!;
      const values = Float32Array.from({ length: rows * width }, (_, i) => entry(Math.floor(i / width), i % width));
      Object.assign(proto, { floatData: [], externalData: [] }, tensorToProto(proto.name, new Tensor('float32', values, [rows, width])));
      const reference = await HookedModel.load(ir, { probe: false });
      const expected = await reference.run(feeds);
      for (const [name, tensor] of Object.entries(expected)) expect(closeness(edited[name]!, tensor, 1e-5, 1e-5)).toBeLessThanOrEqual(1);
      // the edit matters: the outputs moved
      const plain = await hooked.run(feeds);
      expect(Object.entries(plain).some(([name, t]) => closeness(edited[name]!, t, 1e-4, 1e-4) > 1)).toBe(true);
      await reference.dispose();
    }
    await hooked.dispose();
  });
});
