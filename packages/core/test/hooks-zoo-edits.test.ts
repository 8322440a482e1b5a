import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { HookedModel, MechintError, Tensor, readNpz, type Intervention } from '../src/index.node.js';
import { closeness } from './helpers/compare.js';
import { thrownMechintError } from './helpers/errors.js';

/**
 * Caching and editing on real exports: every model of the zoo (tools/fixtures/zoo/make_zoo.py) in
 * every export — TorchScript, dynamo, the transformer optimizer's fused graph (loaded with
 * `{ unfuse: true }` where it has fused attention) and its int8 quantization (also loaded with
 * `{ unfuse: true }` where it has int8 `QAttention`). The edits are the
 * ones the generator made with torch hooks (`meta.ablate`, `meta.patch`; references `ablate.*`,
 * `patch.*`). Where the block's module output is not named, the patch goes through the block's
 * TransformerLens residual alias.
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
 * Exports whose block output is no module's `.output`: the optimizer fused the block's last
 * residual addition (and, post-LN, its last normalisation) into a scope-less
 * `SkipLayerNormalization` / `SkipSimplifiedLayerNormalization`. The patch goes through the
 * TransformerLens alias of the block's output instead — `hook_resid_post` in a pre-LN or parallel
 * block (`HookedTransformer`), `hook_normalized_resid_post` in a post-LN one (`HookedEncoder`):
 * the `Add` / the normalisation that load splits out of the fused node (`splitSkipNorms`).
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
  'whisper_encoder/quantized': 'hook_resid_post',
  'bert/quantized': 'hook_normalized_resid_post',
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

/**
 * int8 edits whose effect in torch's float model is smaller than twice the export's int8 error, so that
 * torch's reference cannot tell the edit from a no-op there; the exact dequantized reference checks them
 * (asserted: torch's effect is within the tolerance).
 */
const BELOW_INT8_ERROR: Record<string, string> = {
  'bert/quantized/ablate': 'torch’s head ablation moves BERT’s logits by 1.1e-3, the int8 error is 3.4e-2',
};

/** Exports with attention `unfuse` rewrites: the fused operators, and int8 `QAttention` (as attention on its dequantized input and weights). */
const fusedAttention = (e: ZooExport) => Object.keys(e.ops ?? {}).some((op) => /^com\.microsoft\.(Q?Attention|MultiHeadAttention|GroupQueryAttention)$/.test(op));
const quantizedAttention = (e: ZooExport) => Object.keys(e.ops ?? {}).some((op) => op === 'com.microsoft.QAttention');

const inputs = (ref: Record<string, Tensor>, prefix: string) =>
  Object.fromEntries(Object.entries(ref).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));


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
        if (BELOW_INT8_ERROR[`${name}/${exp}/${kind}`] !== undefined) {
          expect(maxAbs(torch)).toBeLessThanOrEqual(tolerance);
          continue;
        }
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

  if (meta.ablate.channel !== undefined) {
    it(`channel ablation (${meta.ablate.module}.output, channels [${meta.ablate.channel}] zeroed) equals torch's ${float ? 'within 1e-5' : 'effect within twice the int8 error'}`, async () => {
      const edited = await model.run(feeds, { interventions: [{ hook: `${meta.ablate.module}.output`, op: 'zero', channels: [meta.ablate.channel!] }] });
      expectReference(edited, 'ablate');
    });
  } else {
    const below = BELOW_INT8_ERROR[`${name}/${exp}/ablate`];
    const torchSays = float ? 'equals torch’s within 1e-5' : below === undefined ? 'equals torch’s effect within twice the int8 error' : `is checked against torch only as below the int8 error (${below})`;
    it(`head ablation (blocks.${meta.ablate.layer}.attn.hook_z, head ${meta.ablate.head} zeroed) ${torchSays}`, async () => {
      const edited = await model.run(feeds, { interventions: [{ hook: `blocks.${meta.ablate.layer}.attn.hook_z`, op: 'zero', heads: [meta.ablate.head!] }] });
      expectReference(edited, 'ablate');
    });
    if (quantizedAttention(info)) {
      // tools/fixtures/zoo/quantized_exact.py: the int8 model with each QAttention run as onnxruntime's float
      // Attention on its dequantized input and weights — what unfuse computes — plain and with the ablation
      it('unfused QAttention: the plain run and the head ablation equal the exact dequantized int8 model’s within 1e-5', async () => {
        const exact = readNpz(readFileSync(`${ZOO}${name}/quantized_exact.npz`));
        const edited = await model.run(feeds, { interventions: [{ hook: `blocks.${meta.ablate.layer}.attn.hook_z`, op: 'zero', heads: [meta.ablate.head!] }] });
        for (const output of outputNames) {
          expect(closeness(plain[output]!, exact[`output.${output}`]!, 1e-5, 1e-5)).toBeLessThanOrEqual(1);
          expect(closeness(edited[output]!, exact[`ablate.${output}`]!, 1e-5, 1e-5)).toBeLessThanOrEqual(1);
          expect(maxAbs(minus(exact[`ablate.${output}`]!, exact[`output.${output}`]!))).toBeGreaterThan(1e-3); // not a no-op
        }
      });
    }
  }

  const alias = BLOCK_ALIAS[`${name}/${exp}`];
  const hook = alias === undefined ? `${meta.patch.module}.output` : `blocks.${meta.patch.layer}.${alias}`;
  const spatial = Array.isArray(meta.patch.position);
  if (alias !== undefined) {
    it(`names no ${meta.patch.module}.output (the block ends inside a fused residual normalisation), so the patch goes through ${hook}`, () => {
      expect(thrownMechintError(() => model.hookPoint(`${meta.patch.module}.output`)).code).toBe('UNKNOWN_HOOK');
    });
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
