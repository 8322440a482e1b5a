/**
 * Rank statistics on the host: average ranks (ties share their mean rank, as scipy's `rankdata`)
 * and Kendall's τ-a in O(N log N) (Knight 1966).
 */

/**
 * 1-based ranks of `values`, ties given their average rank.
 *
 * @example
 * ```ts
 * averageRanks(new Float64Array([10, 30, 20, 20])); // [1, 4, 2.5, 2.5]
 * ```
 */
export function averageRanks(values: Float64Array): Float64Array {
  const sorted = Float64Array.from(values).sort();
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const below = bound(sorted, v, false);
    const upTo = bound(sorted, v, true);
    out[i] = (below + 1 + upTo) / 2;
  }
  return out;
}

/** Number of sorted entries `< v` (or `≤ v` when `inclusive`). */
function bound(sorted: Float64Array, v: number, inclusive: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < v || (inclusive && sorted[mid] === v)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Kendall's τ-a: `(concordant − discordant) / (N(N−1)/2)`, tied pairs counting as neither.
 *
 * @example
 * ```ts
 * kendallTauA(new Float64Array([1, 2, 3]), new Float64Array([1, 3, 2])); // 1/3
 * ```
 */
export function kendallTauA(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => x[i]! - x[j]! || y[i]! - y[j]!);
  const total = (n * (n - 1)) / 2;
  let xTies = 0;
  let jointTies = 0;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && x[order[j]!] === x[order[i]!]) j++;
    xTies += ((j - i) * (j - i - 1)) / 2;
    for (let k = i; k < j; ) {
      let l = k + 1;
      while (l < j && y[order[l]!] === y[order[k]!]) l++;
      jointTies += ((l - k) * (l - k - 1)) / 2;
      k = l;
    }
    i = j;
  }
  const ys = Float64Array.from(order, (i) => y[i]!);
  const swaps = countInversions(ys);
  let yTies = 0;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && ys[j] === ys[i]) j++;
    yTies += ((j - i) * (j - i - 1)) / 2;
    i = j;
  }
  return (total - xTies - yTies + jointTies - 2 * swaps) / total;
}

/** Sorts `a` in place by merge sort and returns the number of strict inversions. */
function countInversions(a: Float64Array): number {
  const n = a.length;
  let buffer: Float64Array = new Float64Array(n);
  let source: Float64Array = a;
  let swaps = 0;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if (source[j]! < source[i]!) {
          buffer[k++] = source[j++]!;
          swaps += mid - i;
        } else {
          buffer[k++] = source[i++]!;
        }
      }
      while (i < mid) buffer[k++] = source[i++]!;
      while (j < hi) buffer[k++] = source[j++]!;
    }
    [source, buffer] = [buffer, source];
  }
  if (source !== a) a.set(source);
  return swaps;
}
