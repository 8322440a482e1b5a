import { readSafetensors, writeSafetensors } from '../src/io/index.js';
import type { DType } from '../src/tensor/dtype.js';
import { Tensor } from '../src/tensor/tensor.js';
import { errorCode, expected, expectedData, expectedTensor, fixture, randomBytes } from './fixtures/io/reference.js';
import { seededRandom } from '../src/random.js';

const reference = expected.safetensors['reference.safetensors']!;
const bf16Names = Object.keys(reference.tensors).filter((n) => reference.tensors[n]!.safetensorsDtype === 'BF16');

/** A safetensors file: u64 little-endian header length, the header text as given, then `data`. */
function safetensorsBytes(header: string | object, data: Uint8Array | number = 0): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + text.length + body.length);
  new DataView(out.buffer).setUint32(0, text.length, true);
  out.set(text, 8);
  out.set(body, 8 + text.length);
  return out;
}

/** A copy of `bytes` with byte `index` set to `value`. */
function withByte(bytes: Uint8Array, index: number, value: number): Uint8Array {
  const copy = bytes.slice();
  copy[index] = value;
  return copy;
}

function headerText(bytes: Uint8Array): string {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  return new TextDecoder().decode(bytes.subarray(8, 8 + length));
}

/** The tensors of the reference file, with BF16 ones as raw uint16 bits. */
function referenceTensors(): Record<string, Tensor> {
  return Object.fromEntries(
    Object.entries(reference.tensors).map(([name, entry]) => [
      name,
      entry.safetensorsDtype === 'BF16' ? new Tensor('uint16', Uint16Array.from(entry.bits!), entry.shape) : expectedTensor(entry),
    ]),
  );
}

const ALL_DTYPES: DType[] = ['float32', 'float64', 'float16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool'];

describe('readSafetensors', () => {
  it('reads every tensor of the reference file with the dtype, shape and values it holds', () => {
    const { tensors } = readSafetensors(fixture('reference.safetensors'));
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(reference.tensors).sort());
    for (const [name, entry] of Object.entries(reference.tensors)) {
      const tensor = tensors[name]!;
      expect([name, tensor.dtype]).toEqual([name, entry.dtype]);
      expect(tensor.shape).toEqual(entry.shape);
      expect(Array.from(tensor.data as ArrayLike<number | bigint>)).toEqual(expectedData(entry));
    }
  });

  it('reads the __metadata__ string map', () => {
    expect(readSafetensors(fixture('reference.safetensors')).metadata).toEqual(reference.metadata);
  });

  it('decodes BF16 to float32 by default, with the values numpy computed', () => {
    const { tensors } = readSafetensors(fixture('reference.safetensors'));
    for (const name of bf16Names) {
      expect(tensors[name]!.dtype).toBe('float32');
      expect(Array.from(tensors[name]!.data as Float32Array)).toEqual(reference.tensors[name]!.values);
    }
  });

  it("returns BF16 as raw uint16 bits with { bf16: 'bits' }", () => {
    const { tensors } = readSafetensors(fixture('reference.safetensors'), { bf16: 'bits' });
    for (const name of bf16Names) {
      expect(tensors[name]!.dtype).toBe('uint16');
      expect(Array.from(tensors[name]!.data as Uint16Array)).toEqual(reference.tensors[name]!.bits);
    }
  });

  it('returns the tensors in the order of their data in the file', () => {
    const bytes = fixture('reference.safetensors');
    const { tensors } = readSafetensors(bytes);
    const header = JSON.parse(headerText(bytes)) as Record<string, { data_offsets?: [number, number] }>;
    const byOffset = Object.keys(header)
      .filter((k) => k !== '__metadata__')
      .sort((a, b) => header[a]!.data_offsets![0] - header[b]!.data_offsets![0] || header[a]!.data_offsets![1] - header[b]!.data_offsets![1]);
    expect(Object.keys(tensors)).toEqual(byOffset);
  });

  it('returns views of the file for aligned tensors', () => {
    const bytes = fixture('reference.safetensors');
    expect(readSafetensors(bytes).tensors['embed.weight']!.data.buffer).toBe(bytes.buffer);
  });

  it('returns empty metadata for a file without __metadata__, or with null', () => {
    expect(readSafetensors(writeSafetensors({ x: Tensor.from([1]) })).metadata).toEqual({});
    expect(readSafetensors(safetensorsBytes({ __metadata__: null })).metadata).toEqual({});
  });

  it('reads a file with the header not padded and tensors at odd offsets, copying them', () => {
    const data = new Uint8Array([7, 0, 0, 128, 63]);
    const bytes = safetensorsBytes({ b: { dtype: 'U8', shape: [1], data_offsets: [0, 1] }, f: { dtype: 'F32', shape: [], data_offsets: [1, 5] } }, data);
    const { tensors } = readSafetensors(bytes);
    expect(tensors['b']!.toArray()).toEqual([7]);
    expect(tensors['f']!.item()).toBe(1);
  });
});

describe('writeSafetensors', () => {
  it('writes the reference file byte for byte from the same tensors (BF16 given as bits)', () => {
    const bytes = writeSafetensors(referenceTensors(), reference.metadata, { bf16: bf16Names });
    expect(bytes).toEqual(fixture('reference.safetensors'));
  });

  it('rounds float32 to BF16 the way torch does, giving the reference bytes', () => {
    const tensors = referenceTensors();
    for (const name of bf16Names) {
      const entry = reference.tensors[name]!;
      tensors[name] = new Tensor('float32', Float32Array.from(entry.source!), entry.shape);
    }
    expect(writeSafetensors(tensors, reference.metadata, { bf16: bf16Names })).toEqual(fixture('reference.safetensors'));
  });

  it("matches the reference implementation's own test vectors (safetensors/src/tensor.rs)", () => {
    const le = (n: number) => [n, 0, 0, 0, 0, 0, 0, 0];
    const ascii = (s: string) => Array.from(new TextEncoder().encode(s));
    const floats = Array.from(new Uint8Array(new Float32Array([0, 1, 2, 3, 4, 5]).buffer));
    const values = new Float32Array([0, 1, 2, 3, 4, 5]);

    expect(Array.from(writeSafetensors({ 'attn.0': new Tensor('float32', values, [1, 2, 3]) }))).toEqual([
      ...le(64), ...ascii('{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}'), ...floats,
    ]);
    expect(Array.from(writeSafetensors({ attn0: new Tensor('float32', values, [1, 1, 2, 3]) }))).toEqual([
      ...le(72), ...ascii('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       '), ...floats,
    ]);
    expect(Array.from(writeSafetensors({}))).toEqual([...le(8), ...ascii('{}      ')]);
    expect(Array.from(writeSafetensors({}, { framework: 'pt' }))).toEqual([...le(40), ...ascii('{"__metadata__":{"framework":"pt"}}     ')]);
  });

  it('orders tensors by dtype, largest alignment first, then by name as UTF-8 bytes', () => {
    const tensors = {
      b: Tensor.from([1], [1], 'uint8'),
      a: Tensor.from([1], [1], 'uint8'),
      '\u{1F600}': Tensor.from([1], [1], 'float32'),
      '\uFF21': Tensor.from([1], [1], 'float32'),
      m: Tensor.from([true]),
      c: Tensor.from([1n]),
      z: Tensor.from([1], [1], 'float64'),
    };
    const header = JSON.parse(headerText(writeSafetensors(tensors))) as Record<string, unknown>;
    expect(Object.keys(header)).toEqual(['c', 'z', '\uFF21', '\u{1F600}', 'a', 'b', 'm']);
  });

  it('pads the header with spaces to a multiple of 8 bytes so that data stays aligned', () => {
    for (let n = 1; n <= 9; n++) {
      const bytes = writeSafetensors({ ['x'.repeat(n)]: Tensor.from([1n]) });
      const length = new DataView(bytes.buffer).getUint32(0, true);
      expect(length % 8).toBe(0);
      expect(headerText(bytes)).toMatch(/^\{.*\} *$/);
    }
  });

  it('escapes names and metadata as JSON and sorts metadata keys', () => {
    const bytes = writeSafetensors({ 'a"b\\c\n': Tensor.from([1]) }, { z: 'last', a: 'fir"st' });
    expect(headerText(bytes).trimEnd()).toBe('{"__metadata__":{"a":"fir\\"st","z":"last"},"a\\"b\\\\c\\n":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
    expect(readSafetensors(bytes).metadata).toEqual({ a: 'fir"st', z: 'last' });
  });

  it.each(ALL_DTYPES)('round-trips %s tensors of several shapes', (dtype) => {
    const random = seededRandom(dtype.length * 31);
    const tensors = Object.fromEntries(
      [[], [0], [3], [2, 3, 2], [4, 0, 1]].map((shape, i) => {
        const tensor = Tensor.zeros(shape, dtype);
        const bytes = new Uint8Array(tensor.data.buffer);
        bytes.set(randomBytes(random, bytes.length));
        if (dtype === 'bool') bytes.forEach((b, j) => (bytes[j] = b & 1));
        return [`t${i}`, tensor];
      }),
    );
    const back = readSafetensors(writeSafetensors(tensors)).tensors;
    for (const [name, tensor] of Object.entries(tensors)) {
      expect(back[name]!.dtype).toBe(dtype);
      expect(back[name]!.shape).toEqual(tensor.shape);
      expect(back[name]!.data).toEqual(tensor.data);
    }
  });

  it('round-trips BF16 bits exactly', () => {
    const bits = Uint16Array.from({ length: 256 }, (_, i) => i * 257);
    const bytes = writeSafetensors({ w: new Tensor('uint16', bits, [16, 16]) }, undefined, { bf16: ['w'] });
    expect(readSafetensors(bytes, { bf16: 'bits' }).tensors['w']!.data).toEqual(bits);
  });

  it('rejects a tensor named __metadata__, non-string metadata and bad bf16 names with INVALID_ARGUMENT', () => {
    const x = Tensor.from([1]);
    expect(errorCode(() => writeSafetensors({ __metadata__: x }))).toBe('INVALID_ARGUMENT');
    expect(errorCode(() => writeSafetensors({ x }, { n: 3 as unknown as string }))).toBe('INVALID_ARGUMENT');
    expect(errorCode(() => writeSafetensors({ x }, undefined, { bf16: ['y'] }))).toBe('INVALID_ARGUMENT');
    expect(errorCode(() => writeSafetensors({ x: Tensor.from([1n]) }, undefined, { bf16: ['x'] }))).toBe('INVALID_ARGUMENT');
  });
});

describe('readSafetensors on bad input', () => {
  const f32 = (begin: number, end: number, shape: number[] = [(end - begin) / 4]) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

  it('rejects the reference file truncated at every length', () => {
    const bytes = fixture('reference.safetensors');
    for (let length = 0; length < bytes.length; length++) {
      expect(errorCode(() => readSafetensors(bytes.subarray(0, length)))).toBe('INVALID_FILE');
    }
  });

  it('rejects random bytes (fixed seed), and random bytes behind a plausible header length', () => {
    const random = seededRandom(4242);
    for (let i = 0; i < 300; i++) {
      const bytes = randomBytes(random, Math.floor(random() * 300));
      if (i % 2 === 1 && bytes.length >= 8) bytes.set([Math.floor(random() * bytes.length), 0, 0, 0, 0, 0, 0, 0]);
      expect(errorCode(() => readSafetensors(bytes))).toBe('INVALID_FILE');
    }
  });

  it('rejects a header length beyond the file or over the 100 MB limit without allocating it', () => {
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 62n, true);
    expect(errorCode(() => readSafetensors(huge))).toBe('INVALID_FILE');
    new DataView(huge.buffer).setBigUint64(0, 100_000_001n, true);
    expect(errorCode(() => readSafetensors(huge))).toBe('INVALID_FILE');
    new DataView(huge.buffer).setBigUint64(0, 9n, true);
    expect(() => readSafetensors(huge)).toThrow(/runs past the end/);
  });

  it.each([
    ['invalid UTF-8', withByte(safetensorsBytes('{"a":"x"}'), 8 + 6, 0xff)],
    ['a header that is not JSON', safetensorsBytes('{"a": {')],
    ['a header that does not start with {', safetensorsBytes(' {}')],
    ['a JSON array', safetensorsBytes('[]')],
    ['a tensor entry that is not an object', safetensorsBytes({ a: 3 })],
    ['a missing dtype', safetensorsBytes({ a: { shape: [1], data_offsets: [0, 4] } }, 4)],
    ['a negative dimension', safetensorsBytes({ a: f32(0, 4, [-1]) }, 4)],
    ['a fractional dimension', safetensorsBytes({ a: f32(0, 4, [1.5]) }, 4)],
    ['three data offsets', safetensorsBytes({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] } }, 4)],
    ['offsets that are strings', safetensorsBytes({ a: { dtype: 'F32', shape: [1], data_offsets: ['0', '4'] } }, 4)],
    ['overlapping offsets', safetensorsBytes({ a: f32(0, 8), b: f32(4, 12) }, 12)],
    ['a hole between tensors', safetensorsBytes({ a: f32(0, 4), b: f32(8, 12) }, 12)],
    ['data not starting at 0', safetensorsBytes({ a: f32(4, 8) }, 8)],
    ['offsets past the end of the file', safetensorsBytes({ a: f32(0, 8) }, 4)],
    ['an end before the begin', safetensorsBytes({ a: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, 4)],
    ['offsets that do not match shape × dtype', safetensorsBytes({ a: f32(0, 8, [3]) }, 8)],
    ['a huge shape', safetensorsBytes({ a: f32(0, 8, [2 ** 50, 2 ** 50]) }, 8)],
    ['trailing bytes after the last tensor', safetensorsBytes({ a: f32(0, 4) }, 5)],
    ['metadata with a number value', safetensorsBytes({ __metadata__: { n: 1 } })],
    ['metadata that is a string', safetensorsBytes({ __metadata__: 'x' })],
  ])('rejects %s with INVALID_FILE', (_what, bytes) => {
    expect(errorCode(() => readSafetensors(bytes))).toBe('INVALID_FILE');
  });

  it('explains overlapping offsets, naming the tensor', () => {
    const bytes = safetensorsBytes({ a: f32(0, 8), b: f32(4, 12) }, 12);
    expect(() => readSafetensors(bytes)).toThrow(/tensor 'b'.*without gaps or overlaps/);
  });

  it('rejects dtypes it cannot hold, such as F8_E4M3, with UNSUPPORTED_DTYPE', () => {
    const bytes = safetensorsBytes({ a: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }, 2);
    expect(errorCode(() => readSafetensors(bytes))).toBe('UNSUPPORTED_DTYPE');
    expect(() => readSafetensors(bytes)).toThrow(/F8_E4M3.*supported: BOOL/);
  });

  it('accepts a zero-size tensor with a huge dimension, as the reference does', () => {
    const bytes = safetensorsBytes({ a: f32(0, 0, [2 ** 52, 0]) });
    expect(readSafetensors(bytes).tensors['a']!.shape).toEqual([2 ** 52, 0]);
  });
});
