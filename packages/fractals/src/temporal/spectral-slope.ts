/**
 * The spectral exponent β of a 1/f^β power spectrum, from a log-log fit.
 */
import { MechintError } from '@mechint/core';
import { linearFit } from '../math/regression.js';
import { checkInteger, checkNumber, toSignal, type Signal } from '../math/signal.js';
import { periodogram, welch } from './spectrum.js';

/** Options of {@link spectralSlope}. @example `{ fs: 250, fRange: [1, 40], method: 'welch' }` */
export interface SpectralSlopeOptions {
  /** Sampling frequency. Defaults to 1 (frequencies in cycles per sample), as scipy.signal. */
  fs?: number;
  /**
   * Frequencies fitted, `[low, high]` inclusive (always above 0). Defaults to every frequency
   * strictly between 0 and fs / 2 (DC and the Nyquist bin, which is not doubled, are left out).
   */
  fRange?: readonly [number, number];
  /** `'welch'` (default) or `'periodogram'`, both with scipy.signal's defaults. */
  method?: 'welch' | 'periodogram';
  /** Welch segment length. Defaults to min(256, N), as scipy.signal.welch. */
  segment?: number;
}

/** Result of {@link spectralSlope}. @example `{ beta: 1, intercept: -2, freqs: Float64Array, power: Float64Array }` */
export interface SpectralSlopeResult {
  /** The exponent β of power ∝ 1 / f^β (minus the log-log slope): 0 white, 1 pink, 2 brown; 2H − 1 for fGn. */
  beta: number;
  /** Intercept of log10 power against log10 f. */
  intercept: number;
  /** Every frequency of the spectrum (not only the fitted ones). */
  freqs: Float64Array;
  /** The power spectral density at `freqs`. */
  power: Float64Array;
}

/**
 * The spectral exponent β: the power spectral density is estimated with scipy.signal's `welch`
 * (default; Hann, nperseg = min(256, N), half overlap, constant detrend, one-sided density) or
 * `periodogram` (boxcar), and β = −(least-squares slope of log10 power against log10 f) over
 * `fRange`. β ≈ 0 for white noise, 2H − 1 for fractional Gaussian noise, 2H + 1 for fBm.
 *
 * Throws `INVALID_ARGUMENT` for fewer than 8 samples, NaN / Infinity, a constant signal, an
 * `fRange` holding fewer than two frequencies, and zero power inside the range.
 *
 * @see P. Welch, "The use of fast Fourier transform for the estimation of power spectra", IEEE Trans. Audio Electroacoust. 15 (1967) 70–73.
 * @see scipy.signal.welch, scipy.signal.periodogram
 * @example
 * ```ts
 * import { coloredNoise, spectralSlope } from '@mechint/fractals';
 * spectralSlope(coloredNoise(8192, 1, { seed: 2 })).beta; // ≈ 1
 * ```
 */
export function spectralSlope(x: Signal, options: SpectralSlopeOptions = {}): SpectralSlopeResult {
  const data = toSignal(x, { method: 'spectralSlope', minLength: 8 });
  const fs = options.fs ?? 1;
  checkNumber(fs, 'spectralSlope: fs', { gt: 0 });
  const method = options.method ?? 'welch';
  let spectrum;
  if (method === 'welch') {
    const segment = options.segment ?? Math.min(256, data.length);
    checkInteger(segment, 'spectralSlope: segment', 8, data.length, 'The Welch segment must fit in the signal.');
    spectrum = welch(data, fs, segment);
  } else if (method === 'periodogram') {
    spectrum = periodogram(data, fs);
  } else {
    throw new MechintError('INVALID_ARGUMENT', `spectralSlope: method must be 'welch' or 'periodogram'; got '${String(method)}'.`);
  }
  const { freqs, power } = spectrum;
  const [lo, hi] = options.fRange ?? [0, fs / 2];
  if (options.fRange !== undefined) {
    checkNumber(lo, 'spectralSlope: fRange[0]', { ge: 0 });
    checkNumber(hi, 'spectralSlope: fRange[1]', { gt: lo });
  }
  const inRange = (f: number) => f > 0 && (options.fRange === undefined ? f < fs / 2 : f >= lo && f <= hi);
  const xs: number[] = [];
  const ys: number[] = [];
  freqs.forEach((f, k) => {
    if (!inRange(f)) return;
    const p = power[k]!;
    if (!(p > 0)) throw new MechintError('INVALID_ARGUMENT', `spectralSlope: the power at ${f} is 0, so its logarithm is undefined; narrow fRange or add noise.`);
    xs.push(Math.log10(f));
    ys.push(Math.log10(p));
  });
  if (xs.length < 2) {
    throw new MechintError('INVALID_ARGUMENT', `spectralSlope: fRange [${lo}, ${hi}] holds ${xs.length} frequencies of the spectrum (resolution ${freqs[1]}); widen it or use a longer signal.`);
  }
  const { slope, intercept } = linearFit(xs, ys);
  return { beta: -slope, intercept, freqs, power };
}
