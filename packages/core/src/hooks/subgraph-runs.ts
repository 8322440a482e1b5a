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

/** Whether hooked values inside subgraphs were computed in a run (see {@link subgraphChecks}). */
export interface SubgraphChecks {
  /**
   * Whether the hooked value `value` was computed in a run with these results and feeds: false
   * when an If on its way took the other branch (its output then is an empty placeholder).
   */
  computed(value: string, results: Readonly<Record<string, Tensor>>, feeds: Readonly<Record<string, Tensor>>): boolean;
  /** The first If on the way to `value` that took the other branch, in words; `undefined` when computed. */
  whyNot(value: string, results: Readonly<Record<string, Tensor>>, feeds: Readonly<Record<string, Tensor>>): string | undefined;
}

interface Condition {
  condition: BranchCondition;
  /** The output (or feed) that returns the condition in a variant built by {@link plumbSubgraphHooks}. */
  output: string;
}

function conditionsOf(model: ModelIR, location: SubgraphLocation): Condition[] {
  return branchConditions(model, location).map((condition) => ({
    condition,
    output: condition.path.length > 0 ? subgraphHookName({ path: condition.path, value: condition.value }) : condition.value,
  }));
}

/**
 * Reads, from a run of a variant that {@link plumbSubgraphHooks} built for `hooks`, whether each
 * hooked value was computed. Reads `model` only.
 */
export function subgraphChecks(model: ModelIR, hooks: readonly HookPoint[]): SubgraphChecks {
  const inside = hooks.filter((h) => h.subgraph !== undefined);
  const conditions = new Map(inside.map((h) => [h.value, conditionsOf(model, h.subgraph!)]));
  const stacking = new Map(inside.map((h) => [h.value, loopedIf(h.subgraph!)]));
  const whyNot = (value: string, results: Readonly<Record<string, Tensor>>, feeds: Readonly<Record<string, Tensor>>): string | undefined => {
    for (const { condition, output } of conditions.get(value) ?? []) {
      const tensor = results[output] ?? feeds[output];
      if (tensor === undefined || tensor.size === 0 || Boolean(tensor.data[0]) === condition.want) continue;
      return `If '${condition.node}' takes its ${condition.want ? 'else' : 'then'}_branch (its condition '${condition.value}' is ${!condition.want})`;
    }
    const looped = stacking.get(value);
    const shape = results[value]?.shape;
    if (looped !== undefined && shape !== undefined && shape.length === looped.loops + 1 && shape.at(-1) === 0) {
      return `If '${looped.node}' inside its loop took the other branch in every iteration`;
    }
    return undefined;
  };
  return { whyNot, computed: (value, results, feeds) => whyNot(value, results, feeds) === undefined };
}

/** For a value under an If inside a Loop / Scan body: the Loop / Scan levels above it and the innermost such If. */
function loopedIf(location: SubgraphLocation): { loops: number; node: string } | undefined {
  const firstLoop = location.path.findIndex((s) => s.op === 'Loop' || s.op === 'Scan');
  const inner = location.path.slice(firstLoop + 1).filter((s) => s.op === 'If').at(-1);
  if (firstLoop < 0 || inner === undefined) return undefined;
  return { loops: location.path.filter((s) => s.op === 'Loop' || s.op === 'Scan').length, node: inner.node };
}

/**
 * Rethrows onnxruntime's refusal to stack a Loop / Scan output whose iterations differ in shape —
 * what a hooked value under an If inside the body causes when the If changes branch between
 * iterations — as `INVALID_ARGUMENT` that says so; other errors pass through unchanged.
 */
export function explainLoopError(error: unknown, hooks: readonly HookPoint[]): never {
  const looped = hooks.find((h) => h.subgraph !== undefined && loopedIf(h.subgraph) !== undefined);
  if (looped !== undefined && MechintError.isInstance(error) && /Inconsistent shape in (loop|scan) output/i.test(error.message)) {
    throw new MechintError(
      'INVALID_ARGUMENT',
      `'${looped.name}' is under If '${loopedIf(looped.subgraph!)!.node}' inside a loop that takes different branches in different iterations, so its values cannot be stacked per iteration; hook a value outside that If (e.g. the If's output).`,
      { cause: error, details: { hook: looped.name } },
    );
  }
  throw error;
}

/**
 * Makes every subgraph hook in `hooks` (those with a `subgraph` location) an output of `model`
 * under its hook value name, with the If conditions that decide whether it is computed (read them
 * with {@link subgraphChecks}). Edits `model` in place; hooks outside subgraphs are ignored.
 */
export function plumbSubgraphHooks(model: ModelIR, hooks: readonly HookPoint[]): void {
  const added = new Set<string>();
  const feeds = new Set(model.graph.feedNames);
  const plumb = (location: SubgraphLocation, outer: string) => {
    if (added.has(outer)) return;
    plumbSubgraphValue(model, location, outer);
    added.add(outer);
  };
  for (const hook of hooks) {
    if (hook.subgraph === undefined) continue;
    for (const { condition, output } of conditionsOf(model, hook.subgraph)) {
      if (condition.path.length > 0) plumb({ path: condition.path, value: condition.value }, output);
      else if (!feeds.has(output) && !added.has(output)) {
        model.graph.addOutput(output);
        added.add(output);
      }
    }
    plumb(hook.subgraph, hook.value);
  }
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
  const build = (): ModelIR => {
    const variant = model.clone();
    for (const o of [...variant.graph.outputs]) variant.graph.removeOutput(o.name);
    plumbSubgraphHooks(variant, inside);
    variant.graph.prune();
    return variant;
  };
  const session = await backend.session(build, { key: `${key} measure[${inside.map((h) => h.value).join(',')}]` });
  const checks = subgraphChecks(model, inside);
  const results = await session.run(Object.fromEntries(session.inputNames.map((n) => [n, feeds[n]!]))).catch((e: unknown) => explainLoopError(e, inside));
  return inside.map((hook) => {
    const why = checks.whyNot(hook.value, results, feeds);
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
