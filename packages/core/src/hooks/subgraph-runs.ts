/**
 * Runs that reach into subgraphs: returning hooked values from If / Loop / Scan bodies with the
 * conditions that say whether they were computed, measuring their shapes on a call's feeds, and
 * refusing JavaScript hooks inside bodies.
 */
import { MechintError } from '../errors.js';
import type { ModelIR } from '../onnx/model.js';
import type { Backend } from '../runtime/backend.js';
import type { Tensor } from '../tensor/tensor.js';
import type { HookPoint } from './hook-points.js';
import { branchConditions, plumbSubgraphValue, subgraphHookName, type BranchCondition, type SubgraphLocation } from './subgraphs.js';

/** What {@link plumbSubgraphHooks} added to a variant. */
export interface SubgraphPlumbing {
  /** Graph outputs the variant gained (hooked values and branch conditions). */
  readonly outputs: readonly string[];
  /**
   * Whether the hooked value `value` was computed in a run with these results and feeds: false
   * when an If on its way took the other branch (its output then is an empty placeholder).
   */
  computed(value: string, results: Readonly<Record<string, Tensor>>, feeds: Readonly<Record<string, Tensor>>): boolean;
  /** The first If on the way to `value` that took the other branch, in words; `undefined` when computed. */
  whyNot(value: string, results: Readonly<Record<string, Tensor>>, feeds: Readonly<Record<string, Tensor>>): string | undefined;
}

/**
 * Makes every subgraph hook in `hooks` (those with a `subgraph` location) an output of `model`
 * under its hook value name, with the If conditions that decide whether it is computed. Edits
 * `model` in place; hooks outside subgraphs are ignored.
 */
export function plumbSubgraphHooks(model: ModelIR, hooks: readonly HookPoint[]): SubgraphPlumbing {
  const added = new Set<string>();
  const feeds = new Set(model.graph.feedNames);
  const conditionsOf = new Map<string, { condition: BranchCondition; output: string }[]>();
  const plumb = (location: SubgraphLocation, outer: string) => {
    if (added.has(outer)) return;
    plumbSubgraphValue(model, location, outer);
    added.add(outer);
  };
  for (const hook of hooks) {
    if (hook.subgraph === undefined) continue;
    const conditions = branchConditions(model, hook.subgraph).map((condition) => {
      if (condition.path.length > 0) {
        const location = { path: condition.path, value: condition.value };
        const output = subgraphHookName(location);
        plumb(location, output);
        return { condition, output };
      }
      if (!feeds.has(condition.value) && !added.has(condition.value)) {
        model.graph.addOutput(condition.value);
        added.add(condition.value);
      }
      return { condition, output: condition.value };
    });
    conditionsOf.set(hook.value, conditions);
    plumb(hook.subgraph, hook.value);
  }
  const whyNot = (value: string, results: Readonly<Record<string, Tensor>>, runFeeds: Readonly<Record<string, Tensor>>): string | undefined => {
    for (const { condition, output } of conditionsOf.get(value) ?? []) {
      const tensor = results[output] ?? runFeeds[output];
      if (tensor === undefined || tensor.size === 0 || Boolean(tensor.data[0]) === condition.want) continue;
      return `If '${condition.node}' takes its ${condition.want ? 'else' : 'then'}_branch (its condition '${condition.value}' is ${!condition.want})`;
    }
    return undefined;
  };
  return {
    outputs: [...added],
    whyNot,
    computed: (value, results, runFeeds) => whyNot(value, results, runFeeds) === undefined,
  };
}

/** What a call's feeds made of a subgraph hook: its per-iteration shape and dtype. */
export interface MeasuredHook {
  readonly hook: HookPoint;
  /** The hook with `dtype` and `shape` (this call's sizes) and a feature axis filled in. */
  readonly measured: HookPoint;
}

/**
 * Measures the subgraph hooks in `hooks` on `feeds` (one run of a variant that returns them) and
 * returns them with this call's dtype and shape — per iteration for values inside Loop / Scan
 * bodies. Throws `INVALID_ARGUMENT` for a value these feeds do not compute (an If takes the other
 * branch, or a Loop runs no iteration).
 */
export async function measureSubgraphHooks(model: ModelIR, backend: Backend, key: string, feeds: Readonly<Record<string, Tensor>>, hooks: readonly HookPoint[]): Promise<HookPoint[]> {
  const inside = hooks.filter((h) => h.subgraph !== undefined);
  if (inside.length === 0) return [];
  let plumbing: SubgraphPlumbing | undefined;
  const build = (): ModelIR => {
    const variant = model.clone();
    for (const o of [...variant.graph.outputs]) variant.graph.removeOutput(o.name);
    plumbing = plumbSubgraphHooks(variant, inside);
    variant.graph.prune();
    return variant;
  };
  const session = await backend.session(build, { key: `${key} measure[${inside.map((h) => h.value).join(',')}]` });
  plumbing ??= plumbSubgraphHooks(model.clone(), inside);
  const results = await session.run(Object.fromEntries(session.inputNames.map((n) => [n, feeds[n]!])));
  return inside.map((hook) => {
    const why = plumbing!.whyNot(hook.value, results, feeds);
    if (why !== undefined) throw new MechintError('INVALID_ARGUMENT', `'${hook.name}' is not computed with these feeds: ${why}. Edit a value of the branch that runs.`, { details: { hook: hook.name } });
    const tensor = results[hook.value]!;
    const stacked = hook.subgraph!.path.filter((s) => s.op === 'Loop' || s.op === 'Scan').length;
    if (tensor.shape.slice(0, stacked).some((d) => d === 0)) {
      throw new MechintError('INVALID_ARGUMENT', `'${hook.name}' is not computed with these feeds: its loop runs no iteration.`, { details: { hook: hook.name } });
    }
    const shape = tensor.shape.slice(stacked);
    return { ...hook, dtype: tensor.dtype, shape, axes: shape.length === 0 ? {} : { ...hook.axes, feature: hook.axes.feature ?? shape.length - 1 } };
  });
}

/**
 * Throws `INVALID_ARGUMENT` when a JavaScript hook targets a value inside a subgraph: a graph
 * cannot be split inside an If / Loop / Scan body.
 */
export function refuseSubgraphFunctions(hooks: readonly HookPoint[]): void {
  const inside = hooks.find((h) => h.subgraph !== undefined);
  if (inside === undefined) return;
  const step = inside.subgraph!.path.at(-1)!;
  throw new MechintError(
    'INVALID_ARGUMENT',
    `'${inside.name}' lives inside the ${step.attribute} of ${step.op} '${step.node}', where the graph cannot be split for a JavaScript hook. Use a declarative intervention on it (run(feeds, { interventions: [{ hook: '${inside.name}', op: 'set', value }] })), or inline the If branches for these feeds with inlineBranches() and load the result.`,
    { details: { hook: inside.name } },
  );
}
