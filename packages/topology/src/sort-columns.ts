/**
 * Ordering of simplices as Ripser orders them: the filtration order is increasing diameter, ties
 * broken by decreasing index; columns are reduced in the reverse of it. A least-significant-digit
 * radix sort on the float64 bit patterns (both keys are ≥ 0, so their bits order like their
 * values), 16 bits a pass: linear time, no comparator calls.
 */

/** One stable counting pass of `order` by the 16-bit digit `shift` of word `word` of each key. */
function pass(order: Uint32Array, spare: Uint32Array, words: Uint32Array, word: number, shift: number, complement: boolean, counts: Uint32Array): void {
  counts.fill(0);
  const m = order.length;
  for (let i = 0; i < m; i++) {
    let digit = (words[2 * order[i]! + word]! >>> shift) & 0xffff;
    if (complement) digit = 0xffff - digit;
    counts[digit]!++;
  }
  let sum = 0;
  for (let d = 0; d < 65536; d++) {
    const c = counts[d]!;
    counts[d] = sum;
    sum += c;
  }
  for (let i = 0; i < m; i++) {
    const o = order[i]!;
    let digit = (words[2 * o + word]! >>> shift) & 0xffff;
    if (complement) digit = 0xffff - digit;
    spare[counts[digit]!++] = o;
  }
  order.set(spare);
}

/**
 * @internal Sorts the (diameter, index) pairs in place into reduction order (diameter descending,
 * then index ascending), or into filtration order with `filtration` true.
 */
export function sortSimplices(diam: Float64Array, index: Float64Array, filtration = false): void {
  const m = diam.length;
  const order = new Uint32Array(m);
  for (let i = 0; i < m; i++) order[i] = i;
  const spare = new Uint32Array(m);
  const counts = new Uint32Array(65536);
  const indexWords = new Uint32Array(index.buffer, index.byteOffset, 2 * m);
  const diamWords = new Uint32Array(diam.buffer, diam.byteOffset, 2 * m);
  // Filtration order: index descending (secondary), then diameter ascending (primary, stable).
  for (const [word, shift] of [[0, 0], [0, 16], [1, 0], [1, 16]] as const) pass(order, spare, indexWords, word, shift, true, counts);
  for (const [word, shift] of [[0, 0], [0, 16], [1, 0], [1, 16]] as const) pass(order, spare, diamWords, word, shift, false, counts);
  if (!filtration) order.reverse();
  const d = Float64Array.from(order, (i) => diam[i]!);
  const x = Float64Array.from(order, (i) => index[i]!);
  diam.set(d);
  index.set(x);
}
