import { Tensor as OrtTensor } from 'onnxruntime-common';
import { MechintError, Tensor, bfloat16ToFloat32, float32ToBfloat16, float32ToHalf, halfToFloat32, viewBytes } from '../src/index.node.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return MechintError.isInstance(e) ? e.code : 'not a MechintError';
  }
  return undefined;
};

describe('Tensor.from', () => {
  it('infers shape and dtype from nested arrays', () => {
    const t = Tensor.from([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.size).toBe(6);
    expect(Tensor.from([1n, 2n]).dtype).toBe('int64');
    expect(Tensor.from([[true, false]]).toArray()).toEqual([[true, false]]);
  });

  it('keeps a typed array without copying and takes its dtype', () => {
    const data = new Int32Array([1, 2, 3, 4]);
    const t = Tensor.from(data, [2, 2]);
    expect(t.dtype).toBe('int32');
    expect(t.data).toBe(data);
  });

  it('converts to a requested dtype', () => {
    expect(Tensor.from([1.7, -2.2], [2], 'int32').toArray()).toEqual([1, -2]);
    expect(Tensor.from([3, 4], [2], 'int64').toArray()).toEqual([3n, 4n]);
    expect(Tensor.from([0, 2], [2], 'bool').toArray()).toEqual([false, true]);
  });

  it('holds scalars and empty tensors', () => {
    const scalar = Tensor.from(new Float64Array([2.5]), []);
    expect(scalar.rank).toBe(0);
    expect(scalar.item()).toBe(2.5);
    expect(scalar.toArray()).toBe(2.5);
    expect(Tensor.zeros([0, 3]).size).toBe(0);
  });

  it('rejects data that does not fit the shape', () => {
    expect(codeOf(() => Tensor.from(new Float32Array(5), [2, 3]))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => Tensor.from([[1, 2], [3]]))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => Tensor.zeros([2, -1]))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => new Tensor('int64', new Float32Array(2) as never, [2]))).toBe('DTYPE_MISMATCH');
  });
});

describe('indexing and slicing', () => {
  const t = Tensor.from([
    [0, 1, 2, 3],
    [10, 11, 12, 13],
    [20, 21, 22, 23],
  ]);

  it('reads and writes single elements, negative indices counting from the end', () => {
    const copy = t.clone();
    expect(copy.get(2, 3)).toBe(23);
    expect(copy.get(-1, -4)).toBe(20);
    copy.set(99, 0, 0);
    expect(copy.get(0, 0)).toBe(99);
    expect(t.get(0, 0)).toBe(0);
    expect(codeOf(() => t.get(3, 0))).toBe('INVALID_ARGUMENT');
  });

  it('takes a zero-copy row view with index()', () => {
    const row = t.index(1);
    expect(row.toArray()).toEqual([10, 11, 12, 13]);
    expect(row.data.buffer).toBe(t.data.buffer);
  });

  it('slices with Python semantics', () => {
    expect(t.slice(1).toArray()).toEqual([10, 11, 12, 13]);
    expect(t.slice(null, 2).toArray()).toEqual([2, 12, 22]);
    expect(t.slice([1], [0, null, 2]).toArray()).toEqual([[10, 12], [20, 22]]);
    expect(t.slice([null, null, -1], [-2]).toArray()).toEqual([[22, 23], [12, 13], [2, 3]]);
    expect(t.slice(null, [3, 0, -2]).toArray()).toEqual([[3, 1], [13, 11], [23, 21]]);
    expect(t.slice([5]).shape).toEqual([0, 4]);
    expect(codeOf(() => t.slice(null, [0, 2, 0]))).toBe('INVALID_ARGUMENT');
  });

  it('reshapes without copying and infers one -1', () => {
    const r = t.reshape([2, -1]);
    expect(r.shape).toEqual([2, 6]);
    expect(r.data).toBe(t.data);
    expect(codeOf(() => t.reshape([5, -1]))).toBe('SHAPE_MISMATCH');
  });

  it('offers a strided ndarray view', () => {
    expect(t.nd.get(2, 1)).toBe(21);
    expect(t.nd.transpose(1, 0).get(1, 2)).toBe(21);
  });
});

describe('onnxruntime interop', () => {
  it('converts to and from onnxruntime tensors sharing memory', () => {
    const t = Tensor.from(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    const ort = t.toOrt();
    expect(ort.dims).toEqual([2, 3]);
    expect(ort.data).toBe(t.data);
    const back = Tensor.fromOrt(new OrtTensor('int64', new BigInt64Array([1n, 2n]), [2]));
    expect(back.dtype).toBe('int64');
    expect(back.toArray()).toEqual([1n, 2n]);
  });
});

describe('16-bit floats', () => {
  it('encodes and decodes IEEE half precision as numpy does', () => {
    const values = [0, 1, -2, 0.5, 65504, 6.103515625e-5, 5.960464477539063e-8, Infinity, -Infinity];
    const bits = float32ToHalf(values);
    expect(Array.from(bits)).toEqual([0x0000, 0x3c00, 0xc000, 0x3800, 0x7bff, 0x0400, 0x0001, 0x7c00, 0xfc00]);
    expect(Array.from(halfToFloat32(bits))).toEqual(values);
    expect(Number.isNaN(halfToFloat32(float32ToHalf([NaN]))[0])).toBe(true);
    expect(Array.from(float32ToHalf([65520, 1.00048828125, 1.00146484375]))).toEqual([0x7c00, 0x3c00, 0x3c02]);
  });

  it('rounds float32 to bfloat16 to nearest even, NaN to the quiet NaN', () => {
    const values = new Float32Array([1, 1 / 3, -2.5, 1.00390625, 1.01171875, NaN]);
    expect(Array.from(float32ToBfloat16(values))).toEqual([0x3f80, 0x3eab, 0xc020, 0x3f80, 0x3f82, 0x7fc0]);
  });

  it('converts float16 tensors by value, not by bits', () => {
    const half = Tensor.from([1, -2, 0.5]).clone('float16');
    expect(half.dtype).toBe('float16');
    expect(Array.from(half.data)).toEqual([0x3c00, 0xc000, 0x3800]);
    expect(half.clone('float32').toArray()).toEqual([1, -2, 0.5]);
    expect(half.clone('int32').toArray()).toEqual([1, -2, 0]);
    expect(Tensor.from([65504n, 1n], [2], 'int64').clone('float16').data).toEqual(new Uint16Array([0x7bff, 0x3c00]));
  });

  it('decodes bfloat16 as the upper half of float32', () => {
    expect(Array.from(bfloat16ToFloat32(new Uint16Array([0x3f80, 0xc040, 0x0000])))).toEqual([1, -3, 0]);
  });
});

describe('viewBytes', () => {
  it('copies bytes at an unaligned offset of a Node Buffer (whose slice is a view) instead of reading the buffer’s start', () => {
    const file = Buffer.alloc(17);
    file.writeBigInt64LE(-1n, 1);
    file.writeBigInt64LE(42n, 9);
    expect(Array.from(viewBytes('int64', file.subarray(1, 17), 2))).toEqual([-1n, 42n]);
  });
});
