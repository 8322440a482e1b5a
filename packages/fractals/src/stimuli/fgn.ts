/**
 * Exact fractional Gaussian noise and fractional Brownian motion by circulant embedding
 * (Davies-Harte).
 */
import { MechintError } from '@mechint/core';
import { fft } from '../math/fft.js';
import { Rng } from '../math/random.js';
import { checkInteger, checkNumber } from '../math/signal.js';

/** Options of the seeded stimuli. @example `{ seed: 42 }` */
export interface StimulusOptions {
  /** Seed of the pseudo-random generator; the same seed gives the same samples. Defaults to 0. */
  seed?: number;
}

/**
 * n samples of fractional Gaussian noise with Hurst exponent H and unit variance, exact
 * (Davies & Harte 1987): the autocovariance `γ(k) = ½(|k+1|^{2H} − 2|k|^{2H} + |k−1|^{2H})` is
 * embedded in a circulant matrix of size 2m (m the smallest power of two ≥ n), whose eigenvalues
 * are non-negative for every H in (0, 1) (Craigmile 2003), and the noise is drawn through the FFT.
 *
 * Throws `INVALID_ARGUMENT` for n < 2, H outside (0, 1), and a non-integer seed.
 *
 * @see R. B. Davies, D. S. Harte, "Tests for Hurst effect", Biometrika 74 (1987) 95–101.
 * @see A. T. A. Wood, G. Chan, "Simulation of stationary Gaussian processes in [0, 1]^d", J. Comput. Graph. Stat. 3 (1994) 409–432.
 * @example
 * ```ts
 * import { fgn } from '@mechint/fractals';
 * const x = fgn(1024, 0.8, { seed: 7 }); // Float64Array, positively correlated
 * ```
 */
export function fgn(n: number, hurst: number, options: StimulusOptions = {}): Float64Array {
  checkInteger(n, 'fgn: n', 2);
  checkNumber(hurst, 'fgn: H', { gt: 0, lt: 1 });
  const rng = new Rng(options.seed ?? 0);
  let m = 1;
  while (m < n) m <<= 1;
  const size = 2 * m;
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  const h2 = 2 * hurst;
  const gamma = (k: number) => 0.5 * (Math.abs(k + 1) ** h2 - 2 * Math.abs(k) ** h2 + Math.abs(k - 1) ** h2);
  for (let k = 0; k <= m; k++) re[k] = gamma(k);
  for (let k = m + 1; k < size; k++) re[k] = gamma(size - k);
  fft(re, im);
  const lambda = Float64Array.from(re, (v) => {
    if (v < -1e-9 * size) throw new MechintError('RUNTIME_ERROR', `fgn: the circulant embedding has a negative eigenvalue ${v}; this should not happen for 0 < H < 1.`);
    return Math.max(v, 0);
  });
  const wr = new Float64Array(size);
  const wi = new Float64Array(size);
  wr[0] = Math.sqrt(lambda[0]!) * rng.normal();
  wr[m] = Math.sqrt(lambda[m]!) * rng.normal();
  for (let k = 1; k < m; k++) {
    const a = Math.sqrt(lambda[k]! / 2);
    wr[k] = a * rng.normal();
    wi[k] = a * rng.normal();
    wr[size - k] = wr[k]!;
    wi[size - k] = -wi[k]!;
  }
  fft(wr, wi);
  const scale = 1 / Math.sqrt(size);
  return Float64Array.from({ length: n }, (_, i) => wr[i]! * scale);
}

/**
 * n samples of fractional Brownian motion `B_H(0) = 0, B_H(1), …, B_H(n−1)` on the integer grid
 * (variance `Var B_H(t) = t^{2H}`): the cumulative sum of n − 1 exact fGn samples ({@link fgn}).
 *
 * @see B. B. Mandelbrot, J. W. Van Ness, "Fractional Brownian motions, fractional noises and applications", SIAM Rev. 10 (1968) 422–437.
 * @example
 * ```ts
 * import { fbm, higuchiFD } from '@mechint/fractals';
 * higuchiFD(fbm(4096, 0.3, { seed: 1 })); // ≈ 2 − 0.3
 * ```
 */
export function fbm(n: number, hurst: number, options: StimulusOptions = {}): Float64Array {
  checkInteger(n, 'fbm: n', 3);
  const increments = fgn(n - 1, hurst, options);
  const out = new Float64Array(n);
  for (let i = 1; i < n; i++) out[i] = out[i - 1]! + increments[i - 1]!;
  return out;
}
