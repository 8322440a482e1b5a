import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { HookedModel, MechintError, Tensor, readNpz, type Intervention } from '../src/index.node.js';
import { closeness } from './helpers/compare.js';

/**
 * Caching and editing on real exports: every model of the zoo (tools/fixtures/zoo/make_zoo.py) in
 * every export — TorchScript, dynamo, the transformer optimizer's fused graph (loaded with
 * `{ unfuse: true }` where it has fused attention) and its int8 quantization. The edits are the
 * ones the generator made with torch hooks (`meta.ablate`, `meta.patch`; references `ablate.*`,
 * `patch.*`). Where an export cannot express an edit, the refusal itself is the specification.
 */
const ZOO = new URL('./fixtures/zoo/', import.meta.url).pathname;

interface ZooExport {
  file?: string;
  ops?: Record<string, number>;
  max_abs_error?: number;
}
interface ZooMeta {
  architecture: string;
  ablate: { layer: number; head?: number; channel?: number; module: string };
  patch: { layer: number; position: number | [number, number]; module: string };
  exports: Record<string, ZooExport>;
}

const cases = readdirSync(ZOO)
  .filter((m) => existsSync(`${ZOO}${m}/meta.json`))
  .flatMap((m) => {
    const meta = JSON.parse(readFileSync(`${ZOO}${m}/meta.json`, 'utf8')) as ZooMeta;
    return Object.entries(meta.exports)
      .filter(([, e]) => e.file !== undefined)
      .map(([exp, e]) => [m, exp, meta, e] as const);
  });

/** Exports whose float32 runs equal torch's; the quantized ones round weights and activations to int8. */
const FLOAT = new Set(['torchscript', 'dynamo', 'fused']);

/**
 * Edits an export cannot express, and why; each is asserted as a refusal (`UNKNOWN_HOOK`), with
 * the model's own explanation where `describeAttention` gives one (`says`).
 */
const REFUSED: Record<string, { ablate?: { reason: string; says?: RegExp }; patch?: { reason: string; says?: RegExp } }> = {
  'bert/quantized': {
    ablate: { reason: 'QAttention keeps the heads inside one int8 kernel, and unfuse does not rewrite it', says: /QAttention/ },
    patch: { reason: 'SkipLayerNormalization computes the block output under an optimizer name; QAttention hides the attention layers that would name it', says: /QAttention/ },
  },
  'whisper_encoder/quantized': {
    ablate: { reason: 'QAttention keeps the heads inside one int8 kernel, and unfuse does not rewrite it', says: /QAttention/ },
    patch: { reason: 'SkipLayerNormalization computes the block output under an optimizer name; QAttention hides the attention layers that would name it', says: /QAttention/ },
  },
};

/**
 * Exports whose block output is no module's `.output`: the optimizer fused the block's last
 * residual addition (and, post-LN, its last normalisation) into a scope-less
 * `SkipLayerNormalization` / `SkipSimplifiedLayerNormalization`. The patch goes through the
 * TransformerLens alias of the block's output instead — `hook_resid_post` in a pre-LN or parallel
 * block (`HookedTransformer`), `hook_normalized_resid_post` in a post-LN one (`HookedEncoder`):
 * the node's input_skip_bias_sum (output 3) or its output 0, which load exposes.
 */
const BLOCK_ALIAS: Record<string, string> = {
  'gpt2/fused': 'hook_resid_post',
  'gpt2/quantized': 'hook_resid_post',
  'gpt_neox/fused': 'hook_resid_post',
  'gpt_neox/quantized': 'hook_resid_post',
  'llama/fused': 'hook_resid_post',
  'llama/quantized': 'hook_resid_post',
  'vit/fused': 'hook_resid_post',
  'vit/quantized': 'hook_resid_post',
  'whisper_encoder/fused': 'hook_resid_post',
  'bert/fused': 'hook_normalized_resid_post',
};

/**
 * Int8 edits whose effect torch's float model shows is smaller than the noise dynamic quantization
 * adds to the edit itself, so ours cannot be told apart from torch's: checked only to stay within
 * the int8 tolerance of torch's effect, and to change the outputs at all.
 */
const BELOW_INT8_NOISE: Record<string, string> = {
  'resnet/quantized/patch':
    'one spatial position of stage 0 moves the logits by ≤ 0.006 in torch; the patched position changes DynamicQuantizeLinear’s range for the whole next input, which rounds every position anew (≈ 0.005 on the logits)',
};

const fusedAttention = (e: ZooExport) => Object.keys(e.ops ?? {}).some((op) => /^com\.microsoft\.(Attention|MultiHeadAttention|GroupQueryAttention)$/.test(op));
const quantizedAttention = (e: ZooExport) => Object.keys(e.ops ?? {}).some((op) => op === 'com.microsoft.QAttention');

const inputs = (ref: Record<string, Tensor>, prefix: string) =>
  Object.fromEntries(Object.entries(ref).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));

function refusal(run: () => unknown): MechintError {
  try {
    run();
  } catch (e) {
    if (MechintError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected a MechintError');
}

function minus(a: Tensor, b: Tensor): Tensor {
  expect(a.shape).toEqual(b.shape);
  return Tensor.from(Float32Array.from(a.data as Float32Array, (x, i) => x - Number(b.data[i])), [...a.shape], 'float32');
}

const maxAbs = (t: Tensor) => (t.data as Float32Array).reduce((m, x) => Math.max(m, Math.abs(x)), 0);

describe('axis roles in models that fix their number of positions (no symbolic sequence dim)', () => {
  it.each([
    ['vit', 'vit.layers.0.output', 17],
    ['whisper_encoder', 'layers.0.output', 8],
  ])('%s: %s [batch, %i, 32] has its position axis, as the attention patterns say', async (name, hook, positions) => {
    const model = await HookedModel.load(`${ZOO}${name}/torchscript.onnx`);
    expect(model.hookPoint(hook)).toMatchObject({ shape: ['batch', positions, 32], axes: { batch: 0, position: 1, feature: 2 } });
    expect(model.hookPoint('blocks.0.attn.hook_pattern').shape).toEqual(['batch', 4, positions, positions]);
  });

  it('whisper_encoder: the input [batch, 8 mel bins, 16 frames] gets no position axis, though it has 8 rows', async () => {
    const model = await HookedModel.load(`${ZOO}whisper_encoder/torchscript.onnx`);
    expect(model.hookPoint('input_features').axes).not.toHaveProperty('position');
  });

  it('vit: the patch embedding’s NCHW map keeps its channel axis and gets no position axis', async () => {
    const model = await HookedModel.load(`${ZOO}vit/torchscript.onnx`);
    expect(model.hookPoint('vit.embeddings.patch_embeddings.projection.output').axes).toEqual({ batch: 0, channel: 1 });
  });
});

it('has zoo models with every export to check', () => {
  expect(new Set(cases.map(([, exp]) => exp))).toEqual(new Set(['torchscript', 'dynamo', 'fused', 'quantized']));
});

describe.each(cases)('%s, %s export', (name, exp, meta, info) => {
  const ref = readNpz(readFileSync(`${ZOO}${name}/reference.npz`));
  const feeds = inputs(ref, 'input.');
  const corrupted = inputs(ref, 'corrupted.');
  const outputNames = Object.keys(inputs(ref, 'output.'));
  const float = FLOAT.has(exp);
  let model: HookedModel;
  let plain: Record<string, Tensor>;

  /**
   * Ours against torch's reference `<kind>.<output>`: equal within 1e-5 for float exports; for int8
   * exports (torch's reference is of the float model) our edit's effect (edited − plain, both ours)
   * against torch's (`<kind>` − `output`), within twice the export's recorded int8 error against torch.
   */
  function expectReference(edited: Record<string, Tensor>, kind: 'ablate' | 'patch'): void {
    for (const output of outputNames) {
      const want = ref[`${kind}.${output}`]!;
      if (float) {
        expect(closeness(edited[output]!, want, 1e-5, 1e-5)).toBeLessThanOrEqual(1);
      } else {
        const tolerance = 2 * info.max_abs_error!;
        const ours = minus(edited[output]!, plain[output]!);
        const torch = minus(want, ref[`output.${output}`]!);
        const gap = maxAbs(minus(ours, torch));
        expect(gap).toBeLessThanOrEqual(tolerance);
        // A no-op edit misses torch's effect by the whole effect, so it fails the check above wherever torch's
        // edit moves the output further than the tolerance; where it moves it less (ViT's position patch
        // reaches the CLS logits through one attention layer only), ours must be within half of torch's effect.
        if (maxAbs(torch) > tolerance) continue;
        if (BELOW_INT8_NOISE[`${name}/${exp}/${kind}`] === undefined) expect(gap).toBeLessThan(maxAbs(torch) / 2);
        else expect(maxAbs(ours)).toBeGreaterThan(0); // a no-op edit leaves the outputs bit-equal
      }
    }
  }

  beforeAll(async () => {
    model = await HookedModel.load(`${ZOO}${name}/${info.file!}`, { unfuse: fusedAttention(info) });
    plain = await model.run(feeds);
  });

  it('runWithCache of every data-carrying hook point, in one call, leaves the outputs as a plain run; cached values equal caching each alone', async () => {
    const hooks = model.hookPoints.filter((h) => h.data).map((h) => h.name);
    const { outputs, cache } = await model.runWithCache(feeds, { hooks });
    for (const output of Object.keys(plain)) expect(closeness(outputs[output]!, plain[output]!, 1e-6, 1e-6)).toBeLessThanOrEqual(1);
    const sample = [hooks[Math.floor(hooks.length / 3)]!, hooks[Math.floor((2 * hooks.length) / 3)]!];
    for (const hook of sample) {
      const alone = await model.runWithCache(feeds, { hooks: [hook] });
      // ≤ 1e-6 abs + rel, not bit-equal: onnxruntime folds a BatchNormalization into its Conv only where
      // the Conv's output is not fetched (ResNet's TorchScript export), a few float32 ulps apart
      expect(closeness(cache.get(hook), alone.cache.get(hook), 1e-6, 1e-6)).toBeLessThanOrEqual(1);
    }
  });

  const refused = REFUSED[`${name}/${exp}`] ?? {};
  const expectRefusal = (hook: string, why: { says?: RegExp }) => {
    expect(refusal(() => model.hookPoint(hook)).code).toBe('UNKNOWN_HOOK');
    if (why.says !== undefined) expect(model.describeAttention()).toMatch(why.says);
  };

  if (refused.ablate !== undefined) {
    const hook = meta.ablate.channel !== undefined ? `${meta.ablate.module}.output` : `blocks.${meta.ablate.layer}.attn.hook_z`;
    it(`${meta.ablate.channel !== undefined ? 'channel' : 'head'} ablation is refused (${hook} unknown): ${refused.ablate.reason}`, async () => {
      expectRefusal(hook, refused.ablate!);
      if (quantizedAttention(info)) await expect(HookedModel.load(`${ZOO}${name}/${info.file!}`, { unfuse: true })).rejects.toMatchObject({ code: 'UNSUPPORTED_OP' });
    });
  } else if (meta.ablate.channel !== undefined) {
    it(`channel ablation (${meta.ablate.module}.output, channels [${meta.ablate.channel}] zeroed) equals torch's ${float ? 'within 1e-5' : 'effect within twice the int8 error'}`, async () => {
      const edited = await model.run(feeds, { interventions: [{ hook: `${meta.ablate.module}.output`, op: 'zero', channels: [meta.ablate.channel!] }] });
      expectReference(edited, 'ablate');
    });
  } else {
    it(`head ablation (blocks.${meta.ablate.layer}.attn.hook_z, head ${meta.ablate.head} zeroed) equals torch's ${float ? 'within 1e-5' : 'effect within twice the int8 error'}`, async () => {
      const edited = await model.run(feeds, { interventions: [{ hook: `blocks.${meta.ablate.layer}.attn.hook_z`, op: 'zero', heads: [meta.ablate.head!] }] });
      expectReference(edited, 'ablate');
    });
  }

  const alias = BLOCK_ALIAS[`${name}/${exp}`];
  const hook = alias === undefined ? `${meta.patch.module}.output` : `blocks.${meta.patch.layer}.${alias}`;
  const spatial = Array.isArray(meta.patch.position);
  if (refused.patch !== undefined) {
    it(`position patch is refused (${hook} unknown): ${refused.patch.reason}`, () => expectRefusal(hook, refused.patch!));
    return;
  }
  const noise = BELOW_INT8_NOISE[`${name}/${exp}/patch`];
  const claim = float ? 'equals torch’s within 1e-5' : noise === undefined ? 'equals torch’s effect within twice the int8 error' : `stays within twice the int8 error of torch’s effect, which is below the int8 noise: ${noise}`;
  it(`position patch of ${hook} from corrupted.* ${claim}`, async () => {
    const { cache } = await model.runWithCache(corrupted, { hooks: [hook] });
    const value = cache.get(hook);
    let edited: Record<string, Tensor>;
    if (spatial) {
      // NCHW: one spatial position is (h, w) on axes 2 and 3, which no declarative selector names;
      // a JS hook writes that column of every channel from the corrupted run.
      const [h, w] = meta.patch.position as [number, number];
      edited = await model.run(feeds, {
        hooks: {
          [hook]: (activation) => {
            const [b, c, height, width] = activation.shape as [number, number, number, number];
            const data = Float32Array.from(activation.data as Float32Array);
            for (let i = 0; i < b * c; i++) data[(i * height + h) * width + w] = Number(value.data[(i * height + h) * width + w]);
            return Tensor.from(data, [b, c, height, width], 'float32');
          },
        },
      });
    } else {
      const patch: Intervention = { hook, op: 'patch', positions: [meta.patch.position as number], value };
      edited = await model.run(feeds, { interventions: [patch] });
    }
    expectReference(edited, 'patch');
  });
});
