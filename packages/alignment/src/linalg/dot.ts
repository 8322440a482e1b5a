/**
 * The inner product the host decompositions are built on.
 */

/**
 * `Σ_{k<length} a[x + k] · a[y + k]` over two runs of one array, with four independent partial sums
 * (one chain of dependent additions is the bottleneck otherwise).
 *
 * @example
 * ```ts
 * dot(new Float64Array([1, 2, 3, 4]), 0, 2, 2); // 1·3 + 2·4 = 11
 * ```
 */
export function dot(a: Float64Array, x: number, y: number, length: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < length; k += 4) {
    s0 += a[x + k]! * a[y + k]!;
    s1 += a[x + k + 1]! * a[y + k + 1]!;
    s2 += a[x + k + 2]! * a[y + k + 2]!;
    s3 += a[x + k + 3]! * a[y + k + 3]!;
  }
  for (; k < length; k++) s0 += a[x + k]! * a[y + k]!;
  return s0 + s1 + s2 + s3;
}
