import { readFileSync } from 'node:fs';
import { MechintError, Tensor, gradients, loadModel } from '../src/index.node.js';
import { readNpz } from '../src/io/index.js';
import { cpuBackend } from './helpers/gradcheck.js';
import { fixturePath } from './helpers/fixtures.js';

/**
 * Gradients on the zoo's exports (tools/fixtures/zoo) against torch autograd, from
 * tools/fixtures/zoo/make_grads.py: L = Σ output ⊙ R (R in grads.npz as `seed`), differentiated
 * with respect to the float input or the token-embedding output, both block outputs and two
 * weight matrices of the last block — each where grads.json says the export holds it. A gradient
 * agrees when max |ours − torch| ≤ 1e-4 · max |torch| (1e-4 relative to the gradient's scale).
 *
 * quantized.onnx (not ResNet's, quantized from an export with BatchNorm folded into its kernels) is
 * checked against torch on its dequantized weights, with the inputs of its
 * integer products fake-quantized as DynamicQuantizeLinear does and straight-through: exactly what
 * the straight-through rules promise. Where onnxruntime's u8×s8 MatMulInteger kernel saturates
 * (the exact integer product differs in a few elements on CPUs without VNNI; make_grads.py records
 * the forward gap as `torch_vs_onnxruntime_max_abs`), the forward values the backward pass reads
 * differ by that much, and the tolerance is 5e-2 relative instead.
 */

interface Located {
  value: string;
  transposed?: boolean;
}
interface ExportInfo {
  file?: string;
  values?: Record<string, Located>;
  skipped?: string;
  torch_vs_onnxruntime_max_abs?: number;
}
interface GradsInfo {
  of: string;
  exports: Record<string, ExportInfo>;
}

const zoo = (model: string, file: string) => fixturePath(`zoo/${model}/${file}`);
const info = (model: string) => JSON.parse(readFileSync(zoo(model, 'grads.json'), 'utf8')) as GradsInfo;
const arrays = (model: string, file: string) => readNpz(readFileSync(zoo(model, file)));

function transpose2d(t: Tensor): Float32Array {
  const [rows, cols] = t.shape as [number, number];
  const data = t.data as Float32Array;
  return Float32Array.from({ length: rows * cols }, (_, k) => data[(k % rows) * cols + Math.floor(k / rows)]!);
}

/** max |a − b| / max |b|. */
function relativeGap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let gap = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    gap = Math.max(gap, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return gap / scale;
}

async function compare(model: string, exportName: string): Promise<Record<string, number>> {
  const grads = info(model);
  const spec = grads.exports[exportName]!;
  const ref = arrays(model, 'grads.npz');
  const inputs = arrays(model, 'reference.npz');
  const inputName = Object.keys(inputs).find((k) => k.startsWith('input.'))!.slice('input.'.length);
  const prefix = exportName === 'quantized' ? 'quantized.' : '';
  const located: [string, Located][] = Object.entries(spec.values!);
  if (ref[`${prefix}input.${inputName}`] !== undefined) located.unshift([`input.${inputName}`, { value: inputName }]);
  const onnx = await loadModel(zoo(model, spec.file!));
  const { model: withGrads, grads: names, seedInput } = gradients(onnx, { of: grads.of, wrt: located.map(([, l]) => l.value), seed: 'input' });
  const session = await (await cpuBackend()).session(withGrads);
  const out = await session.run({ [inputName]: inputs[`input.${inputName}`]!, [seedInput!]: ref['seed']! });
  return Object.fromEntries(
    located.map(([key, l]) => {
      const ours = out[names[l.value]!]!;
      const torch = ref[`${prefix}${key}`]!;
      expect({ key, shape: l.transposed === true ? [...ours.shape].reverse() : ours.shape }).toEqual({ key, shape: torch.shape });
      return [key, relativeGap(l.transposed === true ? transpose2d(ours) : (ours.data as Float32Array), torch.data as Float32Array)];
    }),
  );
}

const FUSED = ['gpt2', 'gpt_neox', 'llama', 'bert', 'vit', 'whisper_encoder'] as const;
const QUANTIZED = ['gpt2', 'gpt_neox', 'llama', 'bert', 'vit', 'whisper_encoder'] as const;

describe('plain exports (TorchScript, dynamo) of the same references', () => {
  const models = ['gpt2', 'gpt_neox', 'llama', 'bert', 'vit', 'resnet', 'whisper_encoder'] as const;
  const plain: [string, 'torchscript' | 'dynamo'][] = (['torchscript', 'dynamo'] as const).flatMap((exporter) => models.map((m) => [m, exporter] as [string, typeof exporter]));
  for (const [model, exporter] of plain) {
    it(`${model} ${exporter}: every located gradient agrees with torch autograd to 1e-4`, async () => {
      const gaps = await compare(model, exporter);
      expect(Object.keys(gaps).length).toBeGreaterThanOrEqual(3);
      expect(Object.entries(gaps).filter(([, gap]) => !(gap <= 1e-4))).toEqual([]);
    }, 60_000);
  }
});

describe('fused exports (Attention, SkipLayerNormalization, FastGelu, BiasGelu, Gelu, RotaryEmbedding, SkipSimplifiedLayerNormalization, SimplifiedLayerNormalization)', () => {
  for (const model of FUSED) {
    it(`${model}: input or embedding, block outputs and last-block weights agree with torch autograd to 1e-4`, async () => {
      const gaps = await compare(model, 'fused');
      expect(Object.keys(gaps).length).toBeGreaterThanOrEqual(3);
      expect(Object.entries(gaps).filter(([, gap]) => !(gap <= 1e-4))).toEqual([]);
    }, 60_000);
  }
});

describe('quantized exports (DynamicQuantizeLinear + MatMulInteger, QAttention, ConvInteger, DequantizeLinear), straight-through', () => {
  for (const model of QUANTIZED) {
    it(`${model}: gradients agree with torch on the dequantized weights`, async () => {
      const forwardGap = info(model).exports['quantized']!.torch_vs_onnxruntime_max_abs!;
      const tolerance = forwardGap <= 1e-6 ? 1e-4 : 5e-2;
      const gaps = await compare(model, 'quantized');
      expect(Object.keys(gaps).length).toBeGreaterThanOrEqual(1);
      expect(Object.entries(gaps).filter(([, gap]) => !(gap <= tolerance))).toEqual([]);
    }, 60_000);
  }
  it("quantized: 'refuse' names the first quantize step on the way", async () => {
    const onnx = await loadModel(zoo('gpt2', 'quantized.onnx'));
    const wrt = Object.values(info('gpt2').exports['quantized']!.values!)[0]!.value;
    let error: unknown;
    try {
      gradients(onnx, { of: 'logits', wrt: [wrt], quantized: 'refuse' });
    } catch (e) {
      error = e;
    }
    expect(MechintError.isInstance(error) && error.code).toBe('UNSUPPORTED_OP');
    expect((error as Error).message).toMatch(/^DynamicQuantizeLinear node '[^']+' rounds its input/);
  });
});
