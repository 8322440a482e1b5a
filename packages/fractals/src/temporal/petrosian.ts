/**
 * Petrosian's fractal dimension, with antropy's definition.
 */
import { toSignal, type Signal } from '../math/signal.js';

/**
 * Petrosian's fractal dimension as antropy computes it: with `N` samples and `Δ` the number of sign
 * changes of the first difference (a sign read as numpy's `signbit`, so a zero step counts as
 * positive), `FD = log10 N / (log10 N + log10(N / (N + 0.4 Δ)))`.
 *
 * Throws `INVALID_ARGUMENT` for fewer than 3 samples, NaN / Infinity and a constant signal.
 *
 * @see A. Petrosian, "Kolmogorov complexity of finite sequences and recognition of different preictal EEG patterns", IEEE CBMS (1995) 212–217.
 * @see antropy.petrosian_fd
 * @example
 * ```ts
 * import { petrosianFD } from '@mechint/fractals';
 * petrosianFD([0, 2, 1, 3, 2, 4, 3, 5]);
 * ```
 */
export function petrosianFD(x: Signal): number {
  const data = toSignal(x, { method: 'petrosianFD', minLength: 3 });
  const n = data.length;
  let changes = 0;
  let previous = signbit(data[1]! - data[0]!);
  for (let i = 2; i < n; i++) {
    const current = signbit(data[i]! - data[i - 1]!);
    if (current !== previous) changes++;
    previous = current;
  }
  return Math.log10(n) / (Math.log10(n) + Math.log10(n / (n + 0.4 * changes)));
}

function signbit(v: number): boolean {
  return v < 0 || Object.is(v, -0);
}
