/**
 * Gaussian noise with a power-law spectrum 1/f^β, by spectral synthesis.
 */
import { fft } from '../math/fft.js';
import { Rng } from '../math/random.js';
import { checkInteger, checkNumber } from '../math/signal.js';
import type { StimulusOptions } from './fgn.js';

/**
 * n samples of Gaussian noise whose power spectrum falls as 1/f^β (0 white, 1 pink, 2 brown), by
 * the method of Timmer & König (1995) as the `colorednoise` package's `powerlaw_psd_gaussian`:
 * independent normal real and imaginary parts scaled by f^{−β/2} at the rfft frequencies
 * (frequencies below 1/n clamped to 1/n, the DC term zero, the Nyquist term real), an inverse FFT,
 * and scaling to unit standard deviation.
 *
 * Throws `INVALID_ARGUMENT` for n < 4, a non-finite β, and a non-integer seed.
 *
 * @see J. Timmer, M. König, "On generating power law noise", Astron. Astrophys. 300 (1995) 707–710.
 * @example
 * ```ts
 * import { coloredNoise } from '@mechint/fractals';
 * const pink = coloredNoise(2048, 1, { seed: 3 });
 * ```
 */
export function coloredNoise(n: number, beta: number, options: StimulusOptions = {}): Float64Array {
  checkInteger(n, 'coloredNoise: n', 4);
  checkNumber(beta, 'coloredNoise: beta');
  const rng = new Rng(options.seed ?? 0);
  const bins = Math.floor(n / 2) + 1;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let k = 1; k < bins; k++) {
    const f = Math.max(k / n, 1 / n);
    const amp = f ** (-beta / 2);
    re[k] = amp * rng.normal();
    im[k] = n % 2 === 0 && k === bins - 1 ? 0 : amp * rng.normal();
    if (k !== n - k) {
      re[n - k] = re[k]!;
      im[n - k] = -im[k]!;
    }
  }
  fft(re, im, true);
  let mean = 0;
  for (const v of re) mean += v;
  mean /= n;
  let sq = 0;
  for (const v of re) sq += (v - mean) ** 2;
  const sd = Math.sqrt(sq / n);
  return Float64Array.from(re, (v) => (v - mean) / sd);
}
