/**
 * `FractalProbe`: fractal measures of chosen hook points, tracked over repeated runs or training
 * steps with bounded memory.
 */
import { MechintError, type HookedModel, type Tensor } from '@mechint/core';
import { checkInteger } from '../math/signal.js';
import { dfa, type DfaOptions } from '../temporal/dfa.js';
import { higuchiFD } from '../temporal/higuchi.js';
import { spectralSlope, type SpectralSlopeOptions } from '../temporal/spectral-slope.js';
import { RunningSeries, type RunningSummary } from './running-stats.js';

/** A measure the probe tracks: Higuchi FD, DFA α or spectral β. @example `['higuchi', 'beta']` */
export type FractalMetric = 'higuchi' | 'dfa' | 'beta';

/** Options of {@link FractalProbe}. @example `{ hooks: ['blocks.0.hook_resid_post'], axis: 1, capacity: 500 }` */
export interface FractalProbeOptions {
  /** Hook-point names (or, with `observe`, any names) to track. */
  hooks: readonly string[];
  /** Measures to compute. Defaults to all three. */
  metrics?: readonly FractalMetric[];
  /**
   * The axis of an activation along which a signal runs (e.g. 1, positions, for `[batch, pos, d]`);
   * every other index gives one signal. Defaults to −1, the last axis.
   */
  axis?: number;
  /** Latest steps kept per hook and measure (older ones only count in the summary). Defaults to 256. */
  capacity?: number;
  /** Higuchi's kMax. Defaults to 10, as antropy. */
  kMax?: number;
  /** Options of {@link dfa}. Defaults to nolds's. */
  dfa?: DfaOptions;
  /** Options of {@link spectralSlope}. Defaults to scipy's Welch. */
  spectral?: SpectralSlopeOptions;
}

/** One observation: each measure averaged over the activation's signals. @example `{ step: 3, higuchi: 1.9, dfa: 0.6, beta: 0.2, signals: 64, skipped: 0 }` */
export interface FractalObservation {
  /** The step it was recorded at (counted by `step`, or given to `observe`). */
  step: number;
  /** Higuchi fractal dimension, when tracked. */
  higuchi?: number;
  /** DFA exponent α, when tracked. */
  dfa?: number;
  /** Spectral exponent β, when tracked. */
  beta?: number;
  /** Signals measured. */
  signals: number;
  /** Signals left out because a measure is undefined for them (e.g. constant, as a dead unit's). */
  skipped: number;
}

/**
 * Tracks the Higuchi FD, DFA α and spectral β of chosen hook points over repeated runs or training
 * steps. Each activation is cut into signals along `axis`; each measure is averaged over the
 * signals where it is defined (constant signals — dead units — are skipped and counted). Memory is
 * bounded: per hook and measure, the last `capacity` values and a running mean / standard deviation
 * (Welford) over all steps.
 *
 * @see nolds, antropy, scipy.signal for the definitions of the measures (see {@link higuchiFD}, {@link dfa}, {@link spectralSlope}).
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { FractalProbe, fgn } from '@mechint/fractals';
 * const probe = new FractalProbe({ hooks: ['layer1'], metrics: ['higuchi', 'dfa'] });
 * for (let step = 0; step < 3; step++) {
 *   probe.observe('layer1', Tensor.from(fgn(512, 0.7, { seed: step }), [1, 512]));
 * }
 * probe.summary('layer1').dfa?.mean; // ≈ 0.7
 * ```
 */
export class FractalProbe {
  /** Tracked hooks. */
  readonly hooks: readonly string[];
  /** Tracked measures. */
  readonly metrics: readonly FractalMetric[];
  readonly #options: FractalProbeOptions;
  readonly #series = new Map<string, Map<FractalMetric, RunningSeries>>();
  #step = 0;

  /** Throws `INVALID_ARGUMENT` for no hooks, an unknown measure, or a capacity below 1. */
  constructor(options: FractalProbeOptions) {
    if (!Array.isArray(options?.hooks) || options.hooks.length === 0) {
      throw new MechintError('INVALID_ARGUMENT', 'FractalProbe: name at least one hook, e.g. { hooks: ["blocks.0.hook_resid_post"] }.');
    }
    this.metrics = options.metrics ?? ['higuchi', 'dfa', 'beta'];
    for (const m of this.metrics) {
      if (m !== 'higuchi' && m !== 'dfa' && m !== 'beta') throw new MechintError('INVALID_ARGUMENT', `FractalProbe: unknown metric '${String(m)}'; use 'higuchi', 'dfa' or 'beta'.`);
    }
    const capacity = options.capacity ?? 256;
    checkInteger(capacity, 'FractalProbe: capacity', 1);
    checkInteger(options.axis ?? -1, 'FractalProbe: axis', Number.MIN_SAFE_INTEGER);
    this.hooks = [...options.hooks];
    this.#options = options;
    for (const hook of this.hooks) this.#series.set(hook, new Map(this.metrics.map((m) => [m, new RunningSeries(capacity)])));
  }

  /**
   * Runs `model` on `feeds`, caching the probe's hooks, records one observation per hook, and
   * returns the model's outputs. Throws `UNKNOWN_HOOK` (from the model) for a hook it lacks.
   */
  async step(model: HookedModel, feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    const { outputs, cache } = await model.runWithCache(feeds, { hooks: [...this.hooks] });
    const step = this.#step;
    for (const hook of this.hooks) this.record(hook, cache.get(hook), step);
    this.#step++;
    return outputs;
  }

  /**
   * Records an activation of `hook` computed elsewhere (e.g. in a training loop) at `step`
   * (default: one past the last step). Throws `INVALID_ARGUMENT` for an untracked hook, an axis
   * the activation lacks, and signals too short for a measure.
   */
  observe(hook: string, activation: Tensor, step?: number): FractalObservation {
    const at = step ?? this.#step;
    const observation = this.record(hook, activation, at);
    this.#step = Math.max(this.#step, at + 1);
    return observation;
  }

  /** The retained history of `hook`: steps and each measure's values, oldest first. */
  history(hook: string): Partial<Record<FractalMetric, { steps: number[]; values: number[] }>> {
    const series = this.seriesOf(hook);
    return Object.fromEntries([...series].map(([m, s]) => [m, s.history()]));
  }

  /** Count, mean and standard deviation of each measure of `hook` over every step. */
  summary(hook: string): Partial<Record<FractalMetric, RunningSummary>> {
    const series = this.seriesOf(hook);
    return Object.fromEntries([...series].map(([m, s]) => [m, s.summary()]));
  }

  private record(hook: string, activation: Tensor, step: number): FractalObservation {
    const series = this.seriesOf(hook);
    const signals = signalsAlong(activation, this.#options.axis ?? -1, hook);
    const sums = new Map<FractalMetric, { total: number; count: number }>(this.metrics.map((m) => [m, { total: 0, count: 0 }]));
    let skipped = 0;
    for (const signal of signals) {
      if (isConstant(signal)) {
        skipped++;
        continue;
      }
      for (const metric of this.metrics) {
        const value = this.measure(metric, signal);
        if (Number.isFinite(value)) {
          const s = sums.get(metric)!;
          s.total += value;
          s.count++;
        }
      }
    }
    const observation: FractalObservation = { step, signals: signals.length - skipped, skipped };
    for (const [metric, { total, count }] of sums) {
      if (count === 0) continue;
      const mean = total / count;
      observation[metric] = mean;
      series.get(metric)!.push(step, mean);
    }
    return observation;
  }

  private measure(metric: FractalMetric, signal: Float64Array): number {
    if (metric === 'higuchi') return higuchiFD(signal, { kMax: this.#options.kMax ?? 10 });
    if (metric === 'dfa') return dfa(signal, this.#options.dfa ?? {}).alpha;
    return spectralSlope(signal, this.#options.spectral ?? {}).beta;
  }

  private seriesOf(hook: string): Map<FractalMetric, RunningSeries> {
    const series = this.#series.get(hook);
    if (series === undefined) throw new MechintError('INVALID_ARGUMENT', `FractalProbe does not track '${hook}'; tracked: ${this.hooks.join(', ')}.`);
    return series;
  }
}

function isConstant(x: Float64Array): boolean {
  for (let i = 1; i < x.length; i++) if (x[i] !== x[0]) return false;
  return true;
}

/** The 1-D signals of `t` along `axis` (every other index fixed), as Float64Arrays. */
function signalsAlong(t: Tensor, axis: number, hook: string): Float64Array[] {
  if (t.dtype !== 'float32' && t.dtype !== 'float64' && t.dtype !== 'float16') {
    throw new MechintError('DTYPE_MISMATCH', `FractalProbe: '${hook}' is ${t.dtype}; fractal measures need a float activation.`);
  }
  const rank = t.rank;
  const a = axis < 0 ? axis + rank : axis;
  if (rank === 0 || a < 0 || a >= rank) throw new MechintError('INVALID_ARGUMENT', `FractalProbe: axis ${axis} does not exist in '${hook}' of shape [${t.shape.join(', ')}].`);
  const data = t.dtype === 'float16' ? Float64Array.from(t.clone('float32').data as Float32Array) : (t.data as Float32Array | Float64Array);
  const n = t.shape[a]!;
  const inner = t.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const outer = t.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const out: Float64Array[] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const s = new Float64Array(n);
      for (let k = 0; k < n; k++) s[k] = data[(o * n + k) * inner + i]!;
      out.push(s);
    }
  }
  return out;
}
