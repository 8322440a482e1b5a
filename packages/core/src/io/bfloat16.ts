/**
 * Rounding float32 values to bfloat16, for writing `BF16` safetensors.
 */

/**
 * bfloat16 bit patterns of float32 values, rounded to nearest even as torch does
 * (`c10::round_to_nearest_even`); every NaN becomes the canonical quiet NaN `0x7fc0`.
 *
 * @example
 * ```ts
 * float32ToBfloat16(new Float32Array([1, 1 / 3])); // Uint16Array [0x3f80, 0x3eab]
 * ```
 */
export function float32ToBfloat16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i]!;
    out[i] = (x & 0x7fffffff) > 0x7f800000 ? 0x7fc0 : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}
