/**
 * Detrended fluctuation analysis of a batch of signals, as an ONNX graph or host loops.
 */
import { Backend, GraphBuilder, Tensor, type ModelIR } from '@mechint/core';
import { polynomialBasis, profile } from '../math/detrend.js';
import type { FitMethod } from '../math/regression.js';
import { checkInteger } from '../math/signal.js';
import { defaultScales, dfaFluctuations, fitNonZero } from '../temporal/dfa.js';
import { checkScales } from '../temporal/scales.js';
import { checkBatch, row, useGraph, type BatchEngine } from './rows.js';

/** Options of {@link DFA}. @example `{ order: 1, overlap: true, engine: 'host' }` */
export interface DfaBatchOptions {
  /** Degree of the detrending polynomial. Defaults to 1, as nolds. */
  order?: number;
  /** Window sizes. Defaults to nolds's `logarithmic_n(4, 0.1 · N, 1.2)`. */
  scales?: readonly number[];
  /** Half-overlapping windows, as nolds's default. Defaults to true. */
  overlap?: boolean;
  /** Fit of ln F(n) against ln n (on the host, for both engines). Defaults to `'least-squares'`. */
  fit?: FitMethod;
  /** Seed of the RANSAC fit. Defaults to 0. */
  seed?: number;
  /** Where the kernel runs. Defaults to `'auto'`. */
  engine?: BatchEngine;
  /** Backend of the graph engine. Defaults to a CPU backend made on first use. */
  backend?: Backend;
}

/** Result of {@link DFA.compute}. @example `{ alpha: Float64Array [batch], scales: [4, 5], fluctuations: Tensor [batch, scales] }` */
export interface DfaBatchResult {
  /** α of each row. */
  alpha: Float64Array;
  /** Intercept of each row's log-log line. */
  intercept: Float64Array;
  /** The window sizes. */
  scales: number[];
  /** F(n): `[batch, scales]`, float64. */
  fluctuations: Tensor<'float64'>;
}

/**
 * {@link dfa} of every row of a `Tensor [batch, n]` — the same definition (nolds ≥ 0.6) — as one
 * graph (profile by `CumSum`, windows by `Gather`, detrending as a projection on an orthonormal
 * polynomial basis by two `MatMul`s, F(n) by `ReduceMean` and `Sqrt`, α as a fixed linear map of
 * ln F(n)) or as host loops.
 *
 * @see C.-K. Peng et al., Phys. Rev. E 49 (1994) 1685; nolds.dfa
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { DFA, fgn } from '@mechint/fractals';
 * const x = Tensor.from(Float64Array.from([...fgn(2000, 0.3, { seed: 1 }), ...fgn(2000, 0.8, { seed: 2 })]), [2, 2000]);
 * const { alpha } = await new DFA().compute(x); // ≈ [0.3, 0.8]
 * ```
 */
export class DFA {
  /** Degree of the detrending polynomial. */
  readonly order: number;
  /** Whether windows overlap by half. */
  readonly overlap: boolean;
  readonly #options: DfaBatchOptions;
  #backend: Backend | undefined;

  constructor(options: DfaBatchOptions = {}) {
    this.order = options.order ?? 1;
    checkInteger(this.order, 'DFA: order', 0, 10);
    this.overlap = options.overlap ?? true;
    useGraph(options.engine ?? 'auto', undefined);
    this.#options = options;
    this.#backend = options.backend;
  }

  /**
   * α, intercepts and F(n) of each row. Throws `SHAPE_MISMATCH` unless `x` is `[batch, n]`,
   * `DTYPE_MISMATCH` unless float32 / float64, `INVALID_ARGUMENT` for NaN / Infinity, n ≤ 70 without
   * explicit scales and scales outside [order + 2, n). A row with F(n) = 0 at every scale gets NaN.
   */
  async compute(x: Tensor): Promise<DfaBatchResult> {
    const { batch, n, data } = checkBatch(x, 'DFA', this.#options.scales === undefined ? 71 : this.order + 3);
    const scales =
      this.#options.scales === undefined
        ? defaultScales(n, this.order)
        : checkScales(this.#options.scales, 'DFA', this.order + 2, this.overlap ? n - 1 : n, 'each window needs ≥ order + 2 samples and fewer than n');
    const alpha = new Float64Array(batch);
    const intercept = new Float64Array(batch);
    let fluctuations: Float64Array;
    if (useGraph(this.#options.engine ?? 'auto', this.#backend?.ep)) {
      this.#backend ??= await Backend.create({ ep: 'cpu' });
      const key = `fractals/dfa/${n}/${this.order}/${this.overlap}/${scales.join(',')}/${x.dtype}`;
      const session = await this.#backend.session(() => dfaGraph(n, scales, this.order, this.overlap, x.dtype as 'float32' | 'float64'), { key });
      const out = await session.run({ x });
      fluctuations = out['fluctuations']!.data as Float64Array;
    } else {
      fluctuations = new Float64Array(batch * scales.length);
      for (let b = 0; b < batch; b++) fluctuations.set(dfaFluctuations(profile(row(data, n, b)), scales, this.order, this.overlap), b * scales.length);
    }
    for (let b = 0; b < batch; b++) {
      const line = fitNonZero(scales, fluctuations.subarray(b * scales.length, (b + 1) * scales.length), this.#options.fit ?? 'least-squares', this.#options.seed ?? 0);
      alpha[b] = line.slope;
      intercept[b] = line.intercept;
    }
    return { alpha, intercept, scales, fluctuations: new Tensor('float64', fluctuations, [batch, scales.length]) };
  }
}

/**
 * The DFA graph: input `x [batch, n]`, output `fluctuations [batch, scales]` (float64).
 *
 * @internal
 * @example `dfaGraph(1000, [4, 8, 16], 1, true, 'float32')`
 */
export function dfaGraph(n: number, scales: readonly number[], order: number, overlap: boolean, dtype: 'float32' | 'float64'): ModelIR {
  const g = new GraphBuilder({ name: 'dfa' });
  const input = g.input('x', dtype, ['batch', n]);
  const x = dtype === 'float64' ? input : g.cast(input, 'float64');
  const y = g.cumSum(g.sub(x, g.reduceMean(x, { axes: [1] })), 1);
  const columns = scales.map((s) => {
    const step = overlap ? Math.floor(s / 2) : s;
    const starts: number[] = [];
    for (let start = 0; start < (overlap ? n - s : n - s + 1); start += step) starts.push(start);
    const index = Tensor.from(BigInt64Array.from(starts.flatMap((start) => Array.from({ length: s }, (_, t) => BigInt(start + t)))), [starts.length, s]);
    const windows = g.gather(y, index, { axis: 1 });
    const basis = polynomialBasis(s, order);
    const q = new Float64Array(s * (order + 1));
    basis.forEach((b, p) => b.forEach((v, t) => (q[t * (order + 1) + p] = v)));
    const qT = Float64Array.from({ length: q.length }, (_, i) => basis[Math.floor(i / s)]![i % s]!);
    const fit = g.matmul(g.matmul(windows, g.constant(Tensor.from(q, [s, order + 1]))), g.constant(Tensor.from(qT, [order + 1, s])));
    const r = g.sub(windows, fit);
    return g.sqrt(g.reduceMean(g.mul(r, r), { axes: [1, 2], keepdims: false }));
  });
  const f = g.concat(columns.map((c) => g.unsqueeze(c, [1])), 1);
  g.output(f, 'fluctuations');
  return g.build();
}

