import { fromJson, toJson } from '../src/io/index.js';
import type { DType } from '../src/tensor/dtype.js';
import { float32ToHalf } from '../src/tensor/half.js';
import { Tensor } from '../src/tensor/tensor.js';
import { errorCode } from './fixtures/io/reference.js';

const ALL_DTYPES: DType[] = ['float32', 'float64', 'float16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool'];

function sample(dtype: DType): Tensor {
  switch (dtype) {
    case 'float32':
      return new Tensor(dtype, new Float32Array([1.5, NaN, Infinity, -Infinity, -0, 3.4028234663852886e38]), [2, 3]);
    case 'float64':
      return new Tensor(dtype, new Float64Array([0.1, -0, NaN, 5e-324]), [4]);
    case 'float16':
      return new Tensor(dtype, float32ToHalf([1, -2, 65504, Infinity]), [2, 2]);
    case 'int64':
      return new Tensor(dtype, new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]), [2]);
    case 'uint64':
      return new Tensor(dtype, new BigUint64Array([0n, 2n ** 64n - 1n]), [2]);
    case 'bool':
      return Tensor.from([[true, false]]);
    default:
      return Tensor.from([0, 1, 100], [3], dtype);
  }
}

describe('toJson', () => {
  it('writes a tensor as {"$tensor": {dtype, shape, data}} with flat C-order data', () => {
    expect(toJson({ acts: Tensor.from([[1, 2], [3, 4]]) })).toBe('{"acts":{"$tensor":{"dtype":"float32","shape":[2,2],"data":[1,2,3,4]}}}');
  });

  it('writes non-finite floats and -0 as strings, 64-bit integers as decimal strings, bools as 0/1, float16 as values', () => {
    const json = JSON.parse(toJson([sample('float32'), sample('int64'), sample('bool'), sample('float16')])) as { $tensor: { data: unknown[] } }[];
    expect(json.map((t) => t.$tensor.data)).toEqual([
      [1.5, 'NaN', 'Infinity', '-Infinity', '-0', 3.4028234663852886e38],
      ['-9223372036854775808', '9223372036854775807'],
      [1, 0],
      [1, -2, 65504, 'Infinity'],
    ]);
  });

  it('writes bigints and non-finite numbers outside tensors as tagged objects', () => {
    expect(toJson({ n: 5n, a: NaN, b: -Infinity, z: -0, ok: 1.25 })).toBe(
      '{"n":{"$bigint":"5"},"a":{"$number":"NaN"},"b":{"$number":"-Infinity"},"z":{"$number":"-0"},"ok":1.25}',
    );
  });

  it('keeps plain JSON semantics otherwise: toJSON, dropped undefined properties, null for undefined in arrays', () => {
    const date = new Date(Date.UTC(2024, 0, 2));
    expect(toJson({ when: date, gone: undefined, list: [undefined, 'x'], nested: { ok: true, none: null } })).toBe(
      '{"when":"2024-01-02T00:00:00.000Z","list":[null,"x"],"nested":{"ok":true,"none":null}}',
    );
  });

  it('indents when asked', () => {
    expect(toJson({ a: [1] }, { indent: 2 })).toBe('{\n  "a": [\n    1\n  ]\n}');
  });

  it('writes a value referenced twice (not a cycle) twice', () => {
    const shared = { x: 1 };
    expect(toJson([shared, shared])).toBe('[{"x":1},{"x":1}]');
  });

  it('rejects typed arrays, Maps, Sets, cycles and top-level undefined with INVALID_ARGUMENT', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    for (const value of [{ a: new Float32Array(2) }, new Map(), [new Set()], cyclic, undefined]) {
      expect(errorCode(() => toJson(value))).toBe('INVALID_ARGUMENT');
    }
    expect(() => toJson(new Float32Array(1))).toThrow(/wrap typed arrays in a Tensor/);
  });
});

describe('fromJson', () => {
  it.each(ALL_DTYPES)('revives %s tensors exactly', (dtype) => {
    const tensor = sample(dtype);
    const back = fromJson(toJson({ t: tensor })) as { t: Tensor };
    expect(back.t).toBeInstanceOf(Tensor);
    expect(back.t.dtype).toBe(dtype);
    expect(back.t.shape).toEqual(tensor.shape);
    expect(back.t.data).toEqual(tensor.data);
  });

  it('revives a whole result object: nested tensors, bigints, special numbers and plain values', () => {
    const result = {
      name: 'ablation',
      scores: [0.5, NaN, -Infinity],
      steps: 12n,
      layers: [{ index: 0, acts: Tensor.from([[1, 2]]) }, { index: 1, acts: Tensor.zeros([0, 3], 'int32') }],
      scalar: new Tensor('float64', new Float64Array([-0]), []),
      flags: { done: true, note: null },
    };
    expect(fromJson(toJson(result))).toEqual(result);
  });

  it('leaves objects that merely contain a $-key alongside others untouched', () => {
    expect(fromJson('{"$tensor":1,"other":2}')).toEqual({ $tensor: 1, other: 2 });
  });

  it.each([
    ['text that is not JSON', '{"a": '],
    ['an unknown dtype', '{"$tensor":{"dtype":"complex64","shape":[1],"data":[1]}}'],
    ['a negative dimension', '{"$tensor":{"dtype":"float32","shape":[-1],"data":[]}}'],
    ['data of the wrong length', '{"$tensor":{"dtype":"float32","shape":[2],"data":[1]}}'],
    ['a missing payload', '{"$tensor":null}'],
    ['an int8 value out of range', '{"$tensor":{"dtype":"int8","shape":[1],"data":[300]}}'],
    ['a fractional int32', '{"$tensor":{"dtype":"int32","shape":[1],"data":[1.5]}}'],
    ['an int64 that is not a decimal string', '{"$tensor":{"dtype":"int64","shape":[1],"data":[5]}}'],
    ['a uint64 out of range', '{"$tensor":{"dtype":"uint64","shape":[1],"data":["-1"]}}'],
    ['a bool that is not 0 or 1', '{"$tensor":{"dtype":"bool","shape":[1],"data":[2]}}'],
    ['a float that is an unknown string', '{"$tensor":{"dtype":"float32","shape":[1],"data":["nan"]}}'],
    ['a malformed $bigint', '{"$bigint":"12a"}'],
    ['a malformed $number', '{"$number":"Inf"}'],
  ])('rejects %s with INVALID_FILE', (_what, text) => {
    expect(errorCode(() => fromJson(text))).toBe('INVALID_FILE');
  });
});
