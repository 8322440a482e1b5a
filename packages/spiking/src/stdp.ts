/**
 * Spike-timing-dependent plasticity with traces: the pair rule (all-to-all) and the triplet rule
 * of Pfister & Gerstner (2006).
 */
import { MechintError, Tensor } from '@mechint/core';
import { timeMajor, type TimeMajor } from './signal.js';
import { requireFinite, requireNonNegative, requirePositive } from './validate.js';

/** Options of {@link PairSTDP}; defaults are Brian2's STDP example with `wmax = 1`. @example `{ aPlus: 0.01, aMinus: 0.0105, tauPlus: 20, tauMinus: 20 }` */
export interface PairSTDPOptions {
  /** Potentiation amplitude (pre before post). Defaults to 0.01 (Brian2 `Apre`). */
  aPlus?: number;
  /** Depression amplitude (post before pre), positive. Defaults to 0.0105 (Brian2 `-Apost = 1.05 · Apre · taupre / taupost`). */
  aMinus?: number;
  /** Potentiation window (ms). Defaults to 20 (Brian2 `taupre`). */
  tauPlus?: number;
  /** Depression window (ms). Defaults to 20 (Brian2 `taupost`). */
  tauMinus?: number;
  /** Lower weight bound. Defaults to 0. */
  wMin?: number;
  /** Upper weight bound. Defaults to 1 (Brian2 `wmax`, scaled). */
  wMax?: number;
}

/** Options of the `run` method of {@link PairSTDP} and {@link TripletSTDP}. @example `{ dt: 0.1, weights: Tensor.zeros([nPost, nPre]) }` */
export interface PlasticityRunOptions {
  /** Time step in ms. */
  dt: number;
  /** Initial weights `[nPost, nPre]`. */
  weights: Tensor;
}

/** What a plasticity run returns. @example `const { weights } = stdp.run(pre, post, { dt: 1, weights: w0 })` */
export interface PlasticityRun {
  /** Weights `[nPost, nPre]` after the last step. */
  weights: Tensor<'float32'>;
}

interface Inputs {
  pre: TimeMajor;
  post: TimeMajor;
  w: Float64Array;
  nPre: number;
  nPost: number;
}

function inputs(pre: Tensor, post: Tensor, options: PlasticityRunOptions): Inputs {
  requirePositive(options.dt, 'dt');
  const w0 = options.weights;
  if (!(w0 instanceof Tensor) || w0.rank !== 2) throw new MechintError('SHAPE_MISMATCH', 'weights must be a matrix Tensor [nPost, nPre].');
  const [nPost, nPre] = w0.shape as [number, number];
  const preView = timeMajor(pre, 'pre', nPre);
  const postView = timeMajor(post, 'post', nPost);
  if (preView.shape.length !== 2 || postView.shape.length !== 2 || preView.steps !== postView.steps) {
    throw new MechintError('SHAPE_MISMATCH', `pre [T, ${nPre}] and post [T, ${nPost}] must be unbatched spike trains of the same length; got [${preView.shape.join(', ')}] and [${postView.shape.join(', ')}].`);
  }
  const w = Float64Array.from(w0.data as ArrayLike<number>, Number);
  for (const x of w) requireFinite(x, 'weights');
  return { pre: preView, post: postView, w, nPre, nPost };
}

/**
 * Pair-based STDP, all-to-all: a presynaptic trace `x` (jump 1, decay `τ+`) and a postsynaptic
 * trace `y` (jump 1, decay `τ−`). Each step the traces decay exactly; then each presynaptic spike
 * depresses its synapses by `aMinus · y`, and each postsynaptic spike potentiates by
 * `aPlus · x` (a presynaptic spike in the same step counts, as Δt = 0); weights are clipped to
 * `[wMin, wMax]` after each update. A single pair at `Δt = t_post − t_pre` changes the weight by
 * `aPlus e^{−Δt/τ+}` (Δt ≥ 0) or `−aMinus e^{Δt/τ−}` (Δt < 0).
 *
 * @see G.-q. Bi & M.-m. Poo, J. Neurosci. 18 (1998); S. Song, K. D. Miller & L. F. Abbott,
 * Nat. Neurosci. 3 (2000); Brian2 `examples/synapses/STDP.py`.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { PairSTDP } from '@mechint/spiking';
 * const pre = Tensor.from([[1], [0], [0], [0], [0], [0]]);
 * const post = Tensor.from([[0], [0], [0], [0], [0], [1]]);
 * const { weights } = new PairSTDP().run(pre, post, { dt: 1, weights: Tensor.from([[0.5]]) });
 * weights.get(0, 0); // ≈ 0.5 + 0.01 · e^{−5/20}
 * ```
 */
export class PairSTDP {
  /** Parameters in use. */
  readonly parameters: Readonly<Required<PairSTDPOptions>>;

  constructor(options: PairSTDPOptions = {}) {
    this.parameters = {
      aPlus: options.aPlus ?? 0.01,
      aMinus: options.aMinus ?? 0.0105,
      tauPlus: options.tauPlus ?? 20,
      tauMinus: options.tauMinus ?? 20,
      wMin: options.wMin ?? 0,
      wMax: options.wMax ?? 1,
    };
    const p = this.parameters;
    requireNonNegative(p.aPlus, 'aPlus');
    requireNonNegative(p.aMinus, 'aMinus');
    requirePositive(p.tauPlus, 'tauPlus');
    requirePositive(p.tauMinus, 'tauMinus');
    checkBounds(p.wMin, p.wMax);
  }

  /**
   * Applies the rule to spike trains `pre` `[T, nPre]` and `post` `[T, nPost]` from `weights`.
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * import { PairSTDP } from '@mechint/spiking';
   * new PairSTDP().run(Tensor.zeros([10, 2]), Tensor.zeros([10, 1]), { dt: 1, weights: Tensor.from([[0.2, 0.3]]) }).weights.toArray(); // ≈ [[0.2, 0.3]]
   * ```
   */
  run(pre: Tensor, post: Tensor, options: PlasticityRunOptions): PlasticityRun {
    const { aPlus, aMinus, tauPlus, tauMinus, wMin, wMax } = this.parameters;
    const { pre: x, post: y, w, nPre, nPost } = inputs(pre, post, options);
    const dPlus = Math.exp(-options.dt / tauPlus);
    const dMinus = Math.exp(-options.dt / tauMinus);
    const preTrace = new Float64Array(nPre);
    const postTrace = new Float64Array(nPost);
    for (let t = 0; t < x.steps; t++) {
      for (let j = 0; j < nPre; j++) preTrace[j]! *= dPlus;
      for (let i = 0; i < nPost; i++) postTrace[i]! *= dMinus;
      for (let j = 0; j < nPre; j++) {
        const s = x.data[t * nPre + j]!;
        if (s === 0) continue;
        for (let i = 0; i < nPost; i++) w[i * nPre + j] = clip(w[i * nPre + j]! - s * aMinus * postTrace[i]!, wMin, wMax);
        preTrace[j]! += s;
      }
      for (let i = 0; i < nPost; i++) {
        const s = y.data[t * nPost + i]!;
        if (s === 0) continue;
        for (let j = 0; j < nPre; j++) w[i * nPre + j] = clip(w[i * nPre + j]! + s * aPlus * preTrace[j]!, wMin, wMax);
        postTrace[i]! += s;
      }
    }
    return { weights: new Tensor('float32', Float32Array.from(w), [nPost, nPre]) };
  }
}

/** Options of {@link TripletSTDP}; defaults are the visual-cortex all-to-all fit of Pfister & Gerstner (2006), Table 4. @example `{ a3Plus: 6.2e-3 }` */
export interface TripletSTDPOptions {
  /** Pair potentiation amplitude. Defaults to 5e-10. */
  a2Plus?: number;
  /** Triplet potentiation amplitude. Defaults to 6.2e-3. */
  a3Plus?: number;
  /** Pair depression amplitude. Defaults to 7e-3. */
  a2Minus?: number;
  /** Triplet depression amplitude. Defaults to 2.3e-4. */
  a3Minus?: number;
  /** Fast presynaptic trace `r1` (ms). Defaults to 16.8. */
  tauPlus?: number;
  /** Slow presynaptic trace `r2` (ms). Defaults to 101. */
  tauX?: number;
  /** Fast postsynaptic trace `o1` (ms). Defaults to 33.7. */
  tauMinus?: number;
  /** Slow postsynaptic trace `o2` (ms). Defaults to 125. */
  tauY?: number;
  /** Lower weight bound. Defaults to 0. */
  wMin?: number;
  /** Upper weight bound. Defaults to `Infinity` (the paper's rule is unbounded). */
  wMax?: number;
}

/**
 * Triplet STDP (all-to-all traces): at a presynaptic spike `w ← w − o1 (A2− + A3− r2)`, then
 * `r1, r2 ← r1 + 1, r2 + 1`; at a postsynaptic spike `w ← w + r1 (A2+ + A3+ o2)`, then
 * `o1, o2 ← o1 + 1, o2 + 1` (each trace read before its own spike's jump). Same step order as
 * {@link PairSTDP}. With `A3± = 0` it is the pair rule.
 *
 * @see J.-P. Pfister & W. Gerstner, "Triplets of spikes in a model of spike timing-dependent
 * plasticity", J. Neurosci. 26 (2006) 9673–9682.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { TripletSTDP } from '@mechint/spiking';
 * const stdp = new TripletSTDP();
 * const pre = Tensor.from([[0], [1], [0]]);
 * const post = Tensor.from([[1], [0], [1]]);
 * const { weights } = stdp.run(pre, post, { dt: 5, weights: Tensor.from([[1]]) });
 * ```
 */
export class TripletSTDP {
  /** Parameters in use. */
  readonly parameters: Readonly<Required<TripletSTDPOptions>>;

  constructor(options: TripletSTDPOptions = {}) {
    this.parameters = {
      a2Plus: options.a2Plus ?? 5e-10,
      a3Plus: options.a3Plus ?? 6.2e-3,
      a2Minus: options.a2Minus ?? 7e-3,
      a3Minus: options.a3Minus ?? 2.3e-4,
      tauPlus: options.tauPlus ?? 16.8,
      tauX: options.tauX ?? 101,
      tauMinus: options.tauMinus ?? 33.7,
      tauY: options.tauY ?? 125,
      wMin: options.wMin ?? 0,
      wMax: options.wMax ?? Infinity,
    };
    const p = this.parameters;
    for (const key of ['a2Plus', 'a3Plus', 'a2Minus', 'a3Minus'] as const) requireNonNegative(p[key], key);
    for (const key of ['tauPlus', 'tauX', 'tauMinus', 'tauY'] as const) requirePositive(p[key], key);
    checkBounds(p.wMin, p.wMax);
  }

  /**
   * Applies the rule to spike trains `pre` `[T, nPre]` and `post` `[T, nPost]` from `weights`.
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * import { TripletSTDP } from '@mechint/spiking';
   * new TripletSTDP().run(Tensor.zeros([5, 1]), Tensor.zeros([5, 1]), { dt: 1, weights: Tensor.from([[1]]) }).weights.toArray(); // [[1]]
   * ```
   */
  run(pre: Tensor, post: Tensor, options: PlasticityRunOptions): PlasticityRun {
    const p = this.parameters;
    const { pre: x, post: y, w, nPre, nPost } = inputs(pre, post, options);
    const decay = (tau: number) => Math.exp(-options.dt / tau);
    const [d1, dx, dm, dy] = [decay(p.tauPlus), decay(p.tauX), decay(p.tauMinus), decay(p.tauY)];
    const r1 = new Float64Array(nPre);
    const r2 = new Float64Array(nPre);
    const o1 = new Float64Array(nPost);
    const o2 = new Float64Array(nPost);
    for (let t = 0; t < x.steps; t++) {
      for (let j = 0; j < nPre; j++) {
        r1[j]! *= d1;
        r2[j]! *= dx;
      }
      for (let i = 0; i < nPost; i++) {
        o1[i]! *= dm;
        o2[i]! *= dy;
      }
      for (let j = 0; j < nPre; j++) {
        const s = x.data[t * nPre + j]!;
        if (s === 0) continue;
        for (let i = 0; i < nPost; i++) w[i * nPre + j] = clip(w[i * nPre + j]! - s * o1[i]! * (p.a2Minus + p.a3Minus * r2[j]!), p.wMin, p.wMax);
        r1[j]! += s;
        r2[j]! += s;
      }
      for (let i = 0; i < nPost; i++) {
        const s = y.data[t * nPost + i]!;
        if (s === 0) continue;
        for (let j = 0; j < nPre; j++) w[i * nPre + j] = clip(w[i * nPre + j]! + s * r1[j]! * (p.a2Plus + p.a3Plus * o2[i]!), p.wMin, p.wMax);
        o1[i]! += s;
        o2[i]! += s;
      }
    }
    return { weights: new Tensor('float32', Float32Array.from(w), [nPost, nPre]) };
  }
}

function clip(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

function checkBounds(wMin: number, wMax: number): void {
  if (Number.isNaN(wMin) || Number.isNaN(wMax) || !(wMin < wMax)) {
    throw new MechintError('INVALID_ARGUMENT', `Weight bounds need wMin < wMax; got wMin = ${wMin}, wMax = ${wMax}.`);
  }
}
