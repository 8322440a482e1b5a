import { readNpy, writeNpy } from '../src/io/index.js';
import type { DType } from '../src/tensor/dtype.js';
import { Tensor } from '../src/tensor/tensor.js';
import { errorCode, expected, expectedData, expectedTensor, fixture, randomBytes } from './fixtures/io/reference.js';
import { seededRandom } from '../src/random.js';

const npyFiles = Object.keys(expected.npy);
const cOrderV1 = npyFiles.filter((f) => expected.npy[f]!.order === 'C' && expected.npy[f]!.version?.[0] === 1 && expected.npy[f]!.descr === undefined);
const fortranLittleEndian = npyFiles.filter((f) => expected.npy[f]!.order === 'F' && expected.npy[f]!.descr === undefined);

/** A version-1.0 .npy file with the given header text (padded like numpy) followed by `data`. */
function npyWithHeader(text: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const length = text.length + 1 + 64 - ((10 + text.length + 1) % 64);
  const header = new Uint8Array(10 + length).fill(0x20);
  header.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, length & 0xff, length >> 8]);
  header.set(new TextEncoder().encode(text), 10);
  header[header.length - 1] = 0x0a;
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

const ALL_DTYPES: DType[] = ['float32', 'float64', 'float16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool'];

/** A tensor of `dtype` and `shape` filled with seeded values that exercise the whole byte range. */
function randomTensor(dtype: DType, shape: number[], seed: number): Tensor {
  const tensor = Tensor.zeros(shape, dtype);
  const bytes = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  bytes.set(randomBytes(seededRandom(seed), bytes.length));
  if (dtype === 'bool') bytes.forEach((b, i) => (bytes[i] = b & 1));
  return tensor;
}

describe('readNpy', () => {
  it.each(npyFiles)('reads %s with the dtype, shape and values numpy wrote', (file) => {
    const entry = expected.npy[file]!;
    const tensor = readNpy(fixture(`npy/${file}`));
    expect(tensor.dtype).toBe(entry.dtype);
    expect(tensor.shape).toEqual(entry.shape);
    expect(Array.from(tensor.data as ArrayLike<number | bigint>)).toEqual(expectedData(entry));
  });

  it('covers big-endian, Fortran-order, scalar, zero-size and format 2.0 / 3.0 files', () => {
    const entries = Object.values(expected.npy);
    expect(entries.filter((e) => e.descr?.startsWith('>')).length).toBeGreaterThanOrEqual(5);
    expect(entries.filter((e) => e.order === 'F').length).toBeGreaterThanOrEqual(3);
    expect(entries.some((e) => e.shape.length === 0)).toBe(true);
    expect(entries.some((e) => e.shape.includes(0))).toBe(true);
    expect(entries.map((e) => e.version?.[0])).toEqual(expect.arrayContaining([1, 2, 3]));
  });

  it('returns a view of the input when the data is aligned, little-endian and C-ordered', () => {
    const bytes = fixture('npy/float32.npy');
    expect(readNpy(bytes).data.buffer).toBe(bytes.buffer);
  });

  it('copies when the data is not aligned to its element size, with the same values', () => {
    const file = fixture('npy/float64.npy');
    const shifted = new Uint8Array(file.length + 1).subarray(1);
    shifted.set(file);
    const tensor = readNpy(shifted);
    expect(tensor.data.buffer).not.toBe(shifted.buffer);
    expect(Array.from(tensor.data as Float64Array)).toEqual(expectedData(expected.npy['float64.npy']!));
  });

  it('ignores bytes after the data, as numpy does', () => {
    const file = fixture('npy/int32.npy');
    const padded = new Uint8Array(file.length + 7);
    padded.set(file);
    expect(Array.from(readNpy(padded).data as Int32Array)).toEqual(expectedData(expected.npy['int32.npy']!));
  });

  it('accepts a header with double quotes, Python 2 long integers and no trailing comma', () => {
    const data = new Uint8Array(new Int16Array([1, 2, 3, 4, 5, 6]).buffer);
    const tensor = readNpy(npyWithHeader('{"descr": "<i2", "fortran_order": True, "shape": (2L, 3L)}', data));
    expect(tensor.toArray()).toEqual([[1, 3, 5], [2, 4, 6]]);
  });
});

describe('writeNpy', () => {
  it.each(cOrderV1)('writes %s byte-identical to np.save', (file) => {
    expect(writeNpy(expectedTensor(expected.npy[file]!))).toEqual(fixture(`npy/${file}`));
  });

  it.each(fortranLittleEndian)('writes %s byte-identical to np.save of a Fortran-contiguous array', (file) => {
    expect(writeNpy(expectedTensor(expected.npy[file]!), { fortranOrder: true })).toEqual(fixture(`npy/${file}`));
  });

  it('writes fortran_order False when C and Fortran order coincide, as numpy does', () => {
    for (const shape of [[4], [1, 5], [3, 1, 1], [0, 2], []]) {
      const tensor = Tensor.zeros(shape, 'int8');
      expect(writeNpy(tensor, { fortranOrder: true })).toEqual(writeNpy(tensor));
    }
  });

  it('switches to format 2.0 when the header exceeds 65535 bytes, and reads it back', () => {
    const shape = new Array<number>(30000).fill(1);
    const bytes = writeNpy(new Tensor('float32', new Float32Array([2.5]), shape));
    expect([bytes[6], bytes[7]]).toEqual([2, 0]);
    expect((bytes.length - 4) % 64).toBe(0);
    const back = readNpy(bytes);
    expect(back.shape).toEqual(shape);
    expect(back.data[0]).toBe(2.5);
  });

  it('starts the data at a multiple of 64 bytes', () => {
    for (const shape of [[], [7], [123456789, 0], [2, 3, 4, 5, 6]]) {
      const bytes = writeNpy(Tensor.zeros(shape, 'uint8'));
      expect(bytes.length - shape.reduce((a, b) => a * b, 1)).toBe(bytes.indexOf(0x0a) + 1);
      expect((bytes.indexOf(0x0a) + 1) % 64).toBe(0);
    }
  });

  describe.each(ALL_DTYPES)('round trip of %s', (dtype) => {
    it.each([[[]], [[0]], [[5]], [[2, 3, 4]], [[3, 0, 2]]])('gives back the same tensor for shape %j in C and Fortran order', (shape) => {
      const tensor = randomTensor(dtype, shape, shape.length * 7 + 1);
      for (const fortranOrder of [false, true]) {
        const back = readNpy(writeNpy(tensor, { fortranOrder }));
        expect(back.dtype).toBe(dtype);
        expect(back.shape).toEqual(shape);
        expect(back.data).toEqual(tensor.data);
      }
    });
  });
});

describe('readNpy on bad input', () => {
  it('rejects bytes that do not start with the magic string, saying what it expected', () => {
    const bytes = fixture('npy/float32.npy');
    bytes[1] = 0x4f;
    expect(errorCode(() => readNpy(bytes))).toBe('INVALID_FILE');
    expect(() => readNpy(bytes)).toThrow(/magic string/);
    expect(errorCode(() => readNpy(new TextEncoder().encode('PK\u0003\u0004 a zip file')))).toBe('INVALID_FILE');
  });

  it('rejects unknown format versions', () => {
    for (const [major, minor] of [[0, 0], [4, 0], [1, 1]] as const) {
      const bytes = fixture('npy/float32.npy');
      bytes[6] = major;
      bytes[7] = minor;
      expect(errorCode(() => readNpy(bytes))).toBe('INVALID_FILE');
    }
  });

  it.each(['float32.npy', 'int16_fortran_2x3x4.npy', 'float32_v2.npy', 'int16_v3.npy', 'float64_scalar.npy'])(
    'rejects %s truncated at every length',
    (file) => {
      const bytes = fixture(`npy/${file}`);
      for (let length = 0; length < bytes.length; length++) {
        expect(errorCode(() => readNpy(bytes.subarray(0, length)))).toBe('INVALID_FILE');
      }
    },
  );

  it.each([
    ["{'descr': '<f4', 'shape': (2,), }", 'a missing key'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", 'an extra key'],
    ["{'descr': 4, 'fortran_order': False, 'shape': (2,)}", 'a descr that is not a string'],
    ["{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", 'a fortran_order that is not a bool'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", 'a negative dimension'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': [2]}", 'a shape that is a list'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", 'a dimension beyond 2^53'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", 'an unclosed dict'],
    ["{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}", 'a missing comma'],
    ["{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}", 'an unterminated string'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,)}", 'a float dimension'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} trailing", 'text after the dict'],
    ["__import__('os').system('echo owned')", 'code instead of a literal'],
    ["[('descr', '<f4')]", 'a list instead of a dict'],
    [`{'descr': ${'('.repeat(200)}1${')'.repeat(200)}}`, 'deep nesting'],
    ["{1: '<f4'}", 'a non-string key'],
  ])('rejects a header with %s (%s) as INVALID_FILE', (header) => {
    expect(errorCode(() => readNpy(npyWithHeader(header, new Uint8Array(64))))).toBe('INVALID_FILE');
  });

  it.each(Object.entries(expected.unsupported))('rejects %s (descr %s) with UNSUPPORTED_DTYPE', (file) => {
    expect(errorCode(() => readNpy(fixture(`npy/${file}`)))).toBe('UNSUPPORTED_DTYPE');
  });

  it('names the offending descr and suggests a conversion', () => {
    expect(() => readNpy(fixture('npy/complex64.npy'))).toThrow(/'<c8'.*astype/);
    expect(() => readNpy(fixture('npy/object.npy'))).toThrow(/never loaded/);
    expect(() => readNpy(fixture('npy/structured.npy'))).toThrow(/structured/);
  });

  it.each(['<M8[s]', '<f16', 'f4', '<b2', '!f4', ''])('rejects descr %j with UNSUPPORTED_DTYPE', (descr) => {
    const header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (1,), }`;
    expect(errorCode(() => readNpy(npyWithHeader(header, new Uint8Array(16))))).toBe('UNSUPPORTED_DTYPE');
  });

  it('rejects data shorter than the shape needs, saying how many bytes are missing', () => {
    const bytes = npyWithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }", new Uint8Array(95));
    expect(errorCode(() => readNpy(bytes))).toBe('INVALID_FILE');
    expect(() => readNpy(bytes)).toThrow(/needs 96 bytes.*only 95/);
  });

  it('rejects a huge shape without allocating it', () => {
    const bytes = npyWithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (9007199254740991, 9007199254740991), }");
    expect(errorCode(() => readNpy(bytes))).toBe('INVALID_FILE');
  });

  it('rejects random bytes (fixed seed) with INVALID_FILE, with or without a valid magic string', () => {
    const random = seededRandom(20240611);
    for (let i = 0; i < 300; i++) {
      const bytes = randomBytes(random, Math.floor(random() * 300));
      if (i % 2 === 1 && bytes.length >= 10) bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1 + (i % 3), 0]);
      expect(errorCode(() => readNpy(bytes))).toBe('INVALID_FILE');
    }
  });
});
