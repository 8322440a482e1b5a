import { existsSync, readFileSync } from 'node:fs';
import { HookedModel, Tensor, readNpz } from '../src/index.node.js';
import { closeness } from './helpers/compare.js';

/**
 * TransformerLens names on real exports (the zoo: tools/fixtures/zoo/make_zoo.py). Each name is
 * checked against the torch module whose forward output it is by TransformerLens's definition
 * (`HookedTransformer` for pre-LN GPT-2, `HookedEncoder` for post-LN BERT), and the residual
 * algebra is checked exactly, in float32, on our own cached values.
 */
const ZOO = new URL('./fixtures/zoo/', import.meta.url).pathname;

/**
 * Per zoo model: its block structure, and TransformerLens name → torch module whose forward-hook
 * output it equals (`L`: the layer; `a|b`: `a` for layer 0, `b` after).
 */
const TORCH_EQUIVALENTS: Record<string, { layout: 'pre-ln' | 'post-ln' | 'parallel'; layers: number; names: Record<string, string> }> = {
  gpt2: {
    layout: 'pre-ln',
    layers: 2,
    names: {
      hook_embed: 'transformer.wte',
      hook_pos_embed: 'transformer.wpe',
      'blocks.L.hook_attn_out': 'transformer.h.L.attn',
      'blocks.L.ln1.hook_normalized': 'transformer.h.L.ln_1',
      'blocks.L.ln2.hook_normalized': 'transformer.h.L.ln_2',
      'blocks.L.mlp.hook_pre': 'transformer.h.L.mlp.c_fc',
      'blocks.L.mlp.hook_post': 'transformer.h.L.mlp.act',
      'blocks.L.hook_mlp_out': 'transformer.h.L.mlp',
      'blocks.L.hook_resid_post': 'transformer.h.L',
      'ln_final.hook_normalized': 'transformer.ln_f',
    },
  },
  bert: {
    layout: 'post-ln',
    layers: 2,
    names: {
      hook_embed: 'bert.embeddings.word_embeddings',
      'blocks.L.hook_resid_pre': 'bert.embeddings|bert.encoder.layer.L-1',
      'blocks.L.hook_attn_out': 'bert.encoder.layer.L.attention.output.dense',
      'blocks.L.ln1.hook_normalized': 'bert.encoder.layer.L.attention.output',
      'blocks.L.mlp.hook_pre': 'bert.encoder.layer.L.intermediate.dense',
      'blocks.L.mlp.hook_post': 'bert.encoder.layer.L.intermediate',
      'blocks.L.hook_mlp_out': 'bert.encoder.layer.L.output.dense',
      'blocks.L.hook_normalized_resid_post': 'bert.encoder.layer.L',
    },
  },
  llama: {
    layout: 'pre-ln',
    layers: 2,
    names: {
      hook_embed: 'model.embed_tokens',
      'blocks.L.hook_attn_out': 'model.layers.L.self_attn',
      'blocks.L.hook_mlp_out': 'model.layers.L.mlp',
      'blocks.L.hook_resid_post': 'model.layers.L',
    },
  },
  gpt_neox: {
    layout: 'parallel',
    layers: 2,
    names: {
      hook_embed: 'gpt_neox.embed_in',
      'blocks.L.hook_attn_out': 'gpt_neox.layers.L.attention',
      'blocks.L.mlp.hook_pre': 'gpt_neox.layers.L.mlp.dense_h_to_4h',
      'blocks.L.mlp.hook_post': 'gpt_neox.layers.L.mlp.act',
      'blocks.L.hook_mlp_out': 'gpt_neox.layers.L.mlp',
      'blocks.L.hook_resid_post': 'gpt_neox.layers.L',
    },
  },
  vit: {
    layout: 'pre-ln',
    layers: 2,
    names: {
      'blocks.L.hook_attn_out': 'vit.layers.L.attention',
      'blocks.L.ln1.hook_normalized': 'vit.layers.L.layernorm_before',
      'blocks.L.ln2.hook_normalized': 'vit.layers.L.layernorm_after',
      'blocks.L.mlp.hook_pre': 'vit.layers.L.mlp.fc1',
      'blocks.L.mlp.hook_post': 'vit.layers.L.mlp.activation_fn',
      'blocks.L.hook_mlp_out': 'vit.layers.L.mlp',
      'blocks.L.hook_resid_post': 'vit.layers.L',
    },
  },
  whisper_encoder: {
    layout: 'pre-ln',
    layers: 2,
    names: {
      'blocks.L.hook_attn_out': 'layers.L.self_attn',
      'blocks.L.ln1.hook_normalized': 'layers.L.self_attn_layer_norm',
      'blocks.L.ln2.hook_normalized': 'layers.L.final_layer_norm',
      'blocks.L.mlp.hook_pre': 'layers.L.fc1',
      'blocks.L.mlp.hook_post': 'layers.L.activation_fn',
      'blocks.L.hook_mlp_out': 'layers.L.fc2',
      'blocks.L.hook_resid_post': 'layers.L',
    },
  },
};

/** Per-head q, k, v: the torch module holding them concatenated over heads, and where. */
const QKV: Record<string, (layer: number, which: 0 | 1 | 2) => { module: string; offset: number }> = {
  gpt2: (layer, which) => ({ module: `transformer.h.${layer}.attn.c_attn`, offset: which }),
  bert: (layer, which) => ({ module: `bert.encoder.layer.${layer}.attention.self.${['query', 'key', 'value'][which]}`, offset: 0 }),
  vit: (layer, which) => ({ module: `vit.layers.${layer}.attention.${['q', 'k', 'v'][which]}_proj`, offset: 0 }),
  // Before the rotary embedding, as TransformerLens's hook_q / hook_k; k and v with the key/value heads only.
  llama: (layer, which) => ({ module: `model.layers.${layer}.self_attn.${['q', 'k', 'v'][which]}_proj`, offset: 0 }),
};

/** Models whose graph holds no unscaled per-head q (Whisper scales q before splitting heads; GPT-NeoX splits heads before q, k, v). */
const NO_PER_HEAD_Q = ['whisper_encoder', 'gpt_neox'];

const cases = Object.keys(TORCH_EQUIVALENTS)
  .filter((m) => existsSync(`${ZOO}${m}/meta.json`))
  .flatMap((m) => ['torchscript', 'dynamo'].map((exp) => [m, exp] as const));

/** a + b in float32, as onnxruntime's Add computes it. */
function add(a: Tensor, b: Tensor): Tensor {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  return new Tensor('float32', x.map((v, i) => v + y[i]!), a.shape);
}

/** Elements `[…, offset·d, (offset+1)·d)` of the last axis of `t` (one of q, k, v in a fused projection). */
function lastAxisSlice(t: Tensor, offset: number, d: number): Tensor {
  const width = t.shape.at(-1)!;
  const rows = t.size / width;
  const out = new Float32Array(rows * d);
  for (let r = 0; r < rows; r++) out.set((t.data as Float32Array).subarray(r * width + offset * d, r * width + (offset + 1) * d), r * d);
  return new Tensor('float32', out, [...t.shape.slice(0, -1), d]);
}

it('has zoo transformers to check', () => {
  expect(cases.length).toBeGreaterThan(0);
});

/** A per-layer template (`blocks.L.…`, `….L-1.…`) spelled out for each layer; other names stay as they are. */
function layerNames(template: string, layers: number): string[] {
  return template.includes('.L') ? Array.from({ length: layers }, (_, l) => template.replaceAll('.L-1', `.${l - 1}`).replaceAll('.L', `.${l}`)) : [template];
}

/**
 * The TransformerLens names (`[name template, torch module template]`) whose cached value is not
 * torch's module output (≤1e-5); `a|b` modules read `a` at layer 0 and `b` after it.
 */
function namesOffTorch(entries: readonly (readonly [string, string])[], layers: number, ref: Record<string, Tensor>, cache: (name: string) => Tensor): string[] {
  const wrong: string[] = [];
  for (const [tl, module] of entries) {
    layerNames(tl, layers).forEach((name, l) => {
      const torchPath = layerNames(module, layers)[l] ?? module;
      const torch = ref[`module.${l === 0 && torchPath.includes('|') ? torchPath.split('|')[0] : torchPath.split('|').at(-1)}`]!;
      const ours = cache(name);
      if (ours.shape.join() !== torch.shape.join() || closeness(ours, torch, 1e-5, 1e-5) > 1) wrong.push(name);
    });
  }
  return wrong;
}

describe.each(cases)('%s, %s export', (model, exp) => {
  const ref = readNpz(readFileSync(`${ZOO}${model}/reference.npz`));
  const feeds = Object.fromEntries(Object.entries(ref).filter(([k]) => k.startsWith('input.')).map(([k, v]) => [k.slice('input.'.length), v]));
  const { layout, layers, names } = TORCH_EQUIVALENTS[model]!;
  let hooked: HookedModel;
  let cache: (name: string) => Tensor;
  beforeAll(async () => {
    hooked = await HookedModel.load(`${ZOO}${model}/${exp}.onnx`);
    const run = await hooked.runWithCache(feeds, { hooks: hooked.hookPoints.filter((h) => h.kind === 'alias').map((h) => h.name) });
    cache = (name) => run.cache.get(name);
  });
  afterAll(async () => {
    await hooked.dispose();
  });

  it('follows the block structure the model has, and says so', () => {
    expect(hooked.attention.sites.map((s) => s.residual?.layout)).toEqual(Array.from({ length: layers }, () => layout));
    expect(hooked.describeAttention()).toContain(
      { 'pre-ln': 'pre-LN blocks, HookedTransformer definitions', 'post-ln': 'post-LN blocks, HookedEncoder definitions', parallel: 'parallel attention and MLP' }[layout],
    );
  });

  it('gives each TransformerLens name the value of its torch module', () => {
    expect(namesOffTorch(Object.entries(names), layers, ref, cache)).toEqual([]);
  });

  const qkv = QKV[model];
  if (qkv !== undefined) it('gives per-head q, k and v, split from the projections torch computed', () => {
  for (let layer = 0; layer < layers; layer++) {
      (['q', 'k', 'v'] as const).forEach((which, i) => {
        const ours = cache(`blocks.${layer}.attn.hook_${which}`);
        const [batch, pos, heads, dHead] = ours.shape as [number, number, number, number];
        const { module, offset } = qkv(layer, i as 0 | 1 | 2);
        const torch = lastAxisSlice(ref[`module.${module}`]!, offset, heads * dHead);
        expect(closeness(ours.reshape([batch, pos, heads * dHead]), torch, 1e-5, 1e-5)).toBeLessThanOrEqual(1);
      });
    }
  });

  if (NO_PER_HEAD_Q.includes(model)) it('gives no hook_q where the graph has no unscaled per-head q', () => {
    expect(hooked.hookPoints.filter((h) => /attn\.hook_q$/.test(h.name))).toEqual([]);
  });

  it('keeps the residual algebra exact', () => expectResidualAlgebra(hooked, cache, layout, layers));
});

const fusedCases = Object.keys(TORCH_EQUIVALENTS).filter((m) => existsSync(`${ZOO}${m}/fused.onnx`));

/** TransformerLens names of the residual stream: what the optimizer's fused residual normalisations hold. */
const RESIDUAL_NAME = /^(blocks\.L\.(hook_(resid_pre|resid_mid|resid_post|attn_out|mlp_out|normalized_resid_post)|ln[12]\.hook_normalized)|ln_final\.hook_normalized)$/;

/**
 * The optimizer fused each residual addition with the normalisation after it
 * (`SkipLayerNormalization`, `SkipSimplifiedLayerNormalization`); load splits them back into
 * `Add` + a standard normalisation, so the residual stream is named as in the unfused exports.
 */
describe.each(fusedCases)('%s, fused export (onnxruntime transformer optimizer)', (model) => {
  const ref = readNpz(readFileSync(`${ZOO}${model}/reference.npz`));
  const feeds = Object.fromEntries(Object.entries(ref).filter(([k]) => k.startsWith('input.')).map(([k, v]) => [k.slice('input.'.length), v]));
  const { layout, layers, names } = TORCH_EQUIVALENTS[model]!;
  let hooked: HookedModel;
  let cache: (name: string) => Tensor;
  beforeAll(async () => {
    hooked = await HookedModel.load(`${ZOO}${model}/fused.onnx`, { unfuse: true });
    const run = await hooked.runWithCache(feeds, { hooks: hooked.hookPoints.filter((h) => h.kind === 'alias').map((h) => h.name) });
    cache = (name) => run.cache.get(name);
  });
  afterAll(async () => {
    await hooked.dispose();
  });

  it('splits every fused residual normalisation and follows the block structure the model has', () => {
    expect(hooked.model.graph.nodes.filter((n) => /^Skip(Simplified)?LayerNormalization$/.test(n.opType))).toEqual([]);
    expect(hooked.attention.sites.map((s) => s.residual?.layout)).toEqual(Array.from({ length: layers }, () => layout));
  });

  it('gives the residual stream’s TransformerLens names the values of their torch modules', () => {
    const residual = Object.entries(names).filter(([tl]) => RESIDUAL_NAME.test(tl));
    expect(residual.length).toBeGreaterThan(0);
    expect(namesOffTorch(residual, layers, ref, cache)).toEqual([]);
  });

  it('keeps the residual algebra exact', () => expectResidualAlgebra(hooked, cache, layout, layers));
});

/**
 * pre-LN: `resid_pre + attn_out = resid_mid`, `resid_mid + mlp_out = resid_post`; post-LN:
 * `ln1.hook_normalized + mlp_out = resid_post`; parallel: `resid_pre + attn_out + mlp_out =
 * resid_post` — bit-equal in float32 — and each block's output is the next block's `resid_pre`.
 */
function expectResidualAlgebra(hooked: HookedModel, cache: (name: string) => Tensor, layout: 'pre-ln' | 'post-ln' | 'parallel', layers: number): void {
  for (let layer = 0; layer < layers; layer++) {
    const b = `blocks.${layer}.`;
    if (layout === 'parallel') {
      // Hugging Face sums mlp_out + attn_out first, then the stream (float addition commutes).
      expect(add(add(cache(`${b}hook_mlp_out`), cache(`${b}hook_attn_out`)), cache(`${b}hook_resid_pre`)).data).toEqual(cache(`${b}hook_resid_post`).data);
      expect(hooked.hookPoints.some((h) => h.name === `${b}hook_resid_mid`)).toBe(false);
    } else {
      expect(add(cache(`${b}hook_resid_pre`), cache(`${b}hook_attn_out`)).data).toEqual(cache(`${b}hook_resid_mid`).data);
      const mlpIn = layout === 'post-ln' ? `${b}ln1.hook_normalized` : `${b}hook_resid_mid`;
      expect(add(cache(mlpIn), cache(`${b}hook_mlp_out`)).data).toEqual(cache(`${b}hook_resid_post`).data);
    }
    if (layer + 1 < layers) {
      const out = layout === 'post-ln' ? `${b}hook_normalized_resid_post` : `${b}hook_resid_post`;
      expect(hooked.hookPoint(out).value).toBe(hooked.hookPoint(`blocks.${layer + 1}.hook_resid_pre`).value);
    }
  }
}
