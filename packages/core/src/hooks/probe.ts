/**
 * Shapes and dtypes of every value: what the file declares and static inference derives
 * (`inferShapes`), completed by two probe runs — on the user's example inputs (and a copy with
 * every symbolic dim doubled) or on synthetic inputs with different sizes for each symbolic input
 * dim. A probe can only fill what inference left unknown: a dim inference knows is never replaced
 * by a number two small runs happened to agree on.
 */
import type { ModelIR } from '../onnx/model.js';
import { feedDims, type InferredType, type TypeConflict } from '../onnx/shape-inference.js';
import { describeTensorType, tensorType, type Dim } from '../onnx/types.js';
import type { Backend } from '../runtime/backend.js';
import { dtypeFromOnnx } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import type { DimSource, ValueMeta } from './hook-points.js';

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
  return feedDims(model.graph);
}

/** What the probe runs learned, and why they failed when they did. */
export interface ProbeResult {
  /** Shape and dtype per value, as seen in the runs (symbols where a dim followed an input's). */
  readonly meta: Map<string, ValueMeta>;
  /** Why the probe learned nothing (or, with `meta` filled, less than two runs tell), when so. */
  readonly failure?: string;
}

/**
 * Probes `values` of `model` in two runs: `exampleInputs` and the same inputs with every symbolic
 * dim doubled, or two synthetic inputs. A failed run is reported in `failure`, never thrown.
 * `inferred` gives the element types of the values made outputs; their `value_info` entries are
 * dropped from the variant (a stale declared type would make onnxruntime refuse it).
 */
export async function probeValues(model: ModelIR, values: readonly string[], backend: Backend, inferred: ReadonlyMap<string, InferredType>, exampleInputs?: Readonly<Record<string, Tensor>>): Promise<ProbeResult> {
  const dims = inputDims(model);
  const symbols = [...new Set([...dims.values()].flat().filter((d): d is string => typeof d === 'string'))];
  let sizes: (readonly [number, number])[];
  if (exampleInputs !== undefined) {
    const seen = new Map<string, number>();
    for (const [name, shape] of dims) {
      const feed = exampleInputs[name];
      if (feed === undefined) return { meta: new Map(), failure: `exampleInputs lacks the input '${name}'` };
      shape.forEach((d, axis) => typeof d === 'string' && seen.set(d, feed.shape[axis] ?? 1));
    }
    sizes = symbols.map((s) => [seen.get(s)!, 2 * seen.get(s)!] as const);
  } else {
    if (symbols.length > SIZES.length) return { meta: new Map(), failure: `${symbols.length} symbolic input dims; the synthetic probe handles at most ${SIZES.length} (pass exampleInputs)` };
    sizes = symbols.map((_, i) => SIZES[i]!);
  }
  const variant = model.clone();
  const outputs = values.filter((v) => !model.graph.feedNames.includes(v));
  const probedSet = new Set(outputs);
  variant.graph.proto.valueInfo = variant.graph.valueInfo.filter((v) => !probedSet.has(v.name));
  variant.graph.invalidate();
  for (const v of outputs) {
    const elemType = inferred.get(v)?.elemType;
    variant.graph.addOutput(v, elemType === undefined ? undefined : tensorType(elemType));
  }
  let session;
  try {
    session = await backend.session(variant);
  } catch (e) {
    return { meta: new Map(), failure: `onnxruntime could not create the probe session: ${messageOf(e)}` };
  }
  const runs: Record<string, Tensor>[] = [];
  let partial: string | undefined;
  for (const run of [0, 1] as const) {
    const size = (d: Dim): number => (typeof d === 'number' ? d : sizes[symbols.indexOf(d as string)]![run]);
    const feeds: Record<string, Tensor> = {};
    for (const [name, shape] of dims) feeds[name] = run === 0 && exampleInputs !== undefined ? exampleInputs[name]! : probeFeed(model, name, shape.map(size));
    try {
      runs.push({ ...(await session.run(feeds, { outputs })), ...feeds });
    } catch (e) {
      const at = Object.entries(feeds).map(([n, t]) => `${n} [${t.shape.join(', ')}]`).join(', ');
      if (run === 1 && exampleInputs !== undefined) {
        // The example alone: every dim it shows is a number (a probe-only guess, checked at run time).
        partial = `the second probe run (exampleInputs with every symbolic dim doubled: ${at}) failed: ${messageOf(e)}; dims only the probe saw are the example's sizes`;
        runs.push(runs[0]!);
        break;
      }
      await session.release();
      return { meta: new Map(), failure: `the probe run on ${run === 0 && exampleInputs !== undefined ? 'exampleInputs' : 'synthetic inputs'} (${at}) failed: ${messageOf(e)}` };
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
      const matches = symbols.filter((_, i) => sizes[i]![0] === d && sizes[i]![1] === other);
      return matches.length === 1 ? matches[0]! : null;
    });
    meta.set(value, { dtype: a.dtype, shape: a.shape.length === b.shape.length ? shape : undefined });
  }
  return partial === undefined ? { meta } : { meta, failure: partial };
}

/**
 * Each value's dtype and shape from the file and static inference (`inferred`, see `inferShapes`), completed by `probed` where
 * inference left a dim unknown; `dimSources` says which dims only the probe saw.
 */
export function staticMeta(inferred: ReadonlyMap<string, InferredType>, values: readonly string[], probed: ReadonlyMap<string, ValueMeta>): Map<string, ValueMeta> {
  const meta = new Map<string, ValueMeta>();
  for (const value of values) {
    const fromFile = inferred.get(value);
    const fromProbe = probed.get(value);
    const dtype = fromFile?.elemType !== undefined && fromFile.elemType !== 0 ? dtypeOrUndefined(fromFile.elemType) ?? fromProbe?.dtype : fromProbe?.dtype;
    const known = fromFile?.shape;
    const seen = fromProbe?.shape;
    if (known === undefined) {
      meta.set(value, { dtype, shape: seen, ...(seen === undefined ? {} : { dimSources: seen.map((): DimSource => 'probe') }) });
      continue;
    }
    const agree = seen !== undefined && seen.length === known.length;
    const shape = known.map((d, i) => (d !== null ? d : agree ? seen[i]! : null));
    const dimSources = known.map((d, i): DimSource => (d !== null ? 'static' : agree && seen[i] !== null ? 'probe' : 'unknown'));
    meta.set(value, { dtype, shape, dimSources });
  }
  return meta;
}

/** One warning for the declared types that contradict the operators' rules, with the first few. */
export function describeConflicts(conflicts: readonly TypeConflict[]): string {
  const type = (elemType: number | undefined, shape: readonly Dim[] | undefined) => `${elemType === undefined ? '?' : (dtypeOrUndefined(elemType) ?? elemType)} ${shape === undefined ? '[?]' : `[${shape.map((d) => d ?? '?').join(', ')}]`}`;
  const examples = conflicts.slice(0, 3).map((c) => `'${c.value}' declared ${type(c.declared.elemType, c.declared.shape)}, computes ${type(c.inferred.elemType, c.inferred.shape)}`);
  return `${conflicts.length} type(s) the file declares contradict what the operators compute (${examples.join('; ')}${conflicts.length > 3 ? '; …' : ''}); the computed types are used. The file's value_info is stale: re-run shape inference on it to fix the file.`;
}

function dtypeOrUndefined(code: number): ValueMeta['dtype'] {
  try {
    return dtypeFromOnnx(code);
  } catch {
    return undefined;
  }
}

function messageOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 400);
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
