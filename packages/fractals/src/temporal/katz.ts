/**
 * Katz's fractal dimension, with antropy's definition.
 */
import { toSignal, type Signal } from '../math/signal.js';

/**
 * Katz's fractal dimension as antropy computes it: with `L` the total length `Σ |x[i+1] − x[i]|`,
 * `a = L / (N − 1)` the mean step and `d = max_i |x[i] − x[0]|` the extent,
 * `FD = log10(L / a) / (log10(L / a) + log10(d / L))`.
 *
 * Throws `INVALID_ARGUMENT` for fewer than 3 samples, NaN / Infinity and a constant signal.
 *
 * @see M. J. Katz, "Fractals and the analysis of waveforms", Comput. Biol. Med. 18 (1988) 145–156.
 * @see antropy.katz_fd
 * @example
 * ```ts
 * import { katzFD } from '@mechint/fractals';
 * katzFD([0, 1, 0, 1, 0, 1, 0]); // a zig-zag
 * ```
 */
export function katzFD(x: Signal): number {
  const data = toSignal(x, { method: 'katzFD', minLength: 3 });
  const n = data.length;
  let length = 0;
  let extent = 0;
  const first = data[0]!;
  for (let i = 1; i < n; i++) {
    length += Math.abs(data[i]! - data[i - 1]!);
    extent = Math.max(extent, Math.abs(data[i]! - first));
  }
  const ln = Math.log10(length / (length / (n - 1)));
  return ln / (ln + Math.log10(extent / length));
}
