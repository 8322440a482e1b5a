/**
 * Hook patterns of the command line: exact names, or globs where `*` matches within one dotted
 * part and `**` across parts (`blocks.*.output`, `**.attn.pattern`).
 */
import { MechintError, closestNames, type HookSelector, type HookPoint } from '@mechint/core';

/** Whether `pattern` has glob characters. */
function isGlob(pattern: string): boolean {
  return /[*?]/.test(pattern);
}

/** A glob as a regular expression on hook names. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (c === '*') source += '[^.]*';
    else if (c === '?') source += '[^.]';
    else source += c.replace(/[\\^$+.()|[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * Selectors for `patterns`; every glob must match at least one hook point (`UNKNOWN_HOOK` with the
 * closest names otherwise). Exact names are resolved by the model, with its own suggestions.
 */
export function hookSelectors(patterns: readonly string[], table: readonly HookPoint[]): HookSelector[] {
  return patterns.map((pattern) => {
    if (!isGlob(pattern)) return pattern;
    const regex = globToRegExp(pattern);
    if (!table.some((h) => regex.test(h.name))) {
      const near = closestNames(pattern.replace(/\*+/g, '0'), table.map((h) => h.name), 5);
      throw new MechintError('UNKNOWN_HOOK', `No hook point matches '${pattern}'${near.length ? `; closest names: ${near.join(', ')}` : ''}. List them with mechint inspect <model>.`, { details: { pattern } });
    }
    return regex;
  });
}
