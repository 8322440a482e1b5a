/**
 * Reverse-mode automatic differentiation as an IR → IR transformation: the returned model also
 * computes gradients, as ordinary ONNX nodes, so they run on any execution provider.
 */
import { create } from '@bufbuild/protobuf';
import { MechintError } from '../errors.js';
import { ValueInfoProtoSchema, type NodeProto } from '../onnx/gen/onnx_pb.js';
import { subgraphReads, type Graph } from '../onnx/graph.js';
import type { ModelIR } from '../onnx/model.js';
import { closestNames } from '../onnx/names.js';
import { upgradeOpset } from '../onnx/upgrade-opset.js';
import type { Dim } from '../onnx/types.js';
import { Tensor } from '../tensor/tensor.js';
import { Splicer } from '../hooks/splicer.js';
import { ancestors, descendants } from '../hooks/dataflow.js';
import { GradContext, type GradRule } from './context.js';
import { NON_DIFFERENTIABLE, gradRule, isStraightThrough } from './rules/index.js';
import { exposeFusedSums } from './rules/contrib.js';
import { isRecurrent, unrollRecurrent } from './unroll.js';
import { assertDifferentiable } from './wrt-checks.js';
import { ifGradient } from './rules/control-flow.js';
import { loopUnrollBlocker, scanUnrollBlocker, unrollLoop, unrollScan } from './unroll-loop.js';

/** Operators that gradients unroll (their bodies copied once per iteration). */
const LOOPS = new Set(['Loop', 'Scan']);

/** Options of {@link gradients}. */
export interface GradientsOptions {
  /** The value to differentiate (a graph output or any intermediate value). */
  of: string;
  /** Values to differentiate with respect to: graph inputs, initializers or intermediate values. */
  wrt: readonly string[];
  /**
   * `'ones'` (default): the gradient of `sum(of)`. `'input'`: the seed is a new graph input
   * `__mechint_grad_seed` shaped like `of` — a one-hot seed per batch item gives one gradient per
   * item in one call.
   */
  seed?: 'ones' | 'input';
  /** Backward rules replacing the registered ones for this call, by operator type. */
  overrides?: Readonly<Record<string, GradRule>>;
  /**
   * Backward rules for single nodes, by node name; they win over `overrides`. This is how a
   * surrogate gradient is attached to one spike nonlinearity (a Heaviside step built as, say, a
   * steep `HardSigmoid`) without touching other nodes of the same operator.
   */
  nodeOverrides?: Readonly<Record<string, GradRule>>;
  /** Static shapes of values, when known (e.g. a HookedModel's probe): lets the transform skip broadcast reductions. */
  shapes?: ReadonlyMap<string, readonly Dim[]>;
  /**
   * The sequence length (time steps) of RNN / GRU / LSTM nodes between `wrt` and `of`: such
   * nodes are unrolled over this many steps first (see {@link unrollRecurrent}), so the model
   * then runs on sequences of exactly this length. Required when there are such nodes.
   */
  steps?: number;
  /**
   * Return the gradient of a float parameter that is only ever read by `Gather` along axis 0 —
   * an embedding table — as the rows that were read and their gradients ({@link GradientGraph.rows})
   * instead of a dense table of zeros with a few rows filled. A 50 257-row table read by 128 tokens
   * then moves 128 rows, not 154 MB. Defaults to false.
   */
  rowSparse?: boolean;
  /**
   * How quantize steps (`QuantizeLinear`, `DynamicQuantizeLinear`) on the way are differentiated:
   * `'straight-through'` (default) treats each as the identity seen through its scale — the
   * gradient with respect to a float activation is then that of the network on its dequantized
   * weights; `'refuse'` throws `UNSUPPORTED_OP` naming the node instead.
   */
  quantized?: 'straight-through' | 'refuse';
}

/** A row-sparse gradient: `dense[indices[i]] += values[i]` over a zero table of the parameter's shape. */
export interface RowGradient {
  /** Output holding the row indices read, int64 `[m]` (negative ones count from the end, as in `Gather`). */
  readonly indices: string;
  /** Output holding the gradient of each row read, `[m, ...shape.slice(1)]`. */
  readonly values: string;
  /** Shape of the parameter (and of its dense gradient). */
  readonly shape: readonly number[];
}

/** The differentiated model and where to find its gradients. */
export interface GradientGraph {
  /** The original model plus the backward nodes; its outputs are the original ones, then the gradients. */
  readonly model: ModelIR;
  /** Output name of the gradient of each `wrt` value, except those in {@link GradientGraph.rows}. */
  readonly grads: Readonly<Record<string, string>>;
  /** With `rowSparse`: the `wrt` parameters whose gradients are returned as rows. */
  readonly rows: Readonly<Record<string, RowGradient>>;
  /** Name of the seed input, with `seed: 'input'`. */
  readonly seedInput: string | undefined;
}

/** Name of the seed input added by `seed: 'input'`. */
export const GRAD_SEED_INPUT = '__mechint_grad_seed';

/**
 * Builds a model that also returns the gradients of `of` with respect to every `wrt` value.
 * The backward pass reuses forward values and is shared by all `wrt`. Control flow: an `If` is
 * differentiated on the branch that runs, values its branches read from outer scopes included
 * (see `ifGradient`); a `Loop` with a constant trip count and no early exit, and a `Scan` of static
 * length, are unrolled first. Throws `UNKNOWN_VALUE` for names the graph does not have and
 * `UNSUPPORTED_OP` (naming the op, the node and a path from `wrt` to `of` through it: in the
 * message its first and last values and its length, in `details.path` all of it) when a node on
 * the way cannot be differentiated — never a silent zero.
 *
 * @example
 * ```ts
 * import { Backend, Tensor, gradients, loadModel } from '@mechint/core';
 * const model = await loadModel('packages/core/test/fixtures/tiny_mlp.onnx');
 * const { model: withGrads, grads } = gradients(model, { of: 'probs', wrt: ['x'] });
 * const session = await (await Backend.create()).session(withGrads);
 * const out = await session.run({ x: Tensor.from([[0.1, 0.2, 0.3, 0.4]]) });
 * console.log(out[grads['x']!]!.shape); // [1, 4]
 * ```
 */
export function gradients(model: ModelIR, options: GradientsOptions): GradientGraph {
  for (const name of [options.of, ...options.wrt]) {
    if (!model.graph.has(name)) {
      throw new MechintError('UNKNOWN_VALUE', `No value named '${name}' to differentiate.${hint(name, model.graph.valueNames())}`, { details: { name } });
    }
  }
  if (options.wrt.length === 0) throw new MechintError('INVALID_ARGUMENT', 'wrt lists no value; name at least one input, parameter or hook point.');
  assertDifferentiable(model.graph, options.wrt);
  // Older models are rewritten into opset 17's forms first (axes as inputs); names are kept.
  const source = (model.opset() ?? 17) < 13 ? upgradeOpset(model, 17) : model;
  const opset = source.opset() ?? 17;
  const variant = exposeFusedSums(unrollOnPath(source, options), options.wrt);
  const graph = variant.graph;
  const splicer = new Splicer(graph, opset, '__mechint_grad');
  const seed = options.seed === 'input' ? addSeedInput(variant, options.of) : filledLike(splicer, options.of, graph.typeOf(options.of), 1);
  const tables = options.rowSparse === true ? embeddingTables(graph, options) : new Map<string, readonly number[]>();
  const rowParts = new Map<string, { indices: string; values: string }[]>();
  const total = backward({ graph, splicer, opset, seeds: new Map([[options.of, [seed]]]), wrt: options.wrt, options, shapes: options.shapes ?? new Map(), tables, rowParts, where: [] });
  const grads: Record<string, string> = {};
  const rows: Record<string, RowGradient> = {};
  for (const w of options.wrt) {
    const parts = rowParts.get(w);
    if (parts !== undefined) {
      rows[w] = { indices: concatOutput(graph, splicer, `${w}__grad_indices`, parts.map((p) => p.indices)), values: concatOutput(graph, splicer, `${w}__grad_rows`, parts.map((p) => p.values)), shape: tables.get(w)! };
      continue;
    }
    const name = graph.uniqueName(`${w}__grad`);
    splicer.node('Identity', [total(w) ?? filledLike(splicer, w, graph.typeOf(w), 0)], {}, [name]);
    graph.addOutput(name, graph.typeOf(w));
    grads[w] = name;
  }
  return { model: variant, grads, rows, seedInput: options.seed === 'input' ? GRAD_SEED_INPUT : undefined };
}

/** One backward pass over one graph: the main graph, or an If body copied for its backward branch. */
interface BackwardPass {
  readonly graph: Graph;
  readonly splicer: Splicer;
  readonly opset: number;
  /** Gradients flowing into values, as parts to sum. */
  readonly seeds: ReadonlyMap<string, readonly string[]>;
  readonly wrt: readonly string[];
  readonly options: GradientsOptions;
  readonly shapes: ReadonlyMap<string, readonly Dim[]>;
  /** Embedding tables whose gradients are returned as rows (main graph only). */
  readonly tables: ReadonlyMap<string, readonly number[]>;
  readonly rowParts: Map<string, { indices: string; values: string }[]>;
  /** The bodies this pass is inside, outermost first (`If_25/then_branch`), for error messages. */
  readonly where: readonly string[];
}

/**
 * Walks `pass.graph` backwards from the seeds and returns the summed gradient of a value (of a
 * `wrt` value, in particular), `undefined` where none flows. Values that bodies of If / Loop /
 * Scan nodes read from the enclosing scope are inputs of those nodes like any other: a path
 * through one is differentiated ({@link ifGradient}) or refused, never dropped.
 */
function backward(pass: BackwardPass): (value: string) => string | undefined {
  const { graph, splicer, opset, options } = pass;
  let relevant = relevantValues(pass);
  const blocker = (n: NodeProto) => (n.opType === 'Loop' ? loopUnrollBlocker(graph, n) : scanUnrollBlocker(graph, n, pass.shapes));
  const onPath = (n: NodeProto) => n.output.some((o) => relevant.has(o)) && [...n.input, ...subgraphReads(n)].some((i) => relevant.has(i));
  for (;;) {
    const loop = graph.nodes.find((n) => LOOPS.has(n.opType) && (n.domain === '' || n.domain === 'ai.onnx') && onPath(n) && blocker(n) === undefined);
    if (loop === undefined) break;
    if (loop.opType === 'Loop') unrollLoop(graph, loop, opset, splicer.name('Loop'));
    else unrollScan(graph, loop, opset, splicer.name('Scan'), pass.shapes);
    relevant = relevantValues(pass);
  }
  const pending = new Map<string, string[]>([...pass.seeds].map(([k, v]) => [k, [...v]]));
  const total = (value: string): string | undefined => {
    const parts = pending.get(value);
    if (parts === undefined || parts.length === 0) return undefined;
    const sum = parts.length === 1 ? parts[0]! : splicer.op('Sum', parts);
    pending.set(value, [sum]);
    return sum;
  };
  const add = (input: string, g: string) => {
    const list = pending.get(input);
    if (list === undefined) pending.set(input, [g]);
    else list.push(g);
  };
  const path = (node: NodeProto) => () => pathThrough(graph, node, pass.wrt, [...pass.seeds.keys()]);
  for (const node of [...graph.topologicalOrder()].reverse()) {
    if (!node.output.some((o) => relevant.has(o))) continue;
    const outputGrads = node.output.map((o) => (relevant.has(o) ? total(o) : undefined));
    if (outputGrads.every((g) => g === undefined)) continue;
    const table = pass.tables.get(node.input[0]!);
    if (node.opType === 'Gather' && table !== undefined) {
      const parts = pass.rowParts.get(node.input[0]!) ?? pass.rowParts.set(node.input[0]!, []).get(node.input[0]!)!;
      parts.push(readRows(splicer, node.input[1]!, outputGrads[0]!, table));
      continue;
    }
    const needs = node.input.map((i) => i !== '' && relevant.has(i));
    const captured = subgraphReads(node).filter((v) => relevant.has(v));
    const nodeRule = options.nodeOverrides?.[node.name];
    if ((!needs.some(Boolean) && captured.length === 0) || (nodeRule === undefined && NON_DIFFERENTIABLE.has(node.opType))) continue;
    if (LOOPS.has(node.opType) && nodeRule === undefined && options.overrides?.[node.opType] === undefined) {
      throw unsupported(node, `gradients through a ${node.opType} unroll it, and this one cannot be: ${blocker(node) ?? 'it is not on the path'}`, path(node)(), pass.where);
    }
    if (captured.length > 0 && nodeRule === undefined && options.overrides?.[node.opType] === undefined) {
      const isIf = node.opType === 'If' && (node.domain === '' || node.domain === 'ai.onnx');
      if (!isIf) throw unsupported(node, `gradients through the values its ${node.opType} body reads from the enclosing scope are not supported (only If is)`, path(node)(), pass.where);
      const sub = (body: Graph, seeds: ReadonlyMap<string, readonly string[]>, wrt: readonly string[], prefix: string, where: string) =>
        backward({ ...pass, graph: body, splicer: new Splicer(body, opset, prefix), seeds, wrt, shapes: outerShapes(pass, body), tables: new Map(), rowParts: new Map(), where: [...pass.where, where] });
      for (const [value, g] of ifGradient({ graph, splicer, opset, node, outputGrads, captured, backward: sub, steps: options.steps })) add(value, g);
      continue;
    }
    const rule = nodeRule ?? ruleFor(node, options, path(node), pass.where);
    const inputGrads = rule(new GradContext(graph, splicer, node, opset, outputGrads, needs, pass.shapes));
    node.input.forEach((input, i) => {
      const g = inputGrads[i];
      if (g !== undefined && needs[i]) add(input, g);
    });
  }
  return total;
}

/**
 * The static shapes a body's rules may rely on for the values it reads from the enclosing scopes:
 * those known there (recorded or probed), since a body records none of its own for them.
 */
function outerShapes(pass: BackwardPass, body: Graph): Map<string, readonly Dim[]> {
  const shapes = new Map(pass.shapes);
  for (const name of body.proto.node.flatMap((n) => [...n.input, ...subgraphReads(n)])) {
    if (name === '' || shapes.has(name) || body.producerOf(name) !== undefined) continue;
    const type = pass.graph.typeOf(name);
    const dims = type?.value.case === 'tensorType' ? type.value.value.shape?.dim : undefined;
    if (dims !== undefined) shapes.set(name, dims.map((d): Dim => (d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? d.value.value : null)));
  }
  return shapes;
}

/**
 * The values on a path from some `wrt` to some seed. A path does not pass through the outputs of
 * a zero-derivative operator (`NON_DIFFERENTIABLE`, unless a node override gives it a rule): what
 * is computed from a shape or a comparison carries no gradient, and its integer arithmetic gets
 * no backward nodes.
 */
function relevantValues(pass: BackwardPass): Set<string> {
  const upstream = new Set<string>();
  for (const s of pass.seeds.keys()) for (const v of ancestors(pass.graph, s)) upstream.add(v);
  const relevant = new Set<string>();
  for (const v of differentiableDescendants(pass)) if (upstream.has(v)) relevant.add(v);
  return relevant;
}

/** Every value computed from a `wrt` value through operators with a non-zero derivative. */
function differentiableDescendants(pass: BackwardPass): Set<string> {
  const seen = new Set(pass.wrt);
  const stack = [...pass.wrt];
  while (stack.length > 0) {
    for (const node of pass.graph.consumersOf(stack.pop()!)) {
      if (NON_DIFFERENTIABLE.has(node.opType) && pass.options.nodeOverrides?.[node.name] === undefined) continue;
      for (const out of node.output) {
        if (out !== '' && !seen.has(out)) {
          seen.add(out);
          stack.push(out);
        }
      }
    }
  }
  return seen;
}

/** `UNSUPPORTED_OP` for `node`, saying why and along which path. */
function unsupported(node: NodeProto, why: string, route: readonly string[], where: readonly string[]): MechintError {
  return new MechintError('UNSUPPORTED_OP', `No gradient through ${node.domain ? `${node.domain}.` : ''}${node.opType} (node '${node.name}'): ${why}; on the path ${shortPath(where, route)}.`, {
    details: { opType: node.opType, node: node.name, path: route, where },
  });
}

/** A path of value names, shortened to its first two and last two names and its length, with the bodies it lies in. */
function shortPath(where: readonly string[], route: readonly string[]): string {
  const shown = route.length <= 5 ? route.join(' → ') : `${route.slice(0, 2).join(' → ')} → … → ${route.slice(-2).join(' → ')} (${route.length} values)`;
  return where.length === 0 ? shown : `${shown}, inside ${where.join(' / ')}`;
}

/**
 * The `wrt` float parameters that only `Gather` nodes read, as their data along axis 0 and with
 * no rule override — embedding tables — by name, with their shapes.
 */
function embeddingTables(graph: ModelIR['graph'], options: GradientsOptions): Map<string, readonly number[]> {
  const tables = new Map<string, readonly number[]>();
  if (options.overrides?.['Gather'] !== undefined) return tables;
  for (const w of options.wrt) {
    const init = graph.initializer(w);
    const readers = graph.consumersOf(w);
    const gathersRows = (n: NodeProto) => n.opType === 'Gather' && n.input[0] === w && n.input[1] !== w && (n.attribute.find((a) => a.name === 'axis')?.i ?? 0n) === 0n && options.nodeOverrides?.[n.name] === undefined;
    const float = init?.dataType === 1 || init?.dataType === 11;
    if (float && init.dims.length > 0 && readers.length > 0 && readers.every(gathersRows) && !graph.outputs.some((o) => o.name === w)) tables.set(w, init.dims.map(Number));
  }
  return tables;
}

/** The rows one `Gather` read, `[m]` int64, and their gradients `[m, ...rest]`. */
function readRows(splicer: Splicer, indices: string, grad: string, table: readonly number[]): { indices: string; values: string } {
  const ints = (values: readonly number[]) => splicer.constant(Tensor.from(values.map(BigInt), [values.length], 'int64'));
  return {
    indices: splicer.op('Reshape', [splicer.op('Cast', [indices], { to: 7n }), ints([-1])]),
    values: splicer.op('Reshape', [grad, ints([-1, ...table.slice(1)])]),
  };
}

/** A new graph output `hint` (made unique) holding `parts` concatenated along axis 0. */
function concatOutput(graph: ModelIR['graph'], splicer: Splicer, hint: string, parts: readonly string[]): string {
  const name = graph.uniqueName(hint);
  splicer.node(parts.length === 1 ? 'Identity' : 'Concat', parts, parts.length === 1 ? {} : { axis: 0n }, [name]);
  graph.addOutput(name);
  return name;
}

/** A copy of `model`, with its recurrent nodes unrolled over `options.steps` when one lies between `wrt` and `of`. */
function unrollOnPath(model: ModelIR, options: GradientsOptions): ModelIR {
  const upstream = ancestors(model.graph, options.of);
  const downstream = new Set(options.wrt.flatMap((w) => [...descendants(model.graph, w)]));
  const onPath = model.graph.nodes.filter((n) => isRecurrent(n) && n.output.some((o) => upstream.has(o)) && n.input.some((i) => downstream.has(i)));
  if (onPath.length === 0) return model.clone();
  if (options.steps === undefined) {
    const names = onPath.map((n) => `${n.opType} node '${n.name}'`).join(', ');
    throw new MechintError('INVALID_ARGUMENT', `${names} lies between the wrt values and '${options.of}'; gradients unroll it over time, so pass steps = the sequence length (the time dim of its input X).`, {
      details: { nodes: onPath.map((n) => n.name) },
    });
  }
  return unrollRecurrent(model, options.steps);
}

function ruleFor(node: NodeProto, options: GradientsOptions, path: () => string[], where: readonly string[]): GradRule {
  const override = options.overrides?.[node.opType];
  if (override === undefined && options.quantized === 'refuse' && isStraightThrough(node.opType, node.domain)) {
    const route = path();
    throw new MechintError(
      'UNSUPPORTED_OP',
      `${node.opType} node '${node.name}' rounds its input, on the path ${shortPath(where, route)}; with quantized: 'refuse' it is not differentiated. Pass quantized: 'straight-through' to treat it as the identity.`,
      { details: { opType: node.opType, node: node.name, path: route, where } },
    );
  }
  const rule = override ?? gradRule(node.opType, node.domain);
  if (rule !== undefined) return rule;
  const route = path();
  throw new MechintError(
    'UNSUPPORTED_OP',
    `No gradient rule for ${node.domain ? `${node.domain}.` : ''}${node.opType} (node '${node.name}'), on the path ${shortPath(where, route)}. Register one with registerGradRule or pass it in overrides.`,
    { details: { opType: node.opType, node: node.name, path: route, where } },
  );
}

/** A path of value names from some `wrt` to one of `targets` that passes through `node` (reads by its bodies included). */
function pathThrough(graph: Graph, node: NodeProto, wrt: readonly string[], targets: readonly string[]): string[] {
  const reach = new Set(wrt.flatMap((w) => [...descendants(graph, w)]));
  const upstream = new Set(targets.flatMap((t) => [...ancestors(graph, t)]));
  const inputsOf = (n: NodeProto) => [...n.input, ...subgraphReads(n)];
  const back: string[] = [];
  let current = inputsOf(node).find((i) => i !== '' && reach.has(i));
  while (current !== undefined && !back.includes(current)) {
    back.unshift(current);
    if (wrt.includes(current)) break;
    const producer = graph.producerOf(current);
    current = producer === undefined ? undefined : inputsOf(producer).find((i) => i !== '' && reach.has(i));
  }
  const forward: string[] = [];
  let next = node.output.find((o) => upstream.has(o));
  while (next !== undefined && !forward.includes(next)) {
    forward.push(next);
    if (targets.includes(next)) break;
    next = graph.consumersOf(next).flatMap((c) => c.output).find((o) => upstream.has(o));
  }
  return [...back, ...forward];
}

function addSeedInput(model: ModelIR, of: string): string {
  const type = model.graph.typeOf(of);
  if (type === undefined) throw new MechintError('INVALID_ARGUMENT', `The type of '${of}' is unknown, so no seed input can be declared.`);
  model.graph.inputs.push(create(ValueInfoProtoSchema, { name: GRAD_SEED_INPUT, type }));
  model.graph.invalidate();
  return GRAD_SEED_INPUT;
}

/** A tensor shaped like `value`, every element `fill`, of its float type (float64 or float32). */
function filledLike(splicer: Splicer, value: string, type: ReturnType<ModelIR['graph']['typeOf']>, fill: number): string {
  const elem = type?.value.case === 'tensorType' ? type.value.value.elemType : 1;
  const element = elem === 11 ? Tensor.from(new Float64Array([fill]), [1]) : Tensor.from(new Float32Array([fill]), [1]);
  return splicer.op('ConstantOfShape', [splicer.op('Shape', [value])], { value: element });
}

function hint(name: string, names: readonly string[]): string {
  const close = closestNames(name, names);
  return close.length > 0 ? ` Did you mean ${close.map((c) => `'${c}'`).join(', ')}?` : '';
}
