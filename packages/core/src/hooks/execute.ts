/**
 * Runs one request on a hooked model: interventions spliced into the graph, cached values added as
 * outputs, and the graph split at JavaScript hooks (the part before a hook runs, the function
 * edits the value, the part after runs on the result), each variant's session cached by structure.
 */
import { MechintError } from '../errors.js';
import type { ModelIR } from '../onnx/model.js';
import type { Backend } from '../runtime/backend.js';
import type { Tensor } from '../tensor/tensor.js';
import { ancestors } from './dataflow.js';
import type { HookPoint } from './hook-points.js';
import { planInterventions, type Intervention, type RuntimeShapeCheck } from './interventions.js';

/**
 * A JavaScript hook: receives the activation and returns its replacement (same shape and dtype),
 * or nothing to keep it.
 */
export type HookFunction = (activation: Tensor, hook: HookPoint) => Tensor | void | Promise<Tensor | void>;

/** One run's request. */
export interface ExecuteRequest {
  feeds: Readonly<Record<string, Tensor>>;
  interventions: readonly Intervention[];
  functions: readonly { hook: HookPoint; fn: HookFunction }[];
  record: readonly HookPoint[];
  outputs: readonly string[];
}

/** Outputs by graph-output name and recorded values by ONNX value name. */
export interface ExecuteResult {
  outputs: Record<string, Tensor>;
  recorded: Map<string, Tensor>;
}

/** The model a request runs on, with what is precomputed about it. */
export interface ExecuteContext {
  /** Distinguishes this model's sessions from other models' in a shared backend. */
  id: string;
  /** The loaded model; never modified. */
  model: ModelIR;
  backend: Backend;
  table: readonly HookPoint[];
  /** Position of each value's producer in topological order. */
  order: ReadonlyMap<string, number>;
}

/**
 * Executes `request`; `dims` maps symbolic dims to this run's sizes. Variants are built only when
 * their session is not cached yet: a repeated request costs one session call per stage.
 */
export async function execute(context: ExecuteContext, dims: ReadonlyMap<string, number>, request: ExecuteRequest): Promise<ExecuteResult> {
  const { model, backend, order } = context;
  const plan = planInterventions(context.table, request.interventions, dims);
  let base: ModelIR | undefined;
  const variantBase = (): ModelIR => {
    if (base === undefined) {
      base = model.clone();
      plan.apply(base);
    }
    return base;
  };
  const hooked = [...new Map(request.functions.map((f) => [f.hook.value, f])).values()].sort((a, b) => order.get(a.hook.value)! - order.get(b.hook.value)!);
  if (hooked.length !== request.functions.length) {
    throw new MechintError('INVALID_ARGUMENT', 'Two JavaScript hooks read the same activation; combine them into one function.');
  }
  const hookedValues = hooked.map((h) => h.hook.value);
  const stageOf = new Map<string, number>();
  const stageFor = (value: string): number => {
    const upstream = hooked.length === 0 ? new Set<string>() : ancestors(model.graph, value);
    return hookedValues.reduce((stage, v, i) => (upstream.has(v) ? i + 1 : stage), 0);
  };
  for (const hook of request.record) {
    if (hookedValues.includes(hook.value)) continue;
    stageOf.set(hook.value, stageFor(hook.value));
  }
  const checkStage = new Map(plan.checks.map((c) => [c, stageFor(c.hookValue)] as const));
  const pool: Record<string, Tensor> = { ...request.feeds, ...plan.feeds };
  const recorded = new Map<string, Tensor>();
  let outputs: Record<string, Tensor> = {};
  for (let stage = 0; stage <= hooked.length; stage++) {
    const last = stage === hooked.length;
    const target = last ? request.outputs : [hookedValues[stage]!];
    const checks = plan.checks.filter((c) => checkStage.get(c) === stage);
    const record = [...[...stageOf].filter(([, s]) => s === stage).map(([v]) => v), ...checks.map((c) => c.value)];
    const key = `${context.id} iv[${plan.key}] split[${hookedValues.join(',')}] stage ${stage} out[${target.join(',')}] rec[${[...record].sort().join(',')}]`;
    const session = await backend.session(() => stageModel(variantBase(), hookedValues.slice(0, stage), [...new Set([...target, ...record])]), { key });
    const feeds = Object.fromEntries(session.inputNames.map((n) => [n, pool[n]!]));
    const result = await session.run(feeds).catch(async (error: unknown) => {
      if (checks.length > 0) await verifyPlainShapes(context, request.feeds, checks);
      throw error;
    });
    for (const c of checks) c.verify(Array.from(result[c.value]!.data as BigInt64Array, Number));
    for (const v of record) if (stageOf.has(v)) recorded.set(v, result[v]!);
    if (last) {
      outputs = Object.fromEntries(request.outputs.map((o) => [o, result[o]!]));
      break;
    }
    const { hook, fn } = hooked[stage]!;
    const activation = result[hook.value]!;
    const edited = (await fn(activation, hook)) ?? activation;
    checkEdit(hook, activation, edited);
    pool[hook.value] = edited;
    if (request.record.some((r) => r.value === hook.value)) recorded.set(hook.value, edited);
  }
  return { outputs, recorded };
}

/**
 * After a failed run with edits on dims unknown before it: the edited activations' real shapes,
 * from a plain run, so that a bad index or value is reported as such instead of onnxruntime's error.
 */
async function verifyPlainShapes(context: ExecuteContext, feeds: Readonly<Record<string, Tensor>>, checks: readonly RuntimeShapeCheck[]): Promise<void> {
  const values = [...new Set(checks.map((c) => c.hookValue))];
  const session = await context.backend.session(() => stageModel(context.model, [], values), { key: `${context.id} shapes[${values.join(',')}]` });
  const result = await session.run(Object.fromEntries(session.inputNames.map((n) => [n, feeds[n]!])));
  for (const c of checks) c.verify(result[c.hookValue]!.shape);
}

function stageModel(base: ModelIR, fed: readonly string[], outputs: readonly string[]): ModelIR {
  const variant = base.clone();
  const graph = variant.graph;
  for (const value of fed) graph.replaceWithInput(value);
  const keep = new Set(outputs);
  for (const o of [...graph.outputs]) if (!keep.has(o.name)) graph.removeOutput(o.name);
  for (const o of outputs) graph.addOutput(o);
  graph.prune();
  return variant;
}

function checkEdit(hook: HookPoint, before: Tensor, after: Tensor): void {
  if (after.dtype !== before.dtype) {
    throw new MechintError('DTYPE_MISMATCH', `The hook on '${hook.name}' returned ${after.dtype}; it must return ${before.dtype}.`);
  }
  if (after.shape.join() !== before.shape.join()) {
    throw new MechintError('SHAPE_MISMATCH', `The hook on '${hook.name}' returned shape [${after.shape.join(', ')}]; it must return [${before.shape.join(', ')}].`);
  }
}
