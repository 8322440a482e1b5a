/**
 * Module paths of nodes, recovered from what exporters record: TorchScript-style node names
 * (`/blocks.0/attn/W_Q/MatMul` → `blocks.0.attn.W_Q`; torch.onnx.export and Hugging Face Optimum),
 * the dynamo exporter's `pkg.torch.onnx.name_scopes` node metadata and, where only that is
 * present, its `namespace` metadata.
 *
 * Exporters and tools add nodes without a scope: torch's optimiser (a `Split` for three `Slice`s),
 * onnxruntime's transformer optimizer (`Attention`, `SkipLayerNormalization`, `FastGelu`, …) and
 * dynamic quantization (`DynamicQuantizeLinear`, `MatMulInteger`). {@link nodeScopes} places each
 * connected group of them in the innermost module holding all the nodes around the group. A group
 * with a fused operator (one outside the standard ONNX domain) or a quantized product may have
 * swallowed the first or last nodes of a module; every deeper module around it is reported as
 * `broken` and gets no names. A quantized product that records no scope (quantize_dynamic on a
 * dynamo export: `node_Conv_96_quant`) is placed, with its scale and cast nodes, in the module of
 * its weight (`<module>.weight_quantized`), which is then broken itself; a group that feeds such
 * a product (its input quantization) only hides the inputs of the modules holding it
 * (`brokenInputs`), one that reads it (dequantization, bias) breaks them. Paddle2ONNX
 * (`p2o.Conv.0`) and tf2onnx (`model/dense/MatMul`) record no module tree that maps onto the framework's modules; their nodes get no scope.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { StringStringEntryProtoSchema, type NodeProto } from '../onnx/gen/onnx_pb.js';
import type { Graph } from '../onnx/graph.js';
import { subgraphReads } from '../onnx/graph.js';
import { fromSkipNorm } from './skip-norm.js';

/** `NodeProto.metadata_props` (ONNX ≥ 1.16); older schemas keep it as an unknown field. */
const NODE_METADATA_FIELD = 9;
const DYNAMO_SCOPES = 'pkg.torch.onnx.name_scopes';
const DYNAMO_NAMESPACE = 'namespace';
/** What torch.export records for nodes outside any `nn.Module` (symbolic sizes of the inputs). */
const FAKE_MODULE = '_empty_nn_module_stack_from_metadata_hook';
const STANDARD_DOMAINS = new Set(['', 'ai.onnx']);
/** Standard operators that quantization tools write in place of a module's MatMul or Conv. */
const QUANTIZED_COMPUTE = new Set(['MatMulInteger', 'ConvInteger', 'QLinearMatMul', 'QLinearConv']);

/** Where quantized products take their weight: `MatMulInteger` / `ConvInteger` input 1, `QLinearMatMul` / `QLinearConv` input 3. */
const QUANTIZED_WEIGHT: Readonly<Record<string, number>> = { MatMulInteger: 1, ConvInteger: 1, QLinearMatMul: 3, QLinearConv: 3 };
/** A parameter named as torch's exporters name it (`<module>.weight`), with quantize_dynamic's suffix. */
const WEIGHT_NAME = /^(.+)\.weight(_quantized)?$/;

/**
 * The module of a quantized product that records no scope, read off its weight: quantize_dynamic
 * names the int8 weight after the parameter it rounds (`<module>.weight_quantized`), and the
 * parameter's path is its module's.
 */
function weightModule(graph: Graph, node: NodeProto): string | undefined {
  const index = QUANTIZED_WEIGHT[node.opType];
  const weight = index === undefined || !STANDARD_DOMAINS.has(node.domain) ? undefined : node.input[index];
  return weight === undefined || graph.initializer(weight) === undefined ? undefined : WEIGHT_NAME.exec(weight)?.[1];
}

/**
 * Whether a node inserted by a tool may stand for operators of a module (a fusion, a quantized
 * product, or the operators `splitSkipNorms` wrote for a fused residual normalisation).
 */
function replacesModuleOps(node: NodeProto): boolean {
  return !STANDARD_DOMAINS.has(node.domain) || QUANTIZED_COMPUTE.has(node.opType) || fromSkipNorm(node);
}

/**
 * The module path the exporter recorded for a node (`''` for the model's root scope, `undefined`
 * when the exporter recorded no scope at all).
 *
 * @example
 * ```ts
 * import { moduleOf, onnx } from '@mechint/core';
 * import { create } from '@bufbuild/protobuf';
 * moduleOf(create(onnx.NodeProtoSchema, { name: '/blocks.0/attn/W_Q/MatMul' })); // 'blocks.0.attn.W_Q'
 * ```
 */
export function moduleOf(node: NodeProto): string | undefined {
  const metadata = nodeMetadata(node);
  const scopes = metadata.get(DYNAMO_SCOPES);
  const dynamo = scopes === undefined ? namespaceScopes(metadata.get(DYNAMO_NAMESPACE)) : parsePythonStringList(scopes);
  if (dynamo !== undefined) {
    // A real module stack starts at the root ''; torch.export's stand-in for "no module" does not.
    if (dynamo[0] !== '' || dynamo.includes(FAKE_MODULE)) return '';
    return dynamo.length >= 2 ? dynamo[dynamo.length - 2]! : '';
  }
  if (!node.name.startsWith('/')) return undefined;
  // Tools that insert a node for a value name it after the value (`<value>_QuantizeLinear`).
  if (node.input.some((i) => i !== '' && node.name.startsWith(`${i}_`))) return undefined;
  return torchScriptPath(node.name.split('/').slice(1, -1));
}

/**
 * TorchScript names a module inside an `nn.Sequential` by its path from the Sequential's parent
 * (`/features/features.0/Conv`): such a segment replaces the one before it.
 */
function torchScriptPath(segments: readonly string[]): string {
  const path: string[] = [];
  for (const segment of segments) {
    if (path.length > 0 && segment.startsWith(`${path.at(-1)!}.`)) path.pop();
    path.push(segment);
  }
  return path.join('.');
}

/** The module path and all its ancestors, innermost first: `a.b.c` → `a.b.c`, `a.b`, `a`. */
export function enclosingModules(path: string): string[] {
  const parts = path === '' ? [] : path.split('.');
  return parts.map((_, i) => parts.slice(0, parts.length - i).join('.'));
}

/** Every node's module, recorded or inferred, and the modules whose boundary a fusion crossed. */
export interface ScopeMap {
  /** Module path of each node (`undefined` when the graph records no scopes at all). */
  readonly scope: ReadonlyMap<NodeProto, string | undefined>;
  /** Modules a fused operator may have cut into: their inputs and outputs are not named. */
  readonly broken: ReadonlySet<string>;
  /** Modules whose first operators a quantization step may hold: their inputs are not named. */
  readonly brokenInputs: ReadonlySet<string>;
}

const cache = new WeakMap<readonly NodeProto[], ScopeMap>();

/**
 * The module of every node of `graph` (`order`: its topological order; `data`: the values that
 * carry data). Nodes without a recorded scope, in a graph that records scopes, are grouped with
 * the scope-less nodes they exchange data with; a group gets the longest common module path of the
 * scoped nodes around it (graph inputs and outputs count as the root). Results are cached per
 * `order` array.
 *
 * @example
 * ```ts
 * import { HookedModel, nodeScopes } from '@mechint/core';
 * const model = await HookedModel.load('packages/core/test/fixtures/gpt2l.onnx');
 * const graph = model.model.graph;
 * const data = new Set(model.hookPoints.filter((h) => h.data).map((h) => h.value));
 * const { scope } = nodeScopes(graph, graph.topologicalOrder(), data);
 * console.log(scope.get(graph.producerOf(model.hookPoint('blocks.0.attn.W_Q.output').value)!)); // 'blocks.0.attn.W_Q'
 * ```
 */
export function nodeScopes(graph: Graph, order: readonly NodeProto[], data: ReadonlySet<string>): ScopeMap {
  const cached = cache.get(order);
  if (cached !== undefined) return cached;
  const scope = new Map<NodeProto, string | undefined>(order.map((n) => [n, moduleOf(n)]));
  const broken = new Set<string>();
  const brokenInputs = new Set<string>();
  const recorded = order.some((n) => scope.get(n) !== undefined);
  const quantized = new Set<NodeProto>();
  if (recorded) {
    // A quantized product without a scope sits in its weight's module; the int32 product leaves
    // that module and is dequantized by scope-less nodes, so the module itself gets no names.
    for (const node of order) {
      const module = scope.get(node) === undefined ? weightModule(graph, node) : undefined;
      if (module === undefined) continue;
      // with the nodes quantize_dynamic names after it: its scales (`<product>_scales_mul`,
      // `<product>_output_scale_mul`) and the cast of its int32 result (`<output>_cast`)
      const own = new Set(node.output.map((o) => `${o}_cast`));
      for (const n of order) {
        if (n !== node && scope.get(n) === undefined && (n.name.startsWith(`${node.name}_`) || own.has(n.name))) {
          scope.set(n, module);
          quantized.add(n);
        }
      }
      scope.set(node, module);
      quantized.add(node);
      broken.add(module);
    }
  }
  const missing = order.filter((n) => scope.get(n) === undefined);
  if (recorded) {
    const graphInputs = new Set(graph.feedNames);
    const graphOutputs = new Set(graph.outputs.map((o) => o.name));
    /** The nodes a node exchanges data with, and their recorded modules (graph inputs and outputs: the root). */
    const neighbours = (node: NodeProto): [NodeProto | undefined, string | undefined][] => {
      const found: [NodeProto | undefined, string | undefined][] = [];
      for (const input of [...node.input, ...subgraphReads(node)]) {
        if (!data.has(input)) continue;
        const producer = graph.producerOf(input);
        found.push(producer === undefined ? [undefined, graphInputs.has(input) ? '' : undefined] : [producer, scope.get(producer)]);
      }
      for (const out of node.output) {
        if (graphOutputs.has(out)) found.push([undefined, '']);
        for (const consumer of graph.consumersOf(out)) if (consumer.output.some((o) => data.has(o))) found.push([consumer, scope.get(consumer)]);
      }
      return found;
    };
    // Scope-less nodes linked by data form groups; a group takes the common module of the scoped
    // nodes around it, so a chain of inserted nodes cannot pull one end into the other's module.
    const unscoped = new Set(missing);
    const seen = new Set<NodeProto>();
    for (const start of missing) {
      if (seen.has(start)) continue;
      const group: NodeProto[] = [];
      const around: string[] = [];
      /** Modules of weight-placed products the group reads from (it may hold their last operators) and feeds (their first). */
      const products: string[] = [];
      const feeds: string[] = [];
      const stack = [start];
      seen.add(start);
      while (stack.length > 0) {
        const node = stack.pop()!;
        group.push(node);
        for (const [other, module] of neighbours(node)) {
          if (other !== undefined && unscoped.has(other)) {
            if (!seen.has(other)) {
              seen.add(other);
              stack.push(other);
            }
          } else if (module !== undefined) {
            around.push(module);
            if (other !== undefined && quantized.has(other)) {
              const readsProduct = node.input.some((i) => other.output.includes(i));
              (readsProduct ? products : feeds).push(module);
            }
          }
        }
      }
      const module = around.length === 0 ? '' : commonModule(around);
      for (const node of group) scope.set(node, module);
      // A group that computes in place of a module's own operators may hold that module's last
      // nodes: every deeper module next to it loses its names.
      if (group.some(replacesModuleOps)) {
        for (const other of around) for (const m of enclosingModules(other)) if (m !== module && isInside(m, module)) broken.add(m);
      }
      // The (de)quantization around a product placed by its weight may hold the first or last
      // operators of the modules holding that product.
      for (const product of products) for (const m of enclosingModules(product)) if (m !== module && isInside(m, module)) broken.add(m);
      for (const product of feeds) for (const m of enclosingModules(product)) if (m !== module && isInside(m, module)) brokenInputs.add(m);
    }
  }
  const map = { scope, broken, brokenInputs };
  cache.set(order, map);
  return map;
}

function isInside(module: string, outer: string): boolean {
  return outer === '' || module === outer || module.startsWith(`${outer}.`);
}

function commonModule(paths: readonly string[]): string {
  const split = paths.map((p) => (p === '' ? [] : p.split('.')));
  const first = split[0]!;
  let n = first.length;
  for (const parts of split) {
    let k = 0;
    while (k < n && k < parts.length && parts[k] === first[k]) k++;
    n = k;
  }
  return first.slice(0, n).join('.');
}

function nodeMetadata(node: NodeProto): Map<string, string> {
  const metadata = new Map<string, string>();
  for (const field of node.$unknown ?? []) {
    if (field.no !== NODE_METADATA_FIELD || field.wireType !== 2) continue;
    const entry = fromBinary(StringStringEntryProtoSchema, new BinaryReader(field.data).bytes());
    metadata.set(entry.key, entry.value);
  }
  return metadata;
}

/**
 * The dynamo exporter's `namespace`: `: <root class>/h.0: <class>/…/<fx node>: <aten op>` — one
 * `name: class` entry per module, the FX node last.
 */
function namespaceScopes(text: string | undefined): string[] | undefined {
  if (text === undefined || !text.includes(': ')) return undefined;
  return text.split('/').map((part) => part.slice(0, Math.max(0, part.indexOf(': '))));
}

/** Parses the repr of a Python list of strings, e.g. `['', 'blocks.0', 'linear']`. */
function parsePythonStringList(text: string): string[] | undefined {
  const items: string[] = [];
  const pattern = /'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g;
  for (const match of text.matchAll(pattern)) items.push((match[1] ?? match[2] ?? '').replace(/\\(.)/g, '$1'));
  return text.trim().startsWith('[') ? items : undefined;
}
