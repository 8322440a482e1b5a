/**
 * Spike-train analysis: firing rates, spike times and raster data, inter-spike-interval
 * distributions and their coefficient of variation, Fano factors and population synchrony.
 * Statistics use the population variance (`ddof = 0`), as Elephant does.
 */
import { MechintError, Tensor } from '@mechint/core';
import { requirePositive } from './validate.js';

/** Options of the spike-train functions: the time step of the recording, in ms. @example `{ dt: 0.1 }` */
export interface SpikeTrainOptions {
  /** Time step in ms. */
  dt: number;
}

interface Trains {
  data: ArrayLike<number>;
  steps: number;
  trains: number;
  shape: readonly number[];
}

function trains(spikes: Tensor): Trains {
  if (!(spikes instanceof Tensor) || (spikes.rank !== 2 && spikes.rank !== 3) || spikes.shape[0] === 0) {
    throw new MechintError('SHAPE_MISMATCH', `spikes must be a Tensor [T, n] or [T, batch, n] with T ≥ 1; got ${spikes instanceof Tensor ? `[${spikes.shape.join(', ')}]` : typeof spikes}.`);
  }
  if (spikes.dtype !== 'float32' && spikes.dtype !== 'float64') throw new MechintError('DTYPE_MISMATCH', `spikes must be float32 or float64 (0 / 1); got ${spikes.dtype}.`);
  const data = spikes.data as Float32Array | Float64Array;
  for (let i = 0; i < data.length; i++) {
    if (!(data[i]! >= 0)) throw new MechintError('INVALID_ARGUMENT', `spikes hold counts ≥ 0; got ${data[i]} at flat index ${i}.`);
  }
  const steps = spikes.shape[0]!;
  return { data, steps, trains: spikes.size / steps, shape: spikes.shape.slice(1) };
}

/**
 * Mean firing rate of each neuron in Hz: spike count / (T · dt).
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { firingRates } from '@mechint/spiking';
 * firingRates(Tensor.from([[1, 0], [0, 0], [1, 1], [0, 0]]), { dt: 1 }).toArray(); // [500, 250]
 * ```
 */
export function firingRates(spikes: Tensor, options: SpikeTrainOptions): Tensor<'float32'> {
  requirePositive(options.dt, 'dt');
  const { data, steps, trains: n, shape } = trains(spikes);
  const out = new Float32Array(n);
  for (let t = 0; t < steps; t++) for (let k = 0; k < n; k++) out[k]! += data[t * n + k]!;
  const seconds = (steps * options.dt) / 1000;
  for (let k = 0; k < n; k++) out[k]! /= seconds;
  return new Tensor('float32', out, shape);
}

/**
 * Spike times in ms (`step · dt`) of each train, in flat `[batch, n]` order.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { spikeTimes } from '@mechint/spiking';
 * spikeTimes(Tensor.from([[1], [0], [1]]), { dt: 0.5 }); // [Float64Array [0, 1]]
 * ```
 */
export function spikeTimes(spikes: Tensor, options: SpikeTrainOptions): Float64Array[] {
  requirePositive(options.dt, 'dt');
  const { data, steps, trains: n } = trains(spikes);
  const times: number[][] = Array.from({ length: n }, () => []);
  for (let t = 0; t < steps; t++) for (let k = 0; k < n; k++) if (data[t * n + k]! > 0) times[k]!.push(t * options.dt);
  return times.map((list) => Float64Array.from(list));
}

/** Raster data: one entry per spike, sorted by time. @example `const { times, neurons } = raster(spikes, { dt: 1 })` */
export interface Raster {
  /** Spike times (ms). */
  times: Float64Array;
  /** Index of the spiking train, in flat `[batch, n]` order. */
  neurons: Int32Array;
}

/**
 * Raster-plot data: the time and neuron of every spike.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { raster } from '@mechint/spiking';
 * raster(Tensor.from([[0, 1], [1, 1]]), { dt: 1 }); // times [0, 1, 1], neurons [1, 0, 1]
 * ```
 */
export function raster(spikes: Tensor, options: SpikeTrainOptions): Raster {
  requirePositive(options.dt, 'dt');
  const { data, steps, trains: n } = trains(spikes);
  const times: number[] = [];
  const neurons: number[] = [];
  for (let t = 0; t < steps; t++) {
    for (let k = 0; k < n; k++) {
      if (data[t * n + k]! > 0) {
        times.push(t * options.dt);
        neurons.push(k);
      }
    }
  }
  return { times: Float64Array.from(times), neurons: Int32Array.from(neurons) };
}

/**
 * The intervals between consecutive spike times.
 *
 * @example
 * ```ts
 * import { interSpikeIntervals } from '@mechint/spiking';
 * interSpikeIntervals([1, 3, 7]); // Float64Array [2, 4]
 * ```
 */
export function interSpikeIntervals(times: ArrayLike<number>): Float64Array {
  const out = new Float64Array(Math.max(0, times.length - 1));
  for (let i = 1; i < times.length; i++) {
    const d = times[i]! - times[i - 1]!;
    if (!(d >= 0)) throw new MechintError('INVALID_ARGUMENT', `Spike times must be sorted and finite; times[${i}] = ${times[i]} follows ${times[i - 1]}.`);
    out[i - 1] = d;
  }
  return out;
}

/**
 * Coefficient of variation of the inter-spike intervals, `std / mean` (population std): 0 for a
 * regular train, 1 for a Poisson process. `NaN` with fewer than two intervals.
 *
 * @see G. R. Holt et al., J. Neurophysiol. 75 (1996); Elephant `statistics.cv`.
 *
 * @example
 * ```ts
 * import { isiCV } from '@mechint/spiking';
 * isiCV([0, 2, 6]); // 1/3: intervals 2 and 4
 * ```
 */
export function isiCV(times: ArrayLike<number>): number {
  const isi = interSpikeIntervals(times);
  if (isi.length < 2) return Number.NaN;
  const mean = isi.reduce((a, b) => a + b, 0) / isi.length;
  const variance = isi.reduce((a, b) => a + (b - mean) ** 2, 0) / isi.length;
  return Math.sqrt(variance) / mean;
}

/** Options of {@link isiHistogram}. @example `{ binWidth: 1, maxInterval: 100 }` */
export interface IsiHistogramOptions {
  /** Bin width (ms). */
  binWidth: number;
  /** Upper edge of the last bin (ms); longer intervals are counted in `overflow`. */
  maxInterval: number;
}

/** An ISI histogram. @example `const { edges, counts } = isiHistogram(times, { binWidth: 1, maxInterval: 50 })` */
export interface IsiHistogram {
  /** `bins + 1` bin edges (ms), from 0. */
  edges: Float64Array;
  /** Intervals per bin `[edges[i], edges[i + 1])`. */
  counts: Int32Array;
  /** Intervals of `maxInterval` or longer. */
  overflow: number;
}

/**
 * The distribution of inter-spike intervals pooled over trains (each a sorted list of times).
 *
 * @example
 * ```ts
 * import { isiHistogram } from '@mechint/spiking';
 * isiHistogram([[0, 2, 6]], { binWidth: 2, maxInterval: 6 }).counts; // Int32Array [0, 1, 1]
 * ```
 */
export function isiHistogram(trainsTimes: readonly ArrayLike<number>[], options: IsiHistogramOptions): IsiHistogram {
  requirePositive(options.binWidth, 'binWidth');
  requirePositive(options.maxInterval, 'maxInterval');
  const bins = Math.ceil(options.maxInterval / options.binWidth);
  const counts = new Int32Array(bins);
  let overflow = 0;
  for (const times of trainsTimes) {
    for (const d of interSpikeIntervals(times)) {
      if (d >= options.maxInterval) overflow++;
      else counts[Math.floor(d / options.binWidth)]! += 1;
    }
  }
  return { edges: Float64Array.from({ length: bins + 1 }, (_, i) => i * options.binWidth), counts, overflow };
}

/** Options of {@link fanoFactor}. @example `{ dt: 1, window: 100 }` */
export interface FanoFactorOptions extends SpikeTrainOptions {
  /** Counting window (ms), a whole number of steps; trailing steps that fill no window are left out. */
  window: number;
}

/**
 * Fano factor of each neuron: variance / mean of its spike counts in consecutive windows
 * (population variance). `NaN` for a neuron that never spikes. Throws `INVALID_ARGUMENT` when the
 * recording holds fewer than two windows.
 *
 * @see U. Fano, Phys. Rev. 72 (1947); Elephant `statistics.fanofactor`.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { fanoFactor } from '@mechint/spiking';
 * fanoFactor(Tensor.from([[1], [1], [0], [0]]), { dt: 1, window: 2 }).toArray(); // [1]: counts 2, 0
 * ```
 */
export function fanoFactor(spikes: Tensor, options: FanoFactorOptions): Tensor<'float32'> {
  requirePositive(options.dt, 'dt');
  requirePositive(options.window, 'window');
  const { data, steps, trains: n, shape } = trains(spikes);
  const per = Math.round(options.window / options.dt);
  const windows = Math.floor(steps / per);
  if (per < 1 || windows < 2) throw new MechintError('INVALID_ARGUMENT', `fanoFactor needs at least two windows of ${options.window} ms in ${steps} steps of ${options.dt} ms; shorten the window.`);
  const sum = new Float64Array(n);
  const sumSq = new Float64Array(n);
  const count = new Float64Array(n);
  for (let w = 0; w < windows; w++) {
    count.fill(0);
    for (let t = w * per; t < (w + 1) * per; t++) for (let k = 0; k < n; k++) count[k]! += data[t * n + k]!;
    for (let k = 0; k < n; k++) {
      sum[k]! += count[k]!;
      sumSq[k]! += count[k]! ** 2;
    }
  }
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const mean = sum[k]! / windows;
    out[k] = mean === 0 ? Number.NaN : (sumSq[k]! / windows - mean * mean) / mean;
  }
  return new Tensor('float32', out, shape);
}

/**
 * Golomb's synchrony measure χ of `[T, n]` signals (voltages, or spike trains filtered or binned):
 * `χ² = var_t(mean_i x_i) / mean_i var_t(x_i)`; 1 for identical signals, about `1/√n` for
 * independent ones. Throws `INVALID_ARGUMENT` when every signal is constant.
 *
 * @see D. Golomb, "Neuronal synchrony measures", Scholarpedia 2(1):1347 (2007).
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { synchrony } from '@mechint/spiking';
 * synchrony(Tensor.from([[0, 0], [1, 1], [0, 0]])); // 1
 * ```
 */
export function synchrony(signals: Tensor): number {
  if (!(signals instanceof Tensor) || signals.rank !== 2 || signals.shape[0]! < 2) {
    throw new MechintError('SHAPE_MISMATCH', 'synchrony takes signals [T, n] with T ≥ 2.');
  }
  const [steps, n] = signals.shape as [number, number];
  const data = signals.data as ArrayLike<number>;
  const mean = new Float64Array(n);
  const pop = new Float64Array(steps);
  for (let t = 0; t < steps; t++) {
    for (let k = 0; k < n; k++) {
      const x = Number(data[t * n + k]);
      if (!Number.isFinite(x)) throw new MechintError('INVALID_ARGUMENT', `signals[${t}][${k}] is ${x}; synchrony needs finite values.`);
      mean[k]! += x / steps;
      pop[t]! += x / n;
    }
  }
  let individual = 0;
  for (let t = 0; t < steps; t++) for (let k = 0; k < n; k++) individual += (Number(data[t * n + k]) - mean[k]!) ** 2 / (steps * n);
  const popMean = pop.reduce((a, b) => a + b, 0) / steps;
  const popVar = pop.reduce((a, b) => a + (b - popMean) ** 2, 0) / steps;
  if (individual === 0) throw new MechintError('INVALID_ARGUMENT', 'Every signal is constant, so synchrony is undefined; pass signals that vary in time.');
  return Math.sqrt(popVar / individual);
}
