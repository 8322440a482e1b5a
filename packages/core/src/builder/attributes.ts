/**
 * Node attributes for `GraphBuilder.op`: ONNX tells INT from FLOAT, so numbers are tagged with
 * {@link attr.int} / {@link attr.float} (or written as bigints) instead of guessed from their value.
 */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { MechintError, check } from '../errors.js';
import { AttributeProtoSchema, AttributeProto_AttributeType, type AttributeProto } from '../onnx/gen/onnx_pb.js';
import { tensorToProto } from '../onnx/tensor-proto.js';
import { Tensor } from '../tensor/tensor.js';

type AttributeFields = MessageInitShape<typeof AttributeProtoSchema> & { type: AttributeProto_AttributeType };

/** A tagged numeric attribute made by {@link attr.int}, {@link attr.float}, {@link attr.ints} or {@link attr.floats}. @example `attr.int(1)` is `{ kind: 'int', value: 1 }` */
export type NumericAttribute =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] };

/**
 * One attribute value: a tagged number ({@link attr.int}, {@link attr.float}, {@link attr.ints}, {@link attr.floats}),
 * a `bigint` or `bigint[]` (INT / INTS), a `boolean` (INT 0 or 1), a `string` or `string[]`
 * (STRING / STRINGS), or a {@link Tensor} (TENSOR).
 *
 * @example `attr.float(0.5)`, `attr.ints([0, 2])`, `3n`, `true`, `'constant'`, `Tensor.from([1, 2])`
 */
export type AttributeValue = NumericAttribute | bigint | readonly bigint[] | boolean | string | readonly string[] | Tensor;

/** Attributes of one node, by name. `undefined` entries are left out. @example `{ axis: attr.int(1), alpha: attr.float(0.2), mode: 'constant' }` */
export type Attributes = Readonly<Record<string, AttributeValue | undefined>>;

/**
 * An INT attribute.
 *
 * @example
 * ```ts
 * import { GraphBuilder, attr } from '@mechint/core';
 * const g = new GraphBuilder();
 * const x = g.input('x', 'float32', [2, 3]);
 * g.op('Flatten', [x], { axis: attr.int(1) });
 * ```
 */
export function int(value: number): NumericAttribute {
  check(Number.isSafeInteger(value), `attr.int() takes a safe integer; got ${value}. Use attr.float() for a FLOAT attribute.`);
  return { kind: 'int', value };
}

/**
 * A FLOAT attribute (stored as float32, as ONNX does).
 *
 * @example
 * ```ts
 * import { GraphBuilder, attr } from '@mechint/core';
 * const g = new GraphBuilder();
 * const x = g.input('x', 'float32', [4]);
 * g.op('LeakyRelu', [x], { alpha: attr.float(0.1) });
 * ```
 */
export function float(value: number): NumericAttribute {
  check(typeof value === 'number', `attr.float() takes a number; got ${typeof value}.`);
  return { kind: 'float', value };
}

/**
 * An INTS attribute.
 *
 * @example
 * ```ts
 * import { GraphBuilder, attr } from '@mechint/core';
 * const g = new GraphBuilder();
 * const x = g.input('x', 'float32', [2, 3]);
 * g.op('Transpose', [x], { perm: attr.ints([1, 0]) });
 * ```
 */
export function ints(values: readonly number[]): NumericAttribute {
  for (const v of values) check(Number.isSafeInteger(v), `attr.ints() takes safe integers; got ${v}. Use attr.floats() for a FLOATS attribute.`);
  return { kind: 'ints', value: [...values] };
}

/**
 * A FLOATS attribute.
 *
 * @example
 * ```ts
 * import { floats } from '@mechint/core';
 * attr.floats([0.5, 1.5]); // { kind: 'floats', value: [0.5, 1.5] }
 * ```
 */
export function floats(values: readonly number[]): NumericAttribute {
  return { kind: 'floats', value: [...values] };
}

/**
 * The `AttributeProto` named `name` holding `value`. Throws `INVALID_ARGUMENT` for a plain number
 * (say {@link attr.int} or {@link attr.float}) or an empty untyped array.
 *
 * @example
 * ```ts
 * import { attributeProto, attr } from '@mechint/core';
 * attributeProto('axis', attr.int(1)).i; // 1n
 * ```
 */
export function attributeProto(name: string, value: AttributeValue): AttributeProto {
  const make = (fields: AttributeFields) => create(AttributeProtoSchema, { name, ...fields });
  if (typeof value === 'bigint') return make({ type: AttributeProto_AttributeType.INT, i: value });
  if (typeof value === 'boolean') return make({ type: AttributeProto_AttributeType.INT, i: value ? 1n : 0n });
  if (typeof value === 'string') return make({ type: AttributeProto_AttributeType.STRING, s: new TextEncoder().encode(value) });
  if (value instanceof Tensor) return make({ type: AttributeProto_AttributeType.TENSOR, t: tensorToProto(name, value) });
  if (Array.isArray(value)) return listAttribute(name, value as readonly unknown[], make);
  if (typeof value === 'object' && value !== null && 'kind' in value) {
    switch (value.kind) {
      case 'int':
        return make({ type: AttributeProto_AttributeType.INT, i: BigInt(value.value) });
      case 'float':
        return make({ type: AttributeProto_AttributeType.FLOAT, f: value.value });
      case 'ints':
        return make({ type: AttributeProto_AttributeType.INTS, ints: value.value.map((v) => BigInt(v)) });
      case 'floats':
        return make({ type: AttributeProto_AttributeType.FLOATS, floats: [...value.value] });
    }
  }
  const hint = typeof value === 'number' ? ` Write attr.int(${value}) or attr.float(${value}): ONNX tells INT from FLOAT.` : '';
  throw new MechintError('INVALID_ARGUMENT', `Attribute '${name}' has an unsupported value (${typeof value}).${hint}`);
}

function listAttribute(
  name: string,
  values: readonly unknown[],
  make: (fields: AttributeFields) => AttributeProto,
): AttributeProto {
  if (values.length > 0 && values.every((v) => typeof v === 'bigint')) return make({ type: AttributeProto_AttributeType.INTS, ints: [...(values as bigint[])] });
  if (values.length > 0 && values.every((v) => typeof v === 'string')) {
    const encoder = new TextEncoder();
    return make({ type: AttributeProto_AttributeType.STRINGS, strings: (values as string[]).map((s) => encoder.encode(s)) });
  }
  const hint = values.every((v) => typeof v === 'number') ? ' Write attr.ints([...]) or attr.floats([...]): ONNX tells INTS from FLOATS.' : ' Use attr.ints([]), attr.floats([]) or a bigint[] / string[].';
  throw new MechintError('INVALID_ARGUMENT', `Attribute '${name}' is a list the builder cannot type.${hint}`);
}

/**
 * The typed-number helpers under one name, as `@mechint/core` exports them: ONNX tells INT from
 * FLOAT attributes, so numbers are tagged.
 *
 * @example
 * ```ts
 * import { GraphBuilder, attr } from '@mechint/core';
 * const g = new GraphBuilder();
 * const x = g.input('x', 'float32', [2, 4]);
 * g.output(g.op('LeakyRelu', [x], { alpha: attr.float(0.01) }), 'y');
 * ```
 */
export const attr = { int, float, ints, floats } as const;
