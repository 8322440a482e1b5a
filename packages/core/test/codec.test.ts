import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend, MechintError, decodeModel, encodeModel, encodeModelWithExternalData, loadModel, onnx, saveModel, type Tensor } from '../src/index.node.js';
import { expectBitIdentical, expectClose } from './helpers/compare.js';
import { FIXTURE_MODELS, modelBytes, reference, referenceFeeds, type FixtureModel } from './helpers/fixtures.js';

let backend: Backend;
beforeAll(async () => {
  backend = await Backend.create({ ep: 'cpu' });
});

async function runBytes(bytes: Uint8Array, model: FixtureModel): Promise<Record<string, Tensor>> {
  const session = await backend.session(bytes);
  return session.run(referenceFeeds(model, session.inputNames));
}

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    expect(MechintError.isInstance(e)).toBe(true);
    expect((e as MechintError).code).toBe(code);
    return;
  }
  throw new Error(`expected a MechintError ${code}`);
}

describe('decodeModel / encodeModel', () => {
  it.each(FIXTURE_MODELS)('re-encodes %s so that onnxruntime gives bit-identical outputs', async (model) => {
    const original = modelBytes(model);
    const reencoded = encodeModel(decodeModel(original));
    const before = await runBytes(original, model);
    const after = await runBytes(reencoded, model);
    expect(Object.keys(after)).toEqual(Object.keys(before));
    for (const name of Object.keys(before)) expectBitIdentical(after[name]!, before[name]!);
  });

  it.each(FIXTURE_MODELS)('runs %s to the outputs torch computed', async (model) => {
    const outputs = await runBytes(encodeModel(decodeModel(modelBytes(model))), model);
    const ref = reference(model);
    for (const [name, value] of Object.entries(outputs)) expectClose(value, ref[`output.${name}`]!, { rtol: 1e-4, atol: 1e-4 });
  });

  it('keeps every message field it read, including fields this schema does not know', () => {
    const bytes = modelBytes('tiny_mlp');
    const unknownField = new Uint8Array([0xf8, 0x06, 0x2a]);
    const withExtra = new Uint8Array([...bytes, ...unknownField]);
    const again = encodeModel(decodeModel(withExtra));
    expect(decodeModel(again).proto.$unknown).toEqual([{ no: 111, wireType: 0, data: new Uint8Array([0x2a]) }]);
    const proto = fromBinary(onnx.ModelProtoSchema, again);
    const original = fromBinary(onnx.ModelProtoSchema, bytes);
    expect(toBinary(onnx.GraphProtoSchema, proto.graph!)).toEqual(toBinary(onnx.GraphProtoSchema, original.graph!));
  });

  it('reads initializers as views of the input bytes, without copying weights', () => {
    const bytes = modelBytes('gpt2l');
    const model = decodeModel(bytes);
    const largest = model.graph.initializers.reduce((a, b) => (a.rawData.byteLength > b.rawData.byteLength ? a : b));
    expect(largest.rawData.buffer).toBe(bytes.buffer);
  });
});

describe('external data', () => {
  it('moves large initializers to a data file and reads them back with identical outputs', async () => {
    const original = decodeModel(modelBytes('gpt2l'));
    const { model, data } = encodeModelWithExternalData(original, { location: 'gpt2l.onnx.data' });
    expect(model.byteLength).toBeLessThan(data.byteLength);
    const decoded = decodeModel(model, { externalData: { 'gpt2l.onnx.data': data } });
    const before = await runBytes(modelBytes('gpt2l'), 'gpt2l');
    const after = await runBytes(encodeModel(decoded), 'gpt2l');
    expectBitIdentical(after['logits']!, before['logits']!);
  });

  it('saves and loads a model with external data through the file system', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mechint-'));
    const path = join(dir, 'cnn.onnx');
    await saveModel(path, decodeModel(modelBytes('cnn')), { externalData: { sizeThreshold: 256 } });
    const loaded = await loadModel(path);
    const before = await runBytes(modelBytes('cnn'), 'cnn');
    const after = await runBytes(encodeModel(loaded), 'cnn');
    expectBitIdentical(after['logits']!, before['logits']!);
  });

  it('fails with INVALID_MODEL when the data file is missing or too short', () => {
    const { model, data } = encodeModelWithExternalData(decodeModel(modelBytes('cnn')), { location: 'w.data', sizeThreshold: 256 });
    expectCode(() => decodeModel(model), 'INVALID_MODEL');
    expectCode(() => decodeModel(model, { externalData: { 'w.data': data.subarray(0, data.length - 1) } }), 'INVALID_MODEL');
  });

  it('refuses locations that leave the model folder', () => {
    expectCode(() => encodeModelWithExternalData(decodeModel(modelBytes('cnn')), { location: '../w.data' }), 'INVALID_ARGUMENT');
  });
});

describe('bad model bytes', () => {
  const bytes = modelBytes('cnn');

  it.each([1, 7, 100, 1000, Math.floor(bytes.length / 2), bytes.length - 1])('rejects a model truncated to %i bytes with INVALID_MODEL', (length) => {
    expectCode(() => decodeModel(bytes.subarray(0, length)), 'INVALID_MODEL');
  });

  it('rejects random bytes with INVALID_MODEL', () => {
    let seed = 12345;
    for (let trial = 0; trial < 50; trial++) {
      const random = new Uint8Array(64 + trial * 37).map(() => {
        seed = (seed * 1103515245 + 12345) >>> 0;
        return seed >>> 24;
      });
      expectCode(() => decodeModel(random), 'INVALID_MODEL');
    }
  });

  it('rejects a graph whose node reads an undefined value', () => {
    const model = decodeModel(bytes);
    model.graph.nodes[0]!.input[0] = 'nowhere';
    expectCode(() => decodeModel(encodeModel(model)), 'INVALID_MODEL');
  });

  it('fails with INVALID_FILE and leaves no file behind when the folder cannot be written', async () => {
    await expect(saveModel('/nonexistent-folder/model.onnx', decodeModel(bytes))).rejects.toMatchObject({ code: 'INVALID_FILE' });
  });

  it('replaces an existing model file only once the new one is complete', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mechint-'));
    const path = join(dir, 'model.onnx');
    await saveModel(path, decodeModel(bytes));
    await saveModel(path, decodeModel(modelBytes('tiny_mlp')));
    expect(readdirSync(dir)).toEqual(['model.onnx']);
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(encodeModel(decodeModel(modelBytes('tiny_mlp')))))).toBe(true);
  });

  it('rejects a model file that cannot be read with INVALID_FILE', async () => {
    await expect(loadModel('/nonexistent/model.onnx')).rejects.toMatchObject({ code: 'INVALID_FILE' });
  });

  it('rejects a .onnx file of text with INVALID_MODEL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mechint-'));
    writeFileSync(join(dir, 'text.onnx'), 'this is not a model\n');
    await expect(loadModel(join(dir, 'text.onnx'))).rejects.toMatchObject({ code: 'INVALID_MODEL' });
  });

  it('rejects a model that has no graph', () => {
    const empty = toBinary(onnx.ModelProtoSchema, create(onnx.ModelProtoSchema, { irVersion: 8n }));
    expectCode(() => decodeModel(empty), 'INVALID_MODEL');
  });
});
