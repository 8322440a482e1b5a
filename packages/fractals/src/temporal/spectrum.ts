/**
 * Power spectral densities as scipy.signal computes them: Welch's average of Hann-windowed
 * segments, and the plain periodogram.
 */
import { fft } from '../math/fft.js';

/** A one-sided power spectral density. @example `{ freqs: Float64Array.of(0, 0.5), power: Float64Array.of(1, 2) }` */
export interface Spectrum {
  /** Frequencies, 0 to fs / 2, in the unit of `fs`. */
  freqs: Float64Array;
  /** Power spectral density at each frequency (unit² / unit of fs). */
  power: Float64Array;
}

/**
 * scipy.signal.welch with its defaults: periodic Hann window of `segment` samples, half overlap,
 * per-segment mean removed, one-sided density, mean over segments.
 *
 * @internal
 * @example `welch(x, 100, 256)`
 */
export function welch(x: Float64Array, fs: number, segment: number): Spectrum {
  const window = Float64Array.from({ length: segment }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / segment));
  const step = segment - Math.floor(segment / 2);
  const count = Math.floor((x.length - segment) / step) + 1;
  const bins = Math.floor(segment / 2) + 1;
  const power = new Float64Array(bins);
  const re = new Float64Array(segment);
  const im = new Float64Array(segment);
  for (let s = 0; s < count; s++) {
    const start = s * step;
    let mean = 0;
    for (let i = 0; i < segment; i++) mean += x[start + i]!;
    mean /= segment;
    for (let i = 0; i < segment; i++) {
      re[i] = (x[start + i]! - mean) * window[i]!;
      im[i] = 0;
    }
    fft(re, im);
    for (let k = 0; k < bins; k++) power[k] = power[k]! + re[k]! * re[k]! + im[k]! * im[k]!;
  }
  let energy = 0;
  for (const w of window) energy += w * w;
  return finish(power, segment, fs, 1 / (fs * energy * count));
}

/**
 * scipy.signal.periodogram with its defaults: boxcar window, mean removed, one-sided density.
 *
 * @internal
 * @example `periodogram(x, 1)`
 */
export function periodogram(x: Float64Array, fs: number): Spectrum {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i]!;
  mean /= n;
  const re = Float64Array.from(x, (v) => v - mean);
  const im = new Float64Array(n);
  fft(re, im);
  const bins = Math.floor(n / 2) + 1;
  const power = Float64Array.from({ length: bins }, (_, k) => re[k]! * re[k]! + im[k]! * im[k]!);
  return finish(power, n, fs, 1 / (fs * n));
}

function finish(power: Float64Array, n: number, fs: number, scale: number): Spectrum {
  const bins = power.length;
  for (let k = 0; k < bins; k++) {
    const doubled = k > 0 && !(n % 2 === 0 && k === bins - 1);
    power[k] = power[k]! * scale * (doubled ? 2 : 1);
  }
  return { freqs: Float64Array.from({ length: bins }, (_, k) => (k * fs) / n), power };
}
