import { unzipSync, zipSync } from 'fflate';
import { readNpz, writeNpy, writeNpz } from '../src/io/index.js';
import type { DType } from '../src/tensor/dtype.js';
import { Tensor } from '../src/tensor/tensor.js';
import { errorCode, expected, expectedData, fixture, randomBytes } from './fixtures/io/reference.js';
import { seededRandom } from '../src/random.js';

const archives = Object.keys(expected.npz);
const ALL_DTYPES: DType[] = ['float32', 'float64', 'float16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool'];

function sampleArrays(): Record<string, Tensor> {
  const random = seededRandom(7);
  return Object.fromEntries(
    ALL_DTYPES.map((dtype) => {
      const tensor = Tensor.zeros([2, 3], dtype);
      const bytes = new Uint8Array(tensor.data.buffer);
      bytes.set(randomBytes(random, bytes.length));
      if (dtype === 'bool') bytes.forEach((b, i) => (bytes[i] = b & 1));
      return [`${dtype}_array`, tensor];
    }),
  );
}

/** Offset of the end-of-central-directory record. */
function endOfCentralDirectory(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = bytes.length - 22; i >= 0; i--) if (view.getUint32(i, true) === 0x06054b50) return i;
  throw new Error('no end of central directory');
}

describe('readNpz', () => {
  it.each(archives)('reads every array of %s with the dtype, shape and values numpy wrote, in archive order', (archive) => {
    const arrays = readNpz(fixture(archive));
    const entries = expected.npz[archive]!;
    expect(Object.keys(arrays)).toEqual(Object.keys(entries));
    for (const [name, entry] of Object.entries(entries)) {
      const tensor = arrays[name]!;
      expect(tensor.dtype).toBe(entry.dtype);
      expect(tensor.shape).toEqual(entry.shape);
      expect(Array.from(tensor.data as ArrayLike<number | bigint>)).toEqual(expectedData(entry));
    }
  });

  it('names arrays without the .npy suffix and keeps slashes in names', () => {
    expect(Object.keys(readNpz(fixture('savez.npz')))).toContain('layer.0/attn');
  });

  it("understands numpy's zip64 extra fields (np.savez forces them on every member)", () => {
    const bytes = fixture('savez.npz');
    const view = new DataView(bytes.buffer);
    expect(view.getUint32(0, true)).toBe(0x04034b50);
    const nameLength = view.getUint16(26, true);
    expect(view.getUint16(28, true)).toBeGreaterThan(0);
    expect(view.getUint16(30 + nameLength, true)).toBe(0x0001);
    expect(readNpz(bytes)['weights']?.shape).toEqual([2, 3]);
  });

  it('reads the stored archive and the compressed one to the same arrays', () => {
    expect(readNpz(fixture('savez.npz'))).toEqual(readNpz(fixture('savez_compressed.npz')));
  });
});

describe('writeNpz', () => {
  it.each([false, true])('round-trips every dtype (compress: %s)', (compress) => {
    const arrays = sampleArrays();
    const back = readNpz(writeNpz(arrays, { compress }));
    expect(Object.keys(back)).toEqual(Object.keys(arrays));
    for (const [name, tensor] of Object.entries(arrays)) {
      expect(back[name]?.dtype).toBe(tensor.dtype);
      expect(back[name]?.data).toEqual(tensor.data);
    }
  });

  it('round-trips the arrays numpy wrote', () => {
    const arrays = readNpz(fixture('savez_compressed.npz'));
    expect(readNpz(writeNpz(arrays))).toEqual(arrays);
  });

  it('stores each array as a <name>.npy member holding exactly what writeNpy writes', () => {
    const arrays = { a: Tensor.from([1, 2, 3]), 'b/c': Tensor.from([[1n]]) };
    const members = unzipSync(writeNpz(arrays));
    expect(Object.keys(members)).toEqual(['a.npy', 'b/c.npy']);
    expect(members['a.npy']).toEqual(writeNpy(arrays.a));
    expect(members['b/c.npy']).toEqual(writeNpy(arrays['b/c']));
  });

  it('stores members uncompressed like np.savez, and deflates them like np.savez_compressed with compress: true', () => {
    const arrays = { zeros: Tensor.zeros([1000]) };
    const stored = writeNpz(arrays);
    const deflated = writeNpz(arrays, { compress: true });
    expect(new DataView(stored.buffer).getUint16(8, true)).toBe(0);
    expect(new DataView(deflated.buffer).getUint16(8, true)).toBe(8);
    expect(deflated.length).toBeLessThan(stored.length / 10);
  });

  it('writes the same bytes every time (fixed member dates)', () => {
    const arrays = sampleArrays();
    expect(writeNpz(arrays)).toEqual(writeNpz(arrays));
    expect(writeNpz(arrays, { compress: true })).toEqual(writeNpz(arrays, { compress: true }));
  });

  it('writes an empty archive for no arrays', () => {
    expect(readNpz(writeNpz({}))).toEqual({});
  });
});

describe('readNpz on bad input', () => {
  it.each(archives)('rejects %s truncated at many lengths with INVALID_FILE', (archive) => {
    const bytes = fixture(archive);
    for (let length = 0; length < bytes.length; length += 7) {
      expect(errorCode(() => readNpz(bytes.subarray(0, length)))).toBe('INVALID_FILE');
    }
  });

  it('rejects random bytes (fixed seed) with INVALID_FILE', () => {
    const random = seededRandom(99);
    for (let i = 0; i < 200; i++) {
      expect(errorCode(() => readNpz(randomBytes(random, Math.floor(random() * 400))))).toBe('INVALID_FILE');
    }
  });

  it('rejects an .npy file passed as an archive, saying what it expected', () => {
    const bytes = fixture('npy/float32.npy');
    expect(errorCode(() => readNpz(bytes))).toBe('INVALID_FILE');
    expect(() => readNpz(bytes)).toThrow(/np\.savez/);
  });

  it('rejects a central directory that points outside the archive', () => {
    for (const archive of archives) {
      const bytes = fixture(archive);
      const view = new DataView(bytes.buffer);
      view.setUint32(endOfCentralDirectory(bytes) + 16, bytes.length + 1000, true);
      expect(errorCode(() => readNpz(bytes))).toBe('INVALID_FILE');
    }
  });

  it('rejects an impossible uncompressed size instead of allocating it', () => {
    const bytes = fixture('savez_compressed.npz');
    const view = new DataView(bytes.buffer);
    const central = view.getUint32(endOfCentralDirectory(bytes) + 16, true);
    view.setUint32(central + 24, 0xfffffff0, true);
    expect(errorCode(() => readNpz(bytes))).toBe('INVALID_FILE');
    expect(() => readNpz(bytes)).toThrow(/impossible size/);
  });

  it('rejects a damaged deflate stream', () => {
    const bytes = fixture('savez_compressed.npz');
    const view = new DataView(bytes.buffer);
    const dataStart = 30 + view.getUint16(26, true) + view.getUint16(28, true);
    bytes.fill(0xff, dataStart, dataStart + 16);
    expect(errorCode(() => readNpz(bytes))).toBe('INVALID_FILE');
  });

  it('rejects a member that is not an .npy file, naming the member', () => {
    const bytes = zipSync({ 'notes.txt': new TextEncoder().encode('hello') });
    expect(errorCode(() => readNpz(bytes))).toBe('INVALID_FILE');
    expect(() => readNpz(bytes)).toThrow(/member 'notes.txt'/);
  });

  it('passes on UNSUPPORTED_DTYPE for a member holding an object array', () => {
    const bytes = zipSync({ 'objects.npy': fixture('npy/object.npy') });
    expect(errorCode(() => readNpz(bytes))).toBe('UNSUPPORTED_DTYPE');
  });
});
