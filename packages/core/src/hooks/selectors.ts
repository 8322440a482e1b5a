/**
 * Choosing hook points: by exact name, regular expression or predicate, and resolving names with
 * "did you mean" suggestions.
 */
import { MechintError } from '../errors.js';
import { closestNames } from '../onnx/names.js';
import type { HookPoint } from './hook-points.js';

/** Picks hook points: an exact name, a regular expression on names, or a predicate. */
export type HookSelector = string | RegExp | ((hook: HookPoint) => boolean);

/**
 * The hook points `selectors` pick, in table order, each name once. An exact name that matches
 * nothing throws `UNKNOWN_HOOK` with the closest names.
 */
export function selectHooks(table: readonly HookPoint[], selectors: HookSelector | readonly HookSelector[]): HookPoint[] {
  const list = Array.isArray(selectors) ? (selectors as readonly HookSelector[]) : [selectors as HookSelector];
  const picked = new Set<HookPoint>();
  for (const selector of list) {
    if (typeof selector === 'string') picked.add(resolveHook(table, selector));
    else for (const hook of table) if (typeof selector === 'function' ? selector(hook) : selector.test(hook.name)) picked.add(hook);
  }
  return table.filter((h) => picked.has(h));
}

/** The hook point named `name`; `UNKNOWN_HOOK` with suggestions otherwise. */
export function resolveHook(table: readonly HookPoint[], name: string): HookPoint {
  const hook = table.find((h) => h.name === name);
  if (hook !== undefined) return hook;
  const suggestions = closestNames(name, table.map((h) => h.name), 5);
  throw new MechintError(
    'UNKNOWN_HOOK',
    `No hook point named '${name}'.${suggestions.length ? ` Closest: ${suggestions.map((s) => `'${s}'`).join(', ')}.` : ''} List them with model.hookPoints.`,
    { details: { name, suggestions } },
  );
}
