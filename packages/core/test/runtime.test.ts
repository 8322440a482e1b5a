import { Backend, DeviceTensor, MechintError, Tensor, decodeModel } from '../src/index.node.js';
import { probeModel } from '../src/runtime/probe-model.js';
import { accumulator } from './helpers/accumulator.js';
import { modelBytes } from './helpers/fixtures.js';

describe('Backend.create', () => {
  it('uses the CPU provider by default in Node', async () => {
    expect((await Backend.create()).ep).toBe('cpu');
  });

  it('takes the first available provider of an explicit fallback order', async () => {
    const backend = await Backend.create({ ep: ['wasm', 'cpu'] });
    expect(backend.ep).toBe('cpu');
  });

  it("raises EP_UNAVAILABLE for 'wasm' in Node, saying what to use instead", async () => {
    await expect(Backend.create({ ep: 'wasm' })).rejects.toMatchObject({ code: 'EP_UNAVAILABLE', message: expect.stringContaining("use 'cpu'") });
  });

  it('names every provider it tried when none works', async () => {
    const failure = await Backend.create({ ep: ['wasm'] }).catch((e: unknown) => e);
    expect(MechintError.isInstance(failure)).toBe(true);
    expect((failure as MechintError).details['requested']).toEqual(['wasm']);
  });

  it('rejects an empty provider list', async () => {
    await expect(Backend.create({ ep: [] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('sessions', () => {
  it('caches one session per model object and per key', async () => {
    const backend = await Backend.create();
    const bytes = probeModel();
    expect(await backend.session(bytes)).toBe(await backend.session(bytes));
    const keyed = await backend.session(probeModel(), { key: 'probe' });
    expect(await backend.session(probeModel(), { key: 'probe' })).toBe(keyed);
    expect(keyed).not.toBe(await backend.session(bytes));
  });

  it('evicts the least recently used keyed session beyond maxSessions', async () => {
    const backend = await Backend.create({ maxSessions: 1 });
    const first = await backend.session(probeModel(), { key: 'a' });
    await backend.session(probeModel(), { key: 'b' });
    expect(await backend.session(probeModel(), { key: 'a' })).not.toBe(first);
  });

  it('runs a ModelIR and a byte array alike', async () => {
    const backend = await Backend.create();
    const fromBytes = await (await backend.session(probeModel())).run({ x: Tensor.from([1.5]) });
    const fromIR = await (await backend.session(decodeModel(probeModel()))).run({ x: Tensor.from([1.5]) });
    expect(fromBytes['y']!.toArray()).toEqual([3]);
    expect(fromIR['y']!.toArray()).toEqual([3]);
  });

  it('fetches only the outputs asked for', async () => {
    const session = await (await Backend.create()).session(probeModel());
    expect(Object.keys(await session.run({ x: Tensor.from([1]) }, { outputs: ['y'] }))).toEqual(['y']);
    await expect(session.run({ x: Tensor.from([1]) }, { outputs: ['z'] })).rejects.toMatchObject({ code: 'UNKNOWN_VALUE' });
  });

  it('checks feeds against the declared inputs before running', async () => {
    const session = await (await Backend.create()).session(modelBytes('cnn'));
    const images = Tensor.zeros([2, 1, 8, 8]);
    expect((await session.run({ images }))['logits']!.shape).toEqual([2, 10]);
    await expect(session.run({})).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('missing images') });
    await expect(session.run({ images, extra: images })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('unknown extra') });
    await expect(session.run({ images: Tensor.zeros([2, 1, 8, 8], 'float64') })).rejects.toMatchObject({ code: 'DTYPE_MISMATCH' });
    await expect(session.run({ images: Tensor.zeros([2, 8, 8]) })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(session.run({ images: Tensor.zeros([2, 1, 9, 8]) })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
  });

  it('wraps onnxruntime failures as RUNTIME_ERROR', async () => {
    const session = await (await Backend.create()).session(modelBytes('gpt2l'));
    const outOfVocabulary = Tensor.from([[0, 1000]], [1, 2], 'int64');
    await expect(session.run({ tokens: outOfVocabulary })).rejects.toMatchObject({ code: 'RUNTIME_ERROR' });
  });

  it('names an operator onnxruntime does not know with UNSUPPORTED_OP', async () => {
    const model = decodeModel(probeModel());
    model.graph.nodes[0]!.opType = 'NoSuchOp';
    await expect((await Backend.create()).session(model)).rejects.toMatchObject({ code: 'UNSUPPORTED_OP', details: { opType: 'NoSuchOp', nodes: ['add'] } });
  });

  it('names an operator that has no kernel at the model’s opset with UNSUPPORTED_OP', async () => {
    const model = decodeModel(probeModel());
    model.graph.nodes[0]!.opType = 'Relu';
    model.graph.nodes[0]!.input = ['x'];
    model.proto.opsetImport[0]!.version = 5n;
    await expect((await Backend.create()).session(model)).rejects.toMatchObject({ code: 'UNSUPPORTED_OP', details: { opType: 'Relu' } });
  });

  it('rejects a model onnxruntime cannot load for other reasons with INVALID_MODEL', async () => {
    const model = decodeModel(probeModel());
    model.graph.nodes[0]!.input = ['x'];
    await expect((await Backend.create()).session(model)).rejects.toMatchObject({ code: 'INVALID_MODEL' });
  });
});

describe('device-resident outputs', () => {
  const step = Tensor.from([1, 2, 3]);

  it('leaves deviceOutputs on the device (host memory on the CPU provider) and takes them back as feeds', async () => {
    const session = await (await Backend.create()).session(accumulator(3), { deviceOutputs: ['next'] });
    let state: Tensor | DeviceTensor = Tensor.zeros([3]);
    let total = 0;
    for (let k = 0; k < 4; k++) {
      const { host, device } = await session.runResident({ state, step });
      expect(Object.keys(host)).toEqual(['total']);
      expect(device['next']).toBeInstanceOf(DeviceTensor);
      expect(device['next']!.location).toBe('cpu');
      state = device['next']!;
      total = host['total']!.item() as number;
    }
    expect((await (state as DeviceTensor).toHost()).toArray()).toEqual([4, 8, 12]);
    expect(total).toBe(24);
  });

  it('returns every output on the host from run()', async () => {
    const session = await (await Backend.create()).session(accumulator(3), { deviceOutputs: ['next'] });
    const out = await session.run({ state: Tensor.zeros([3]), step });
    expect(out['next']).toBeInstanceOf(Tensor);
    expect(out['next']!.toArray()).toEqual([1, 2, 3]);
  });

  it('caches sessions with and without device outputs separately under one key', async () => {
    const backend = await Backend.create();
    const plain = await backend.session(() => accumulator(3), { key: 'acc' });
    const resident = await backend.session(() => accumulator(3), { key: 'acc', deviceOutputs: ['next'] });
    expect(resident).not.toBe(plain);
    expect(resident.deviceOutputs).toEqual(['next']);
    expect(await backend.session(() => accumulator(3), { key: 'acc', deviceOutputs: ['next'] })).toBe(resident);
  });

  it('refuses a disposed device tensor and unknown device outputs', async () => {
    const backend = await Backend.create();
    const session = await backend.session(accumulator(3), { deviceOutputs: ['next'] });
    const { device } = await session.runResident({ state: Tensor.zeros([3]), step });
    device['next']!.dispose();
    await expect(session.runResident({ state: device['next']!, step })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(backend.session(accumulator(3), { deviceOutputs: ['nope'] })).rejects.toMatchObject({ code: 'UNKNOWN_VALUE' });
  });
});
