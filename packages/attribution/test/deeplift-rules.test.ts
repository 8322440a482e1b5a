import { readFileSync } from 'node:fs';
import { GraphBuilder, HookedModel, readNpz, seededNormal, Tensor } from '@mechint/core';
import { deepLift } from '../src/index.js';
import { deepLiftModel, elementwiseRegions } from '../src/deeplift-regions.js';
import { itemSums } from './helpers.js';

/** Fixtures of tools/attribution/deeplift_reference.py. */
const fixture = (name: string) => new URL(`fixtures/deeplift/${name}`, import.meta.url).pathname;
const load = (name: string) => HookedModel.load(fixture(name));

function normal(shape: number[], seed: number, scale = 1): Tensor {
  const next = seededNormal(seed);
  return Tensor.from(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * next()), shape);
}

/** The target logit of every item from a plain forward run — independent of DeepLIFT's graph. */
async function targetValues(model: HookedModel, x: Tensor, targets: readonly number[]): Promise<number[]> {
  const y = (await model.run({ x }))['y']!;
  const classes = y.shape[1]!;
  return targets.map((t, b) => (y.data as Float32Array)[b * classes + t]!);
}

describe('DeepLIFT rescale: summation-to-delta where DeepLIFT is exact', () => {
  const targets = [0, 1, 2, 0, 1];
  it.each(['relu_mlp', 'sigmoid_mlp', 'gelu_erf_mlp', 'gelu_tanh_mlp'])('%s: attributions sum to f(x) − f(x′) within 1e-5 relative', async (name) => {
    const model = await load(`${name}.onnx`);
    const x = normal([5, 6], 1, 2);
    const baseline = normal([5, 6], 2, 0.5);
    const { attributions } = await deepLift(model, { x }, { target: targets, baselines: baseline });
    const fx = await targetValues(model, x, targets);
    const fb = await targetValues(model, baseline, targets);
    itemSums(attributions['x']!).forEach((sum, b) => {
      const change = fx[b]! - fb[b]!;
      expect(Math.abs(change)).toBeGreaterThan(1e-3);
      expect(Math.abs(sum - change)).toBeLessThanOrEqual(1e-5 * Math.abs(change));
    });
  });

  it.each([
    ['gelu_erf_mlp', 'Erf'],
    ['gelu_tanh_mlp', 'Tanh'],
  ])('%s: each exported GELU subgraph is one nonlinearity, from its Gemm output to its last Mul', async (name, op) => {
    const { model } = await load(`${name}.onnx`);
    const { regions } = elementwiseRegions(model.graph);
    expect(regions).toHaveLength(2);
    for (const { x, y } of regions) {
      expect(model.graph.producerOf(x)!.opType).toBe('Gemm');
      expect(model.graph.producerOf(y)!.opType).toBe('Mul');
      expect(model.graph.consumersOf(y).map((n) => n.opType)).toEqual(['Gemm']);
    }
    expect(model.graph.nodes.filter((n) => n.opType === op)).toHaveLength(2);
  });
});

/**
 * x [batch, 4] → h = x·W1 + b1, then elementwise chains of h written out as exporters do:
 * SiLU h·σ(h), Mish h·tanh(log(1 + eʰ)), a = relu(h) read by a MatMul and by 2·a, and
 * √(h² + 1); each read by a MatMul into y [batch, 3].
 */
function chainsModel() {
  const g = new GraphBuilder({ name: 'chains' });
  const x = g.input('x', 'float32', ['batch', 4]);
  const w = (seed: number, rows: number, cols: number) => g.param(`w${seed}`, normal([rows, cols], seed));
  const h = g.add(g.matmul(x, w(10, 4, 5)), g.param('b1', normal([5], 11)));
  const silu = g.mul(h, g.sigmoid(h));
  const mish = g.mul(h, g.tanh(g.log(g.add(g.exp(h), 1))));
  const a = g.relu(h);
  const twice = g.mul(a, 2);
  const root = g.sqrt(g.add(g.pow(h, 2), 1));
  const parts = [silu, mish, a, twice, root].map((v, i) => g.matmul(v, w(20 + i, 5, 3)));
  g.output(parts.reduce((s, p) => g.add(s, p)), 'y');
  return g.build();
}

describe('DeepLIFT rescale: elementwise chains of one value', () => {
  it('finds SiLU, Mish, ReLU (and 2·ReLU), √(h² + 1) as nonlinearities of h', async () => {
    const { regions } = elementwiseRegions(chainsModel().graph);
    expect(regions).toHaveLength(5);
    expect(new Set(regions.map((r) => r.x)).size).toBe(1);
  });

  it('attributions sum to f(x) − f(x′) within 1e-5 relative on the chains', async () => {
    const model = await HookedModel.load(chainsModel());
    const x = normal([4, 4], 5, 1.5);
    const baseline = normal([4, 4], 6, 0.3);
    const targets = [0, 1, 2, 1];
    const { attributions } = await deepLift(model, { x }, { target: targets, baselines: baseline });
    const fx = await targetValues(model, x, targets);
    const fb = await targetValues(model, baseline, targets);
    itemSums(attributions['x']!).forEach((sum, b) => {
      const change = fx[b]! - fb[b]!;
      expect(Math.abs(change)).toBeGreaterThan(1e-3);
      expect(Math.abs(sum - change)).toBeLessThanOrEqual(1e-5 * Math.abs(change));
    });
  });

  it("where x = x′ the multipliers are the gradients (Captum's eps fallback), through a whole GELU chain", async () => {
    const model = await load('gelu_erf_mlp.onnx');
    const prepared = await deepLiftModel(model);
    const x = normal([2, 6], 7);
    const pair = Tensor.from(Float32Array.from([...(x.data as Float32Array), ...(x.data as Float32Array)]), [4, 6]);
    const seed = Tensor.from(Float32Array.from({ length: 12 }, (_, i) => (i === 1 || i === 3 ? 1 : 0)), [4, 3]);
    const { grads } = await prepared.model.runWithGrad({ x: pair }, { of: 'y', wrt: ['x'], seed, nodeOverrides: prepared.nodeOverrides });
    const plain = await model.runWithGrad({ x }, { of: 'y', wrt: ['x'], seed: seed.slice([0, 2]) });
    const expected = plain.grads['x']!.data as Float32Array;
    (grads['x']!.data as Float32Array).subarray(0, 12).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    expect(expected.some((v) => Math.abs(v) > 1e-2)).toBe(true);
  });
});

describe("DeepLIFT matches Captum's multipliers", () => {
  it('ELU, LeakyReLU, Tanh, Softplus, Sigmoid, ReLU and Softmax (the Captum mechanics in torch)', async () => {
    const model = await load('captum_net.onnx');
    const ref = readNpz(readFileSync(fixture('captum_net.npz')));
    const target = Array.from(ref['target']!.data as BigInt64Array, Number);
    const { attributions } = await deepLift(model, { x: ref['x']! }, { target, baselines: ref['baseline']! });
    const expected = ref['attributions']!.data as Float64Array;
    const scale = Array.from(expected).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    (attributions['x']!.data as Float32Array).forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThan(1e-5 * scale));
  });
});

describe('DeepLIFT on a ViT-style block reports its convergence delta', () => {
  it('delta per item = Σ attributions − (f(x) − f(x′)), a real gap from softmax, LayerNorm and attention products', async () => {
    const model = await load('vit_block.onnx');
    const x = normal([3, 4, 8], 3);
    const baseline = normal([3, 4, 8], 4, 0.1);
    const targets = [0, 1, 2];
    const { attributions, delta } = await deepLift(model, { x }, { target: targets, baselines: baseline, returnConvergenceDelta: true });
    const fx = await targetValues(model, x, targets);
    const fb = await targetValues(model, baseline, targets);
    const sums = itemSums(attributions['x']!);
    expect(delta).toHaveLength(3);
    delta!.forEach((d, b) => expect(Math.abs(d - (sums[b]! - (fx[b]! - fb[b]!)))).toBeLessThan(1e-5));
    expect(Math.max(...delta!.map(Math.abs))).toBeGreaterThan(1e-4);
  });

  it.each(['torchscript', 'dynamo'])("the zoo's Hugging Face ViT (%s export): delta per item, GELU chains recognised", async (name) => {
    const zoo = new URL('../../core/test/fixtures/zoo/vit/', import.meta.url).pathname;
    const model = await HookedModel.load(`${zoo}${name}.onnx`);
    const ref = readNpz(readFileSync(`${zoo}reference.npz`));
    const x = ref['input.pixel_values']!;
    const baseline = ref['corrupted.pixel_values']!;
    const targets = Array.from({ length: x.shape[0]! }, (_, b) => b % 10);
    const { attributions, delta } = await deepLift(model, { pixel_values: x }, { target: targets, baselines: baseline, returnConvergenceDelta: true });
    const logits = async (t: Tensor) => (await model.run({ pixel_values: t }))['logits']!.data as Float32Array;
    const fx = await logits(x);
    const fb = await logits(baseline);
    const sums = itemSums(attributions['pixel_values']!);
    expect(delta).toHaveLength(x.shape[0]!);
    delta!.forEach((d, b) => expect(Math.abs(d - (sums[b]! - (fx[b * 10 + targets[b]!]! - fb[b * 10 + targets[b]!]!)))).toBeLessThan(1e-5));
    expect(elementwiseRegions(model.model.graph).regions).toHaveLength(2);
  });

  it('rescales its GELU as one nonlinearity and leaves LayerNorm, Softmax and the products to their rules', async () => {
    const { model } = await load('vit_block.onnx');
    const { regions } = elementwiseRegions(model.graph);
    const data = regions.filter((r) => model.graph.producerOf(r.x)?.opType === 'Add');
    expect(data).toHaveLength(1);
    expect(model.graph.producerOf(data[0]!.y)!.opType).toBe('Mul');
  });
});
