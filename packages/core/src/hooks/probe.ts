/**
 * Shape and dtype of every value, from two probe runs with different sizes for each symbolic
 * input dim: a dim that follows an input's symbolic dim in both runs is named after it
 * (`'batch'`, `'pos'`), a dim that stays put is a number, anything else is `null`.
 */
import type { ModelIR } from '../onnx/model.js';
import { describeTensorType, type Dim } from '../onnx/types.js';
import type { Backend } from '../runtime/backend.js';
import { dtypeFromOnnx } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import type { ValueMeta } from './hook-points.js';

/** Probe sizes for the i-th distinct symbolic dim, one per run; never equal across runs. */
const SIZES: readonly (readonly [number, number])[] = [
  [2, 3],
  [5, 7],
  [11, 13],
  [17, 19],
  [23, 29],
];

/** Symbolic dims of each feed input (`dim_param`, or `<input>.<axis>` when unnamed). */
export function inputDims(model: ModelIR): Map<string, Dim[]> {
  const dims = new Map<string, Dim[]>();
  for (const name of model.graph.feedNames) {
    const type = model.graph.typeOf(name);
    const described = type === undefined ? undefined : describeTensorType(type);
    dims.set(name, (described?.shape ?? []).map((d, axis) => (typeof d === 'number' ? d : d ?? `${name}.${axis}`)));
  }
  return dims;
}

/**
 * Probes `values` of `model`; returns what it could learn (nothing for values of a model whose
 * inputs cannot be synthesised, e.g. of unknown rank).
 */
export async function probeValues(model: ModelIR, values: readonly string[], backend: Backend): Promise<Map<string, ValueMeta>> {
  const dims = inputDims(model);
  const symbols = [...new Set([...dims.values()].flat().filter((d): d is string => typeof d === 'string'))];
  if (symbols.length > SIZES.length) return new Map();
  const variant = model.clone();
  const outputs = values.filter((v) => !model.graph.feedNames.includes(v));
  for (const v of outputs) variant.graph.addOutput(v);
  const session = await backend.session(variant).catch(() => undefined);
  if (session === undefined) return new Map();
  const runs: Record<string, Tensor>[] = [];
  for (const run of [0, 1] as const) {
    const size = (d: Dim): number => (typeof d === 'number' ? d : SIZES[symbols.indexOf(d as string)]![run]);
    const feeds: Record<string, Tensor> = {};
    for (const [name, shape] of dims) feeds[name] = probeFeed(model, name, shape.map(size));
    try {
      runs.push({ ...(await session.run(feeds, { outputs })), ...feeds });
    } catch {
      await session.release();
      return new Map();
    }
  }
  await session.release();
  const meta = new Map<string, ValueMeta>();
  for (const value of values) {
    const [a, b] = [runs[0]![value], runs[1]![value]];
    if (a === undefined || b === undefined) continue;
    const shape = a.shape.map((d, axis): Dim => {
      const other = b.shape[axis];
      if (other === d) return d;
      const symbol = symbols.find((s, i) => SIZES[i]![0] === d && SIZES[i]![1] === other);
      return symbol ?? null;
    });
    meta.set(value, { dtype: a.dtype, shape: a.shape.length === b.shape.length ? shape : undefined });
  }
  return meta;
}

function probeFeed(model: ModelIR, name: string, shape: number[]): Tensor {
  const type = model.graph.typeOf(name);
  const described = type === undefined ? undefined : describeTensorType(type);
  const dtype = described === undefined ? 'float32' : dtypeFromOnnx(described.elemType);
  const tensor = Tensor.zeros(shape, dtype);
  if (dtype === 'int64' || dtype === 'uint64') (tensor.data as BigInt64Array).fill(1n);
  else if (dtype !== 'bool' && dtype !== 'float16') (tensor.data as Float32Array).fill(1);
  return tensor;
}
