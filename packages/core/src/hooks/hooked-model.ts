/**
 * `HookedModel`: every activation of an exported model, by name — cached, edited in the graph, or
 * handed to JavaScript — on any execution provider.
 */
import { MechintError } from '../errors.js';
import { decodeModel } from '../onnx/codec.js';
import { ModelIR } from '../onnx/model.js';
import { nodeSubgraphs } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/gen/onnx_pb.js';
import { measureSubgraphHooks } from './subgraph-runs.js';
import { Backend, type BackendOptions } from '../runtime/backend.js';
import type { Tensor } from '../tensor/tensor.js';
import { ActivationCache } from './activation-cache.js';
import { findAttention, type AttentionReport } from './attention.js';
import { UNFUSABLE_ATTENTION } from './fused-attention.js';
import { dataValues, inputValues } from './dataflow.js';
import { execute, type ExecuteContext, type HookFunction } from './execute.js';
import { buildHookTable, type HookPoint, type ValueMeta } from './hook-points.js';
import type { Intervention } from './interventions.js';
import { GRAD_SEED_INPUT, gradients, type GradientGraph } from '../grad/gradients.js';
import { denseFromRows } from '../grad/dense-rows.js';
import type { GradRule } from '../grad/context.js';
import { isRecurrent } from '../grad/unroll.js';
import { torchParameterAlias, transposeMatrix } from '../grad/parameters.js';
import { readModelSource } from './model-source.js';
import { assertLoadable } from './load-check.js';
import { describeConflicts, inputDims, probeValues, staticMeta, type ProbeResult } from './probe.js';
import { inferShapes, type TypeConflict } from '../onnx/shape-inference.js';
import { describeTensorType } from '../onnx/types.js';
import { dtypeFromOnnx } from '../tensor/dtype.js';
import { resolveHook, selectHooks, type HookSelector } from './selectors.js';
import { unfuse } from './unfuse.js';
import { splitSkipNorms } from './skip-norm.js';
import { splitHeads } from './split-heads.js';

let nextId = 0;

/** Options of {@link HookedModel.load}. */
export interface HookedModelOptions {
  /** Execution provider(s) for runs, as in `Backend.create` (default `'cpu'` in Node). */
  ep?: BackendOptions['ep'];
  /** A backend to share between models (overrides `ep`). */
  backend?: Backend;
  /**
   * Complete the shapes that the file's declared types and static shape inference leave unknown
   * with two probe runs (default `true`): on `exampleInputs` when given, else on small synthetic
   * inputs. A failed probe is a warning (see `warnings`), never an error: interventions on dims
   * nobody knows are checked against the real shapes at run time.
   */
  probe?: boolean;
  /**
   * Inputs the probe runs on (one tensor per graph input): use them for models that only accept
   * some sizes (a detector whose sides must be multiples of 32). The probe runs them, then the
   * same inputs with every symbolic dim doubled.
   */
  exampleInputs?: Readonly<Record<string, Tensor>>;
  /**
   * Called with each load warning (a failed probe, with its reason); default `console.warn`. Pass
   * `() => {}` to silence them — they stay in `HookedModel.warnings`.
   */
  onWarning?: (message: string) => void;
  /**
   * Rewrite fused attention operators (`com.microsoft` `Attention`, `MultiHeadAttention`,
   * `GroupQueryAttention`, opset-23 `Attention`) into standard operators on load, so that
   * `attn.pattern`, `attn.z` and `attn.hook_q/k/v` exist (see {@link unfuse}; default `false`).
   */
  unfuse?: boolean;
  /**
   * Compute each attention's output projection per head on load (see {@link splitHeads}; default
   * `false`), so that `blocks.L.attn.hook_result` (`[batch, pos, head, d_model]`, before the bias)
   * exists — TransformerLens's `use_attn_result=True`. Applied after `unfuse`.
   */
  splitHeads?: boolean;
  /**
   * Check at load that onnxruntime accepts the model (default `true`): a model it rejects fails
   * here with `INVALID_MODEL` and onnxruntime's reason. `false` only to read a model that cannot
   * run here (its hook names, its attention report), e.g. one with operators this build lacks.
   */
  validate?: boolean;
}

/** Options of {@link HookedModel.run}. */
export interface RunHooksOptions {
  /** Declarative edits, compiled into the graph. */
  interventions?: readonly Intervention[];
  /** JavaScript hooks by hook-point name: each splits the graph at its activation. */
  hooks?: Readonly<Record<string, HookFunction>>;
  /** Graph outputs to return (default: all). */
  outputs?: readonly string[];
}

/** Options of {@link HookedModel.runWithGrad}. */
export interface RunWithGradOptions {
  /** What to differentiate: a hook point or graph output. */
  of: string;
  /** With respect to: hook points, parameters (initializer names) or graph inputs. */
  wrt: readonly string[];
  /** Weights of `of` (its shape); default all ones. One-hot per batch item gives per-item gradients. */
  seed?: Tensor;
  /** Backward rules replacing the registered ones, by operator type (DeepLIFT's rescale, surrogate gradients). */
  overrides?: Readonly<Record<string, GradRule>>;
  /** Backward rules for single nodes, by node name (see `GradientsOptions.nodeOverrides`). */
  nodeOverrides?: Readonly<Record<string, GradRule>>;
  /** Quantize steps on the way: `'straight-through'` (default) or `'refuse'` (see `GradientsOptions.quantized`). */
  quantized?: 'straight-through' | 'refuse';
}

const ruleIds = new WeakMap<GradRule, number>();
let nextRuleId = 0;
function ruleId(rule: GradRule): number {
  let id = ruleIds.get(rule);
  if (id === undefined) ruleIds.set(rule, (id = ++nextRuleId));
  return id;
}

/** Options of {@link HookedModel.runWithCache}. */
export interface RunWithCacheOptions extends Omit<RunHooksOptions, 'hooks'> {
  /**
   * Which activations to record: names, regular expressions, predicates. Default: every hook point
   * that carries data and has a module name or alias (every data-carrying value when the model
   * has neither).
   */
  hooks?: HookSelector | readonly HookSelector[];
  /** JavaScript hooks by hook-point name, applied before recording. */
  functions?: Readonly<Record<string, HookFunction>>;
}

/**
 * A loaded model with named hook points.
 *
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * const model = await HookedModel.load('packages/core/test/fixtures/gpt2l.onnx');
 * const tokens = Tensor.from([[0n, 3n, 4n, 5n, 3n, 4n, 5n]]);
 * const { cache } = await model.runWithCache({ tokens }, { hooks: [/attn\.pattern$/] });
 * const ablated = await model.run({ tokens }, { interventions: [{ hook: 'blocks.1.attn.z', op: 'zero', heads: [0] }] });
 * console.log(cache.get('blocks.1.attn.pattern').shape, ablated['logits']!.shape);
 * ```
 */
export class HookedModel {
  /** The model as loaded; runs build variants of it and never modify it. */
  readonly model: ModelIR;
  /** The backend runs use. */
  readonly backend: Backend;
  /** Every addressable activation. */
  readonly hookPoints: readonly HookPoint[];
  /** What attention recognition found (see {@link HookedModel.describeAttention}). */
  readonly attention: AttentionReport;
  /** What went wrong while loading without stopping it (e.g. why the shape probe failed). */
  readonly warnings: readonly string[];
  readonly #context: ExecuteContext;
  readonly #gradOutputs = new Map<string, Pick<GradientGraph, 'grads' | 'rows'>>();

  private constructor(model: ModelIR, backend: Backend, hookPoints: readonly HookPoint[], attention: AttentionReport, order: ReadonlyMap<string, number>, warnings: readonly string[]) {
    this.model = model;
    this.backend = backend;
    this.hookPoints = hookPoints;
    this.attention = attention;
    this.warnings = warnings;
    this.#context = { id: `hooked-${nextId++}`, model, backend, table: hookPoints, order };
  }

  /**
   * Loads a model from a path (Node), a URL (fetched), bytes or a decoded `ModelIR`, names its hook
   * points and probes their shapes. A model onnxruntime refuses fails here with `INVALID_MODEL`
   * (`UNSUPPORTED_OP` for an operator without a kernel) and onnxruntime's reason; the check reuses
   * the probe's session, so it costs a session of its own only when the probe is off or failed.
   * onnxruntime's fused residual normalisations (`SkipLayerNormalization`,
   * `SkipSimplifiedLayerNormalization`) are split into `Add` + a standard normalisation
   * ({@link splitSkipNorms}), so the residual stream is a value that edits reach.
   */
  static async load(source: string | URL | Uint8Array | ModelIR, options: HookedModelOptions = {}): Promise<HookedModel> {
    const loaded = source instanceof ModelIR ? source.clone() : source instanceof Uint8Array ? decodeModel(source) : await readModelSource(source);
    const unfused = splitSkipNorms(options.unfuse === true ? unfuse(loaded) : loaded);
    const model = options.splitHeads === true ? splitHeads(unfused) : unfused;
    const backend = options.backend ?? (await Backend.create(options.ep === undefined ? {} : { ep: options.ep }));
    const order = model.graph.topologicalOrder();
    const data = dataValues(model.graph, order);
    const attention = findAttention(model.graph, order);
    const values = [...model.graph.feedNames, ...order.flatMap((n) => n.output.filter((o) => o !== '' && data.has(o)))];
    const probeBackend = await Backend.create({ ep: ['cpu', 'wasm'], logSeverityLevel: 4 });
    const conflicts: TypeConflict[] = [];
    const inferred = inferShapes(model, { onConflict: (c) => conflicts.push(c) });
    const probed: ProbeResult = options.probe === false ? { meta: new Map() } : await probeValues(model, values, probeBackend, inferred, options.exampleInputs);
    if (probed.meta.size === 0 && options.validate !== false) await assertLoadable(model, probeBackend);
    const warnings: string[] = [];
    if (conflicts.length > 0) warnings.push(describeConflicts(conflicts));
    if (options.splitHeads === true && attention.sites.length === 0) {
      warnings.push(`splitHeads: no attention layer was recognised, so there is no attn.hook_result. ${attention.fused.length > 0 ? 'The attention is fused: load with { unfuse: true, splitHeads: true }.' : 'See describeAttention().'}`);
    }
    if (probed.failure !== undefined) {
      warnings.push(
        `Shape probe failed: ${probed.failure}. Shapes come from the file's declared types and static inference; dims they leave unknown are checked against the real shapes when an edit runs.${options.exampleInputs === undefined ? ' Pass exampleInputs to HookedModel.load to probe on inputs the model accepts.' : ''}`,
      );
    }
    const warn = options.onWarning ?? ((message: string) => console.warn(`@mechint/core: ${message}`));
    for (const w of warnings) warn(w);
    // values that vary only with the inputs' sizes (positions, rotary tables) are not probed: their types come from the file and static inference
    const fed = inputValues(model.graph, order);
    const sizeOnly = order.flatMap((n) => n.output.filter((o) => o !== '' && fed.has(o) && !data.has(o)));
    const meta = staticMeta(inferred, [...values, ...sizeOnly], probed.meta);
    const firstInput = inputDims(model).values().next().value ?? [];
    const hookPoints = buildHookTable({ graph: model.graph, order, data, attention, meta, inputSymbols: firstInput });
    const position = new Map(order.flatMap((n, i) => n.output.map((o) => [o, i] as const)));
    return new HookedModel(model, backend, hookPoints, attention, position, warnings);
  }

  /**
   * The type the file declares for a graph input, output or `value_info` entry (by hook-point or
   * value name), exactly as written — `undefined` when the file declares none.
   *
   * @example
   * ```ts
   * import { HookedModel } from '@mechint/core';
   * const model = await HookedModel.load('packages/core/test/fixtures/gpt2l.onnx');
   * model.declaredType('tokens'); // { dtype: 'int64', shape: ['batch', 'pos'] }
   * ```
   */
  declaredType(name: string): ValueMeta | undefined {
    const value = this.hookPoints.find((h) => h.name === name)?.value ?? name;
    const graph = this.model.graph;
    const declared = [...graph.inputs, ...graph.outputs, ...graph.valueInfo].find((v) => v.name === value)?.type;
    const described = declared === undefined ? undefined : describeTensorType(declared);
    if (described === undefined) return undefined;
    return { dtype: described.elemType === 0 ? undefined : dtypeFromOnnx(described.elemType), shape: described.shape };
  }

  /** The hook point named `name` (`UNKNOWN_HOOK` with the closest names otherwise). */
  hookPoint(name: string): HookPoint {
    return resolveHook(this.hookPoints, name);
  }

  /**
   * A sentence on which attention layers were recognised, which block structure (and so which
   * TransformerLens definitions) their residual aliases follow, and why a layer has none.
   */
  describeAttention(): string {
    const { sites, fused, unmatchedSoftmax } = this.attention;
    const parts = [`${sites.length} attention layer(s) recognised${sites.length ? ` (${sites.map((s) => s.module ?? `layer ${s.layer}`).join(', ')})` : ''}`];
    const layouts: Record<string, string> = {
      'pre-ln': 'pre-LN blocks, HookedTransformer definitions: resid_pre + attn_out = resid_mid, resid_mid + mlp_out = resid_post',
      'post-ln': 'post-LN blocks, HookedEncoder definitions: resid_pre + attn_out = resid_mid, ln1(resid_mid) + mlp_out = resid_post, ln2(resid_post) = normalized_resid_post',
      parallel: 'parallel attention and MLP, HookedTransformer parallel_attn_mlp definitions: resid_pre + attn_out + mlp_out = resid_post, no resid_mid',
    };
    for (const [layout, text] of Object.entries(layouts)) {
      const layers = sites.filter((s) => s.residual?.layout === layout).map((s) => s.layer);
      if (layers.length > 0) parts.push(`residual aliases for layer(s) ${layers.join(', ')} (${text})`);
    }
    const reasons = new Map<string, number[]>();
    for (const s of sites) if (s.residualReason !== undefined) reasons.set(s.residualReason, [...(reasons.get(s.residualReason) ?? []), s.layer]);
    for (const [reason, layers] of reasons) parts.push(`no residual aliases for layer(s) ${layers.join(', ')}: ${reason}`);
    const opTypes = new Map(this.model.graph.nodes.map((n) => [n.name || n.opType, n.opType]));
    const kept = fused.filter((name) => UNFUSABLE_ATTENTION.has(opTypes.get(name) ?? ''));
    const rewritable = fused.filter((name) => !kept.includes(name));
    if (rewritable.length > 0) parts.push(`fused attention operators keep their pattern inside one kernel, not exposed: ${rewritable.join(', ')} (load with { unfuse: true } to rewrite them into standard operators)`);
    if (kept.length > 0) {
      parts.push(
        `fused attention operators that unfuse does not rewrite keep heads and pattern inside one kernel, with no per-head hook: ${kept.map((name) => `${name} (${opTypes.get(name)})`).join(', ')} ` +
          '(export without this fusion)',
      );
    }
    if (unmatchedSoftmax.length > 0) parts.push(`Softmax nodes not matching q·kᵀ → softmax → ·v: ${unmatchedSoftmax.join(', ')}`);
    return `${parts.join('; ')}.`;
  }

  /**
   * Runs the model with interventions compiled into the graph and JavaScript hooks; returns the
   * graph outputs.
   */
  async run(feeds: Readonly<Record<string, Tensor>>, options: RunHooksOptions = {}): Promise<Record<string, Tensor>> {
    const result = await this.execute(feeds, { ...options, record: [], functions: options.hooks ?? {} });
    return result.outputs;
  }

  /** Runs the model and records the selected activations, in one session call per graph split. */
  async runWithCache(feeds: Readonly<Record<string, Tensor>>, options: RunWithCacheOptions = {}): Promise<{ outputs: Record<string, Tensor>; cache: ActivationCache }> {
    const selected = options.hooks === undefined ? this.defaultCacheHooks() : selectHooks(this.hookPoints, options.hooks);
    const result = await this.execute(feeds, { ...options, record: selected, functions: options.functions ?? {} });
    return { outputs: result.outputs, cache: new ActivationCache(result.recorded, this.hookPoints, selected) };
  }

  /**
   * Runs the model and the gradients of `of` with respect to every `wrt` — hook points,
   * parameters (initializer names) or graph inputs — in one session call; `seed` (shaped like
   * `of`) weights the output, by default all ones (the gradient of its sum). RNN / GRU / LSTM
   * nodes are unrolled over the sequence length of the feeds (the time dim of their input, from
   * its declared type, shape inference or the probe — or, for nodes inside an If branch, measured
   * by a run; all of them must share it). Paths through If, Loop and Scan are differentiated (see
   * `gradients`); one that cannot be raises `UNSUPPORTED_OP`, never returns zeros.
   */
  async runWithGrad(feeds: Readonly<Record<string, Tensor>>, options: RunWithGradOptions): Promise<{ outputs: Record<string, Tensor>; grads: Record<string, Tensor> }> {
    const of = this.valueOf(options.of);
    // A torch parameter name the exporter renamed (and maybe transposed) resolves to its initializer.
    const aliases = options.wrt.map((w) => (this.model.graph.has(w) || this.hookPoints.some((h) => h.name === w) ? undefined : torchParameterAlias(this.model, w)));
    const wrt = options.wrt.map((w, i) => aliases[i]?.value ?? this.valueOf(w));
    const overrides = options.overrides ?? {};
    const nodeOverrides = options.nodeOverrides ?? {};
    const steps = this.stepsOf(this.dimsOf(feeds)) ?? (await this.bodyStepsOf(feeds));
    const key = `${this.#context.id} grad of[${of}] wrt[${wrt.join(',')}] seed[${options.seed === undefined ? 'ones' : 'input'}] rules[${[...Object.entries(overrides), ...Object.entries(nodeOverrides).map(([n, r]) => [`node ${n}`, r] as const)].map(([op, rule]) => `${op}:${ruleId(rule)}`).join(',')}] steps[${steps ?? ''}] quantized[${options.quantized ?? 'straight-through'}]`;
    const session = await this.backend.session(() => {
      const shapes = new Map(this.hookPoints.filter((h) => h.shape !== undefined).map((h) => [h.value, h.shape!.map((d, i) => (h.dimSources?.[i] === 'probe' ? null : d))] as const));
      const built = gradients(this.model, { of, wrt, seed: options.seed === undefined ? 'ones' : 'input', overrides, nodeOverrides, shapes, rowSparse: true, quantized: options.quantized ?? 'straight-through', ...(steps === undefined ? {} : { steps }) });
      this.#gradOutputs.set(key, built);
      return built.model;
    }, { key });
    const { grads: names, rows } = this.#gradOutputs.get(key)!;
    const seedFeed = options.seed === undefined ? {} : { [GRAD_SEED_INPUT]: options.seed };
    const result = await session.run({ ...feeds, ...seedFeed });
    const graphOutputs = this.model.graph.outputs.map((o) => o.name);
    const gradOf = (value: string): Tensor => {
      const read = rows[value];
      return read === undefined ? result[names[value]!]! : denseFromRows(result[read.indices]!, result[read.values]!, read.shape);
    };
    return {
      outputs: Object.fromEntries(graphOutputs.map((o) => [o, result[o]!])),
      grads: Object.fromEntries(options.wrt.map((w, i) => [w, aliases[i]?.transpose === true ? transposeMatrix(gradOf(wrt[i]!)) : gradOf(wrt[i]!)])),
    };
  }

  /** Releases the sessions of this model's backend. */
  async dispose(): Promise<void> {
    await this.backend.dispose();
  }

  private async execute(
    feeds: Readonly<Record<string, Tensor>>,
    options: { interventions?: readonly Intervention[] | undefined; outputs?: readonly string[] | undefined; record: readonly HookPoint[]; functions: Readonly<Record<string, HookFunction>> },
  ) {
    const graphOutputs = this.model.graph.outputs.map((o) => o.name);
    const outputs = options.outputs ?? graphOutputs;
    const unknown = outputs.filter((o) => !graphOutputs.includes(o));
    if (unknown.length > 0) throw new MechintError('UNKNOWN_VALUE', `Not graph outputs: ${unknown.join(', ')}; outputs are ${graphOutputs.join(', ')}.`);
    const functions = Object.entries(options.functions).map(([name, fn]) => ({ hook: this.hookPoint(name), fn }));
    return execute(this.#context, this.dimsOf(feeds), {
      feeds,
      interventions: options.interventions ?? [],
      functions,
      record: options.record.filter((h, i, all) => all.findIndex((o) => o.value === h.value) === i),
      outputs,
    });
  }

  private dimsOf(feeds: Readonly<Record<string, Tensor>>): Map<string, number> {
    const expected = this.model.graph.feedNames;
    const missing = expected.filter((n) => !(n in feeds));
    const extra = Object.keys(feeds).filter((n) => !expected.includes(n));
    if (missing.length > 0 || extra.length > 0) {
      throw new MechintError('INVALID_ARGUMENT', `Feeds must be exactly the model's inputs [${expected.join(', ')}]:${missing.length ? ` missing ${missing.join(', ')};` : ''}${extra.length ? ` unknown ${extra.join(', ')};` : ''}`);
    }
    const dims = new Map<string, number>();
    for (const [name, shape] of inputDims(this.model)) {
      const tensor = feeds[name]!;
      shape.forEach((d, axis) => {
        const size = tensor.shape[axis];
        if (typeof d === 'string' && size !== undefined) dims.set(d, size);
      });
    }
    return dims;
  }

  /** The time steps of the recurrent nodes' input sequences in a run with these dims, when known. */
  private stepsOf(dims: ReadonlyMap<string, number>): number | undefined {
    for (const node of this.model.graph.nodes.filter(isRecurrent)) {
      const layout = Number(node.attribute.find((a) => a.name === 'layout')?.i ?? 0n);
      const time = this.hookPoints.find((h) => h.value === node.input[0])?.shape?.[layout];
      const steps = typeof time === 'string' ? dims.get(time) : time;
      if (typeof steps === 'number') return steps;
    }
    return undefined;
  }

  /** The sequence length of the first RNN / GRU / LSTM inside an If / Loop / Scan body that these feeds run, measured by a run. */
  private async bodyStepsOf(feeds: Readonly<Record<string, Tensor>>): Promise<number | undefined> {
    const layouts = new Map<string, number>();
    const visit = (nodes: readonly NodeProto[], inBody: boolean) => {
      for (const node of nodes) {
        if (inBody && isRecurrent(node)) layouts.set(node.input[0]!, Number(node.attribute.find((a) => a.name === 'layout')?.i ?? 0n));
        for (const body of nodeSubgraphs(node)) visit(body.node, true);
      }
    };
    visit(this.model.graph.nodes, false);
    for (const hook of this.hookPoints.filter((h) => h.subgraph !== undefined && h.kind === 'value' && layouts.has(h.subgraph.value))) {
      const measured = await measureSubgraphHooks(this.model, this.backend, this.#context.id, feeds, [hook]).catch((e: unknown) => {
        if (MechintError.isInstance(e) && e.code === 'INVALID_ARGUMENT') return undefined; // a branch these feeds do not take
        throw e;
      });
      const time = measured?.[0]?.shape?.[layouts.get(hook.subgraph!.value)!];
      if (typeof time === 'number') return time;
    }
    return undefined;
  }

  private valueOf(name: string): string {
    if (this.hookPoints.some((h) => h.name === name)) {
      const hook = this.hookPoint(name);
      if (hook.subgraph !== undefined) {
        throw new MechintError('INVALID_ARGUMENT', `'${name}' lives inside an If / Loop / Scan body, which gradients do not reach; inline the taken branches with inlineBranches(model.model, feeds) and load that model.`);
      }
      return hook.value;
    }
    if (this.model.graph.initializer(name) !== undefined) return name;
    return this.hookPoint(name).value;
  }

  private defaultCacheHooks(): HookPoint[] {
    const named = this.hookPoints.filter((h) => h.kind !== 'value' && h.data);
    return named.length > 0 ? named : this.hookPoints.filter((h) => h.data);
  }
}
