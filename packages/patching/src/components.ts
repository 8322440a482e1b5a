/**
 * Components: the parts of a model that patching and ablation address — a hook point, narrowed
 * to some positions, heads or features.
 */
import type { HookedModel } from '@mechint/core';
import { checkIndices, ensure, hookShape, type ElementSelection, type Feeds } from './internal.js';

/**
 * A component: the selected elements of one hook point (all of it without selections).
 *
 * @example
 * ```ts
 * import type { Component } from '@mechint/patching';
 * const previousTokenHead: Component = { hook: 'blocks.0.attn.hook_z', heads: [2] };
 * ```
 */
export interface Component extends ElementSelection {
  /** Hook-point name. */
  hook: string;
  /** A label for tables and graphs (default: derived from the hook and selections). */
  name?: string;
}

/** The label of a component. */
export function componentName(c: Component): string {
  if (c.name !== undefined) return c.name;
  const parts = [c.hook];
  if (c.heads !== undefined) parts.push(`head ${c.heads.join(',')}`);
  if (c.positions !== undefined) parts.push(`pos ${c.positions.join(',')}`);
  if (c.features !== undefined) parts.push(c.features.length > 4 ? `features ${c.features[0]}..${c.features.at(-1)}` : `features ${c.features.join(',')}`);
  return parts.join(' ');
}

/** Checks a component against the model (hook exists, axes exist, indices in range); returns it with indices resolved. */
export function checkComponent(model: HookedModel, c: Component, feeds: Feeds, what: string): Component {
  ensure(typeof c === 'object' && c !== null && typeof c.hook === 'string', `${what} must be { hook, positions?, heads?, features? }; got ${JSON.stringify(c)}.`);
  const point = model.hookPoint(c.hook);
  const shape = hookShape(model, c.hook, feeds);
  const out: Component = { ...c };
  for (const [key, role] of [['positions', 'position'], ['heads', 'head'], ['features', 'feature']] as const) {
    const list = c[key];
    if (list === undefined) continue;
    const axis = point.axes[role];
    ensure(axis !== undefined, `${what} '${componentName(c)}' selects ${key}, but '${c.hook}' has no ${role} axis.`);
    out[key] = checkIndices(list, shape[axis]!, `${what} '${componentName(c)}' ${key}`);
  }
  return out;
}
