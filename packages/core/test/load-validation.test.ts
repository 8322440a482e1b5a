import { jest } from '@jest/globals';
import { Backend, HookedModel, MechintError } from '../src/index.node.js';
import { fixturePath } from './helpers/fixtures.js';

/** invalid_split18.onnx (tools/fixtures/invalid_split.py): imports opset 17, writes opset 18's Split. */
const INVALID = fixturePath('invalid_split18.onnx');

async function failureOf(promise: Promise<unknown>): Promise<MechintError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!MechintError.isInstance(error)) throw new Error(`expected a MechintError, got ${String(error)}`);
  return error;
}

describe('HookedModel.load validates the model with onnxruntime', () => {
  it('refuses an opset-17 model with an opset-18 Split as INVALID_MODEL, with onnxruntime’s reason', async () => {
    const error = await failureOf(HookedModel.load(INVALID));
    expect(error.code).toBe('INVALID_MODEL');
    expect(error.message).toContain('Unrecognized attribute: num_outputs for operator Split');
    expect(error.message).toContain('The model cannot be loaded');
    expect(error.details['opset']).toBe(17);
  });

  it('refuses it with the probe off too', async () => {
    expect((await failureOf(HookedModel.load(INVALID, { probe: false }))).code).toBe('INVALID_MODEL');
  });

  it('reads a model it cannot run when asked not to validate', async () => {
    const model = await HookedModel.load(INVALID, { probe: false, validate: false });
    expect(model.hookPoints.map((h) => h.name)).toContain('y0');
  });

  it('creates one session for a valid model: the probe’s', async () => {
    const created = jest.spyOn(Backend.prototype, 'session');
    try {
      await HookedModel.load(fixturePath('gpt2l.onnx'));
      expect(created).toHaveBeenCalledTimes(1);
    } finally {
      created.mockRestore();
    }
  });
});
