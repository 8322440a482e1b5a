/**
 * Closest-name suggestions for "did you mean" messages.
 */

/**
 * Up to `limit` names from `candidates` closest to `name` (case-insensitive edit distance, then
 * substring matches), best first.
 *
 * @example
 * ```ts
 * import { closestNames } from '@mechint/core';
 * closestNames('blocks.0.atn', ['blocks.0.attn', 'blocks.0.mlp']); // ['blocks.0.attn']
 * ```
 */
export function closestNames(name: string, candidates: Iterable<string>, limit = 3): string[] {
  const query = name.toLowerCase();
  const scored: { candidate: string; score: number }[] = [];
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    const distance = editDistance(query, c);
    const tolerance = Math.max(2, Math.floor(query.length / 3));
    if (distance <= tolerance) scored.push({ candidate, score: distance });
    else if (c.includes(query) || query.includes(c)) scored.push({ candidate, score: tolerance + 1 + Math.abs(c.length - query.length) / 1000 });
  }
  return scored.sort((a, b) => a.score - b.score).slice(0, limit).map((s) => s.candidate);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
