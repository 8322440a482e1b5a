/**
 * `HookedModel`: every activation of an exported model, by name — cached, edited in the graph, or
 * handed to JavaScript — on any execution provider.
 */
import { MechintError } from '../errors.js';
import { decodeModel } from '../onnx/codec.js';
import { ModelIR } from '../onnx/model.js';
import { Backend, type BackendOptions } from '../runtime/backend.js';
import type { Tensor } from '../tensor/tensor.js';
import { ActivationCache } from './activation-cache.js';
import { findAttention, type AttentionReport } from './attention.js';
import { dataValues } from './dataflow.js';
import { execute, type ExecuteContext, type HookFunction } from './execute.js';
import { buildHookTable, type HookPoint } from './hook-points.js';
import type { Intervention } from './interventions.js';
import { GRAD_SEED_INPUT, gradients, type GradientGraph } from '../grad/gradients.js';
import { denseFromRows } from '../grad/dense-rows.js';
import type { GradRule } from '../grad/context.js';
import { isRecurrent } from '../grad/unroll.js';
import { readModelSource } from './model-source.js';
import { assertLoadable } from './load-check.js';
import { inputDims, probeValues } from './probe.js';
import { resolveHook, selectHooks, type HookSelector } from './selectors.js';

let nextId = 0;

/** Options of {@link HookedModel.load}. */
export interface HookedModelOptions {
  /** Execution provider(s) for runs, as in `Backend.create` (default `'cpu'` in Node). */
  ep?: BackendOptions['ep'];
  /** A backend to share between models (overrides `ep`). */
  backend?: Backend;
  /**
   * Learn every hook point's shape and dtype from two probe runs on synthetic inputs (default
   * `true`). Without it, interventions cannot check shapes and are refused.
   */
  probe?: boolean;
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
  readonly #context: ExecuteContext;
  readonly #gradOutputs = new Map<string, Pick<GradientGraph, 'grads' | 'rows'>>();

  private constructor(model: ModelIR, backend: Backend, hookPoints: readonly HookPoint[], attention: AttentionReport, order: ReadonlyMap<string, number>) {
    this.model = model;
    this.backend = backend;
    this.hookPoints = hookPoints;
    this.attention = attention;
    this.#context = { id: `hooked-${nextId++}`, model, backend, table: hookPoints, order };
  }

  /**
   * Loads a model from a path (Node), a URL (fetched), bytes or a decoded `ModelIR`, names its hook
   * points and probes their shapes. A model onnxruntime refuses fails here with `INVALID_MODEL`
   * (`UNSUPPORTED_OP` for an operator without a kernel) and onnxruntime's reason; the check reuses
   * the probe's session, so it costs a session of its own only when the probe is off or failed.
   */
  static async load(source: string | URL | Uint8Array | ModelIR, options: HookedModelOptions = {}): Promise<HookedModel> {
    const model = source instanceof ModelIR ? source.clone() : source instanceof Uint8Array ? decodeModel(source) : await readModelSource(source);
    const backend = options.backend ?? (await Backend.create(options.ep === undefined ? {} : { ep: options.ep }));
    const order = model.graph.topologicalOrder();
    const data = dataValues(model.graph, order);
    const attention = findAttention(model.graph, order);
    const values = [...model.graph.feedNames, ...order.flatMap((n) => n.output.filter((o) => o !== '' && data.has(o)))];
    const probeBackend = await Backend.create({ ep: ['cpu', 'wasm'] });
    const meta = options.probe === false ? new Map() : await probeValues(model, values, probeBackend);
    if (meta.size === 0 && options.validate !== false) await assertLoadable(model, probeBackend);
    const firstInput = inputDims(model).values().next().value ?? [];
    const hookPoints = buildHookTable({ graph: model.graph, order, data, attention, meta, inputSymbols: firstInput });
    const position = new Map(order.flatMap((n, i) => n.output.map((o) => [o, i] as const)));
    return new HookedModel(model, backend, hookPoints, attention, position);
  }

  /** The hook point named `name` (`UNKNOWN_HOOK` with the closest names otherwise). */
  hookPoint(name: string): HookPoint {
    return resolveHook(this.hookPoints, name);
  }

  /** A sentence on which attention layers were recognised, and which were not and why. */
  describeAttention(): string {
    const { sites, fused, unmatchedSoftmax } = this.attention;
    const parts = [`${sites.length} attention layer(s) recognised${sites.length ? ` (${sites.map((s) => s.module ?? `layer ${s.layer}`).join(', ')})` : ''}`];
    const residual = sites.filter((s) => s.residual !== undefined).length;
    if (sites.length > 0) parts.push(`residual aliases for ${residual} of them`);
    if (fused.length > 0) parts.push(`fused attention operators keep their pattern inside one kernel, not exposed: ${fused.join(', ')}`);
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
   * nodes are unrolled over the sequence length of the feeds (the time dim of their input, as
   * probed; all of them must share it).
   */
  async runWithGrad(feeds: Readonly<Record<string, Tensor>>, options: RunWithGradOptions): Promise<{ outputs: Record<string, Tensor>; grads: Record<string, Tensor> }> {
    const of = this.valueOf(options.of);
    const wrt = options.wrt.map((w) => this.valueOf(w));
    const overrides = options.overrides ?? {};
    const nodeOverrides = options.nodeOverrides ?? {};
    const steps = this.stepsOf(this.dimsOf(feeds));
    const key = `${this.#context.id} grad of[${of}] wrt[${wrt.join(',')}] seed[${options.seed === undefined ? 'ones' : 'input'}] rules[${[...Object.entries(overrides), ...Object.entries(nodeOverrides).map(([n, r]) => [`node ${n}`, r] as const)].map(([op, rule]) => `${op}:${ruleId(rule)}`).join(',')}] steps[${steps ?? ''}] quantized[${options.quantized ?? 'straight-through'}]`;
    const session = await this.backend.session(() => {
      const shapes = new Map(this.hookPoints.filter((h) => h.shape !== undefined).map((h) => [h.value, h.shape!] as const));
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
      grads: Object.fromEntries(options.wrt.map((w, i) => [w, gradOf(wrt[i]!)])),
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
