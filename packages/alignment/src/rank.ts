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
  const order = argsort(values);
  const out = new Float64Array(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i + 1;
    while (j < order.length && values[order[j]!] === values[order[i]!]) j++;
    const rank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) out[order[k]!] = rank;
    i = j;
  }
  return out;
}

/**
 * Indices that sort `values` (finite, or ±∞) ascending: an LSD radix sort on 16-bit digits of
 * order-preserving 64-bit keys, four linear passes instead of O(N log N) comparator calls.
 */
function argsort(values: Float64Array): Uint32Array {
  const n = values.length;
  const [low, high] = sortKeys(values);
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let next = new Uint32Array(n);
  const starts = new Uint32Array(1 << 16);
  for (const [key, shift] of [[low, 0], [low, 16], [high, 0], [high, 16]] as const) {
    starts.fill(0);
    for (let i = 0; i < n; i++) starts[(key[i]! >>> shift) & 0xffff]!++;
    let sum = 0;
    for (let d = 0; d < starts.length; d++) {
      const count = starts[d]!;
      starts[d] = sum;
      sum += count;
    }
    for (let i = 0; i < n; i++) {
      const index = order[i]!;
      next[starts[(key[index]! >>> shift) & 0xffff]!++] = index;
    }
    [order, next] = [next, order];
  }
  return order;
}

/**
 * Unsigned 32-bit halves `[low, high]` of keys that order like the float64 values: the sign bit
 * set for non-negative values, all bits flipped for negative ones.
 */
function sortKeys(values: Float64Array): [Uint32Array, Uint32Array] {
  const n = values.length;
  const words = new Uint32Array(Float64Array.from(values).buffer);
  const little = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;
  const [lowWord, highWord] = little ? [0, 1] : [1, 0];
  const low = new Uint32Array(n);
  const high = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const h = words[2 * i + highWord]!;
    const l = words[2 * i + lowWord]!;
    const negative = h >>> 31 === 1;
    high[i] = negative ? ~h >>> 0 : (h | 0x80000000) >>> 0;
    low[i] = negative ? ~l >>> 0 : l;
  }
  return [low, high];
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
