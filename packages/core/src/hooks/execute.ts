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
import { explainLoopError, measureSubgraphHooks, plumbSubgraphHooks, refuseSubgraphFunctions, subgraphChecks } from './subgraph-runs.js';
import { stepName } from './subgraphs.js';

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
  refuseSubgraphFunctions(request.functions.map((f) => f.hook));
  const measured = await measureSubgraphHooks(model, backend, context.id, request.feeds, request.interventions.map((iv) => context.table.find((h) => h.name === iv.hook)).filter((h): h is HookPoint => h !== undefined));
  const table = measured.length === 0 ? context.table : context.table.map((h) => measured.find((m) => m.name === h.name) ?? h);
  const plan = planInterventions(table, request.interventions, dims);
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
  const stageAfter = (anchor: string): number => {
    const upstream = hooked.length === 0 ? new Set<string>() : ancestors(model.graph, anchor);
    return hookedValues.reduce((stage, v, i) => (upstream.has(v) ? i + 1 : stage), 0);
  };
  for (const hook of request.record) {
    if (hookedValues.includes(hook.value)) continue;
    stageOf.set(hook.value, stageAfter(anchorOf(model, hook)));
  }
  const checkStage = new Map(plan.checks.map((c) => [c, stageAfter(c.hookValue)] as const));
  const pool: Record<string, Tensor> = { ...request.feeds, ...plan.feeds };
  const recorded = new Map<string, Tensor>();
  let outputs: Record<string, Tensor> = {};
  for (let stage = 0; stage <= hooked.length; stage++) {
    const last = stage === hooked.length;
    const target = last ? request.outputs : [hookedValues[stage]!];
    const record = [...stageOf].filter(([, s]) => s === stage).map(([v]) => v);
    const shapeChecks = plan.checks.filter((c) => checkStage.get(c) === stage);
    const key = `${context.id} iv[${plan.key}] split[${hookedValues.join(',')}] stage ${stage} out[${target.join(',')}] rec[${[...record].sort().join(',')}] chk[${shapeChecks.map((c) => c.value).join(',')}]`;
    const inside = request.record.filter((h) => h.subgraph !== undefined && record.includes(h.value));
    const build = (): ModelIR =>
      stageModel(variantBase(), hookedValues.slice(0, stage), [...new Set([...target, ...record, ...shapeChecks.map((c) => c.value)])].filter((v) => !inside.some((h) => h.value === v)), (variant) => plumbSubgraphHooks(variant, inside));
    const session = await backend.session(build, { key });
    const checks = subgraphChecks(model, inside);
    const feeds = Object.fromEntries(session.inputNames.map((n) => [n, pool[n]!]));
    const result = await session.run(feeds).catch(async (e: unknown) => {
      if (shapeChecks.length > 0) await verifyPlainShapes(context, request.feeds, shapeChecks);
      return explainLoopError(e, inside);
    });
    for (const c of shapeChecks) c.verify(Array.from(result[c.value]!.data as BigInt64Array, Number));
    for (const v of record) if (checks.computed(v, result, pool)) recorded.set(v, result[v]!);
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
  const session = await context.backend.session(() => stageModel(context.model, [], values, () => undefined), { key: `${context.id} shapes[${values.join(',')}]` });
  const result = await session.run(Object.fromEntries(session.inputNames.map((n) => [n, feeds[n]!])));
  for (const c of checks) c.verify(result[c.hookValue]!.shape);
}

function stageModel(base: ModelIR, fed: readonly string[], outputs: readonly string[], addOutputs: (variant: ModelIR) => void): ModelIR {
  const variant = base.clone();
  const graph = variant.graph;
  for (const value of fed) graph.replaceWithInput(value);
  const keep = new Set(outputs);
  for (const o of [...graph.outputs]) if (!keep.has(o.name)) graph.removeOutput(o.name);
  for (const o of outputs) graph.addOutput(o);
  addOutputs(variant);
  graph.prune();
  return variant;
}

/** The main-graph value whose ancestors a hook's value has: for a value in a subgraph, the output of the node that owns it. */
function anchorOf(model: ModelIR, hook: HookPoint): string {
  const step = hook.subgraph?.path[0];
  if (step === undefined) return hook.value;
  const owner = model.graph.nodes.find((n) => stepName(n) === step.node);
  return owner?.output[0] ?? hook.value;
}

function checkEdit(hook: HookPoint, before: Tensor, after: Tensor): void {
  if (after.dtype !== before.dtype) {
    throw new MechintError('DTYPE_MISMATCH', `The hook on '${hook.name}' returned ${after.dtype}; it must return ${before.dtype}.`);
  }
  if (after.shape.join() !== before.shape.join()) {
    throw new MechintError('SHAPE_MISMATCH', `The hook on '${hook.name}' returned shape [${after.shape.join(', ')}]; it must return [${before.shape.join(', ')}].`);
  }
}
