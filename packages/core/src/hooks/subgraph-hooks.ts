/**
 * The hook-table rows for values inside If / Loop / Scan bodies: each value by its path name, and
 * module outputs from the scopes the body nodes carry (`/encoder/Conv` → `encoder`).
 */
import type { NodeProto } from '../onnx/gen/onnx_pb.js';
import type { Graph } from '../onnx/graph.js';
import { dtypeFromOnnx, type DType } from '../tensor/dtype.js';
import type { HookPoint } from './hook-points.js';
import { enclosingModules, moduleOf } from './scopes.js';
import { subgraphChain, subgraphHookName, subgraphValues, type SubgraphValue } from './subgraphs.js';

/**
 * Hook points for every value inside `graph`'s subgraphs whose name is not in `taken`: each value
 * by its path name (`kind` `'value'`), then module outputs from the body nodes' scopes (`kind`
 * `'module-output'`, see `subgraphModuleOutputs`); `subgraph` set, shape learned per call (see
 * `measureSubgraphHooks`).
 */
export function subgraphHookPoints(graph: Graph, data: ReadonlySet<string>, taken: ReadonlySet<string>): HookPoint[] {
  const values = subgraphValues(graph, data);
  const named = [...values.map((v) => ({ name: v.name, kind: 'value' as const, value: v })), ...subgraphModuleOutputs(graph, values).map((m) => ({ ...m, kind: 'module-output' as const }))];
  const used = new Set(taken);
  return named.flatMap(({ name, kind, value: v }) => {
    if (used.has(name)) return [];
    used.add(name);
    return [{ name, value: v.name, kind, op: v.op, scope: v.scope, dtype: dtypeOrUndefined(v.elemType), shape: undefined, axes: {}, data: v.data, subgraph: v.location }];
  });
}

function dtypeOrUndefined(elemType: number | undefined): DType | undefined {
  if (elemType === undefined) return undefined;
  try {
    return dtypeFromOnnx(elemType);
  } catch {
    return undefined;
  }
}

/**
 * `<module>.output` for every module whose nodes sit in a body: the last data value its nodes
 * produce that leaves the module (a body output, or read by a body node outside the module).
 * A module found in one body only, and not in the main graph, is named plainly
 * (`cell.output`); otherwise the name is prefixed with its body's path
 * (`If_top/then_branch/gate.output`), so the branches' modules stay apart.
 */
export function subgraphModuleOutputs(main: Graph, values: readonly SubgraphValue[]): { name: string; value: SubgraphValue }[] {
  const bodies = new Map<string, SubgraphValue[]>();
  for (const v of values) {
    const prefix = subgraphHookName({ path: v.location.path, value: '' });
    const list = bodies.get(prefix);
    if (list === undefined) bodies.set(prefix, [v]);
    else list.push(v);
  }
  const found: { module: string; prefix: string; value: SubgraphValue }[] = [];
  for (const [prefix, list] of bodies) {
    const body = subgraphChain(main, list[0]!.location).at(-1)!;
    const byValue = new Map(list.map((v) => [v.location.value, v]));
    const outputs = new Set(body.outputs.map((o) => o.name));
    for (const [module, nodes] of membersByModule(body.nodes)) {
      let last: SubgraphValue | undefined;
      for (const node of body.nodes) {
        if (!nodes.has(node)) continue;
        for (const out of node.output) {
          const value = byValue.get(out);
          if (value?.data && (outputs.has(out) || body.consumersOf(out).some((c) => !nodes.has(c)))) last = value;
        }
      }
      if (last !== undefined) found.push({ module, prefix, value: last });
    }
  }
  const inMain = new Set(membersByModule(main.nodes).keys());
  const bodiesOf = new Map<string, number>();
  for (const f of found) bodiesOf.set(f.module, (bodiesOf.get(f.module) ?? 0) + 1);
  return found.map((f) => ({ name: `${bodiesOf.get(f.module) === 1 && !inMain.has(f.module) ? '' : f.prefix}${f.module}.output`, value: f.value }));
}

function membersByModule(nodes: readonly NodeProto[]): Map<string, Set<NodeProto>> {
  const members = new Map<string, Set<NodeProto>>();
  for (const node of nodes) {
    const module = moduleOf(node);
    if (module === undefined) continue;
    for (const m of enclosingModules(module)) {
      let set = members.get(m);
      if (set === undefined) members.set(m, (set = new Set()));
      set.add(node);
    }
  }
  return members;
}
