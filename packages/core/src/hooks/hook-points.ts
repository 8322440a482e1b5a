/**
 * The hook-point table: every addressable activation of a model, under its raw ONNX name, its
 * module names (`blocks.0.attn.input`, `blocks.0.attn.output`) and its transformer aliases.
 */
import type { Graph } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/gen/onnx_pb.js';
import type { Dim } from '../onnx/types.js';
import type { DType } from '../tensor/dtype.js';
import type { AttentionReport } from './attention.js';
import { subgraphReads } from '../onnx/graph.js';
import { ancestors, inputValues } from './dataflow.js';
import { blockNames, modelNames } from './tl-names.js';
import { enclosingModules, nodeScopes, type ScopeMap } from './scopes.js';
import { fusedAttentionNames } from './fused-attention.js';
import { imageAxes } from './image-axes.js';
import { outputAliasName } from './output-alias.js';
import { subgraphHookPoints } from './subgraph-hooks.js';
import type { SubgraphLocation } from './subgraphs.js';

/** Where a hook-point name comes from. */
export type HookKind = 'value' | 'module-input' | 'module-output' | 'alias';

/** Roles of a hook point's axes, for interventions' `batch` / `positions` / `heads` / `features`. */
export interface HookAxes {
  /** Index of the batch axis. */
  readonly batch?: number;
  /** Index of the sequence-position axis (the query axis of attention patterns). */
  readonly position?: number;
  /** Index of the attention-head axis. */
  readonly head?: number;
  /** Index of the feature axis (the last: d_model, d_head, key positions, …). */
  readonly feature?: number;
  /** Index of the channel axis of NCHW feature maps (`[batch, C, H, W]`: 1); those have no feature axis. */
  readonly channel?: number;
}

/**
 * Where a dim of a hook point's shape comes from: `'static'` — the file's declared type or static
 * shape inference (exact for every input size); `'probe'` — only seen in the probe runs (a guess,
 * checked against the real size when an intervention uses it); `'unknown'` — `null` in the shape.
 */
export type DimSource = 'static' | 'probe' | 'unknown';

/** Shape and dtype of a value, from the file, static inference and the probe runs. */
export interface ValueMeta {
  /** Element type (`undefined` when neither the graph, inference nor a probe run told it). */
  readonly dtype: DType | undefined;
  /**
   * Dimensions: numbers, symbolic dims of the inputs (`'batch'`), expressions over them
   * (`'floor((W + 1) / 2)'`, see `evaluateDim`), or `null` where unknown.
   */
  readonly shape: readonly Dim[] | undefined;
  /** Per dim of `shape`, where it comes from (absent when nothing is known). */
  readonly dimSources?: readonly DimSource[];
}

/** One addressable activation. */
export interface HookPoint extends ValueMeta {
  /** The name to ask for: a raw ONNX value name, `<module>.input` / `.output`, or an alias. */
  readonly name: string;
  /** The ONNX value it reads. Several names can share one value. */
  readonly value: string;
  /** How the name was found: a raw value, a module's input or output, or a transformer alias. */
  readonly kind: HookKind;
  /** Operator that produces the value (`undefined` for graph inputs). */
  readonly op: string | undefined;
  /** Module path of that operator (`''`: the model's root; `undefined`: no scope recorded). */
  readonly scope: string | undefined;
  /** Axis roles, from the alias's known layout or from the shape's symbolic dims. */
  readonly axes: HookAxes;
  /** Whether the value carries data from the inputs (shape computations and constants do not). */
  readonly data: boolean;
  /**
   * For a value inside an If / Loop / Scan body: where it lives. Its `value` is then its hook
   * name, the output name runs return it under (see `plumbSubgraphValue`).
   */
  readonly subgraph?: SubgraphLocation;
}

interface NamedValue {
  name: string;
  value: string;
  kind: HookKind;
  axes?: HookAxes;
}

/** Everything the table is built from. */
export interface HookTableSource {
  graph: Graph;
  order: readonly NodeProto[];
  data: ReadonlySet<string>;
  attention: AttentionReport;
  meta: ReadonlyMap<string, ValueMeta>;
  /** Symbolic dims of the first graph input, outermost first (e.g. `['batch', 'pos']`). */
  inputSymbols: readonly Dim[];
}

/** Builds the hook-point table; raw value names win any clash with derived names. */
export function buildHookTable(source: HookTableSource): HookPoint[] {
  const { graph, order } = source;
  const named: NamedValue[] = [];
  for (const input of graph.feedNames) named.push({ name: input, value: input, kind: 'value' });
  for (const node of order) for (const out of node.output) if (out !== '') named.push({ name: out, value: out, kind: 'value' });
  const scopes = nodeScopes(graph, order, source.data);
  named.push(...moduleNames(graph, order, source.data, inputValues(graph, order), scopes));
  named.push(...aliasNames(source.attention, graph, order, source.data));
  named.push(...fusedAttentionNames(graph, order, source.attention.sites).map((n) => ({ ...n, kind: 'alias' as const })));
  const taken = new Set<string>();
  const table: HookPoint[] = [];
  // a feed's axes are the user's (Whisper's [batch, mel, frames] is not per position): only computed values get `positions`
  const positions = staticPositions(source);
  const feeds = new Set(graph.feedNames);
  for (const entry of named) {
    if (taken.has(entry.name)) continue;
    taken.add(entry.name);
    const producer = graph.producerOf(entry.value);
    const meta = source.meta.get(entry.value) ?? { dtype: undefined, shape: undefined };
    table.push({
      name: entry.name,
      value: entry.value,
      kind: entry.kind,
      op: producer?.opType,
      scope: producer === undefined ? undefined : scopes.scope.get(producer),
      dtype: meta.dtype,
      shape: meta.shape,
      ...(meta.dimSources === undefined ? {} : { dimSources: meta.dimSources }),
      axes: entry.axes ?? axesFromShape(meta.shape, source.inputSymbols, feeds.has(entry.value) ? undefined : positions),
      data: source.data.has(entry.value),
    });
  }
  table.push(...subgraphHookPoints(graph, source.data, taken));
  return table;
}

/**
 * `<module>.input` / `.output` for every module with recorded (or inferred) nodes. The output is
 * what the module's forward returns: a value leaving the module (read by a node outside it, as
 * data, or a graph output) that no other leaving value is computed from — the last such value in
 * topological order is `.output`, any others (a forward returning a tuple) `.output.1`, ….
 * Inputs are the data values the module reads from outside, in the order it first reads them.
 * A module none of whose values carries data (position embeddings, rotary tables, token-type
 * embeddings: computed from the inputs' sizes only) returns what leaves it among the values
 * computed from a graph input at all (`fed`, see `inputValues`); constants never leave a module.
 */
function moduleNames(graph: Graph, order: readonly NodeProto[], data: ReadonlySet<string>, fed: ReadonlySet<string>, scopes: ScopeMap): NamedValue[] {
  const members = new Map<string, Set<NodeProto>>();
  for (const node of order) {
    const module = scopes.scope.get(node);
    if (module === undefined) continue;
    for (const m of enclosingModules(module)) {
      let set = members.get(m);
      if (set === undefined) members.set(m, (set = new Set()));
      set.add(node);
    }
  }
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const named: NamedValue[] = [];
  for (const [module, nodes] of members) {
    if (scopes.broken.has(module)) continue;
    const produced = new Set<string>();
    for (const n of nodes) for (const o of n.output) produced.add(o);
    const inputs: string[] = [];
    for (const node of order) {
      if (!nodes.has(node)) continue;
      for (const input of [...node.input, ...subgraphReads(node)]) {
        if (data.has(input) && !produced.has(input) && !inputs.includes(input)) inputs.push(input);
      }
    }
    const carriesData = [...produced].some((v) => data.has(v));
    const candidates = carriesData ? data : fed;
    const leaving = leavingValues(graph, order, nodes, candidates, graphOutputs, (c) => c.output.some((o) => candidates.has(o)));
    const feeding = new Set<string>();
    for (const value of leaving) for (const a of ancestors(graph, value)) if (a !== value) feeding.add(a);
    const outputs = leaving.filter((v) => !feeding.has(v));
    // a data module's result is computed last (attention weights before the attention output);
    // a size-only module returns its values in the order it computes them (rotary: cos, sin)
    const ordered = (carriesData ? [outputs.at(-1), ...outputs.slice(0, -1)] : outputs).filter((v): v is string => v !== undefined);
    if (!scopes.brokenInputs.has(module)) inputs.forEach((value, i) => named.push({ name: `${module}.input${i === 0 ? '' : `.${i}`}`, value, kind: 'module-input' }));
    ordered.forEach((value, i) => named.push({ name: `${module}.output${i === 0 ? '' : `.${i}`}`, value, kind: 'module-output' }));
  }
  return named;
}

/**
 * The values of `candidates` that a module's nodes produce and that leave it: graph outputs, or
 * values read by a node outside the module whose result is a candidate too.
 */
function leavingValues(
  graph: Graph,
  order: readonly NodeProto[],
  nodes: ReadonlySet<NodeProto>,
  candidates: ReadonlySet<string>,
  graphOutputs: ReadonlySet<string>,
  readsOn: (node: NodeProto) => boolean,
): string[] {
  const leaving: string[] = [];
  for (const node of order) {
    if (!nodes.has(node)) continue;
    for (const out of node.output) {
      if (!candidates.has(out) || leaving.includes(out)) continue;
      if (graphOutputs.has(out) || graph.consumersOf(out).some((c) => !nodes.has(c) && readsOn(c))) leaving.push(out);
    }
  }
  return leaving;
}

const RESIDUAL_AXES: HookAxes = { batch: 0, position: 1, feature: 2 };
const PATTERN_AXES: HookAxes = { batch: 0, head: 1, position: 2, feature: 3 };
const Z_AXES: Record<string, HookAxes> = {
  'batch,pos,head,d_head': { batch: 0, position: 1, head: 2, feature: 3 },
  'batch,head,pos,d_head': { batch: 0, head: 1, position: 2, feature: 3 },
};

function aliasNames(report: AttentionReport, graph: Graph, order: readonly NodeProto[], data: ReadonlySet<string>): NamedValue[] {
  const named: NamedValue[] = [];
  for (const site of report.sites) {
    const tl = `blocks.${site.layer}`;
    const attn = site.module ?? `${tl}.attn`;
    const zAxes = Z_AXES[site.zLayout]!;
    named.push({ name: `${attn}.pattern`, value: site.pattern, kind: 'alias', axes: PATTERN_AXES });
    named.push({ name: `${attn}.z`, value: site.z, kind: 'alias', axes: zAxes });
    named.push({ name: `${tl}.attn.hook_pattern`, value: site.pattern, kind: 'alias', axes: PATTERN_AXES });
    named.push({ name: `${tl}.attn.hook_z`, value: site.z, kind: 'alias', axes: zAxes });
    for (const alias of blockNames(site, graph, data)) named.push({ ...alias, kind: 'alias' });
  }
  for (const alias of modelNames(report.sites, graph, order, data)) named.push({ ...alias, kind: 'alias' });
  const last = report.sites.at(-1)?.residual;
  if (last !== undefined && graph.outputs.length === 1) {
    const output = graph.outputs[0]!.name;
    named.push({ name: outputAliasName(graph, output), value: output, kind: 'alias', axes: RESIDUAL_AXES });
  }
  return named;
}

/**
 * The number of positions of a model whose first input has no symbolic second dim (images,
 * audio: the model fixes the sequence length) but whose attention patterns have a known
 * number of query positions (the same in every layer); `undefined` otherwise.
 */
function staticPositions(source: HookTableSource): number | undefined {
  if (typeof source.inputSymbols[1] === 'string') return undefined;
  const counts = new Set(source.attention.sites.map((s) => source.meta.get(s.pattern)?.shape?.[2]));
  const [count] = counts;
  return counts.size === 1 && typeof count === 'number' ? count : undefined;
}

/**
 * Axis roles read off symbolic dims: the axis sized like the first input's first symbolic dim is
 * the batch, the one sized like its second is the position; the last other axis holds features.
 * In a model with a fixed number of positions (`positions`, see `staticPositions`), a value with
 * the batch first and that many rows second has its position axis there (`[batch, pos, d]`).
 * NCHW maps of image models have a channel axis instead (see {@link imageAxes}).
 */
function axesFromShape(shape: readonly Dim[] | undefined, symbols: readonly Dim[], positions: number | undefined): HookAxes {
  if (shape === undefined || shape.length === 0) return {};
  const image = imageAxes(shape, symbols);
  if (image !== undefined) return image;
  const find = (symbol: Dim | undefined) => (typeof symbol === 'string' ? shape.indexOf(symbol) : -1);
  const batch = find(symbols[0]);
  const position = positions !== undefined ? (batch === 0 && shape.length >= 3 && shape[1] === positions ? 1 : -1) : find(symbols[1]);
  const last = shape.length - 1;
  return {
    ...(batch >= 0 ? { batch } : {}),
    ...(position >= 0 ? { position } : {}),
    ...(last !== batch && last !== position ? { feature: last } : {}),
  };
}
