import { Tensor, denseFromRows } from '../src/index.node.js';
import { errorCode } from './fixtures/io/reference.js';

describe('denseFromRows', () => {
  it('adds each row’s gradient into a zero table; repeated rows add up and negative indices count from the end', () => {
    const values = Tensor.from([[1, 2], [10, 20], [100, 200], [1000, 2000]]);
    const dense = denseFromRows(Tensor.from([1n, -1n, 1n, 3n]), values, [4, 2]);
    expect(dense.shape).toEqual([4, 2]);
    expect(Array.from(dense.data)).toEqual([0, 0, 101, 202, 0, 0, 1010, 2020]);
  });

  it('keeps float64 and rows of any rank', () => {
    const values = Tensor.from(new Float64Array([1, 2, 3, 4]), [1, 2, 2]);
    const dense = denseFromRows(Tensor.from([0n]), values, [2, 2, 2]);
    expect(dense.dtype).toBe('float64');
    expect(Array.from(dense.data)).toEqual([1, 2, 3, 4, 0, 0, 0, 0]);
  });

  it('refuses indices outside the table and values that do not fill the rows', () => {
    const values = Tensor.from([[1, 2]]);
    expect(errorCode(() => denseFromRows(Tensor.from([4n]), values, [4, 2]))).toBe('INVALID_ARGUMENT');
    expect(errorCode(() => denseFromRows(Tensor.from([-5n]), values, [4, 2]))).toBe('INVALID_ARGUMENT');
    expect(errorCode(() => denseFromRows(Tensor.from([0n, 1n]), values, [4, 2]))).toBe('SHAPE_MISMATCH');
    expect(errorCode(() => denseFromRows(Tensor.from([0n]), Tensor.from([1n, 2n]), [4, 2]))).toBe('UNSUPPORTED_DTYPE');
  });
});
