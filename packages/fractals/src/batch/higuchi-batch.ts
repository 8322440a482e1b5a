/**
 * Higuchi's fractal dimension of a batch of signals, as an ONNX graph or host loops.
 */
import { Backend, GraphBuilder, MechintError, Tensor, type ModelIR } from '@mechint/core';
import { linearFit, slopeWeights } from '../math/regression.js';
import { checkInteger } from '../math/signal.js';
import { higuchiCurveLengths, higuchiWeights } from '../temporal/higuchi.js';
import { checkBatch, row, useGraph, type BatchEngine } from './rows.js';

/** Options of {@link HiguchiFractalDimension}. @example `{ kMax: 10, engine: 'graph', backend }` */
export interface HiguchiBatchOptions {
  /** Largest interval k. Defaults to 10, as antropy. */
  kMax?: number;
  /** Where the kernel runs. Defaults to `'auto'`. */
  engine?: BatchEngine;
  /** Backend of the graph engine. Defaults to a CPU backend made on first use. */
  backend?: Backend;
}

/**
 * {@link higuchiFD} of every row of a `Tensor [batch, n]` — the same definition (antropy ≥ 0.2.1),
 * as one graph (per k one lag-k absolute difference and one weighted sum, then a fixed linear map
 * from ln L(k) to the slope) or as host loops.
 *
 * @see T. Higuchi, Physica D 31 (1988) 277–283; antropy.higuchi_fd
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { HiguchiFractalDimension, fgn } from '@mechint/fractals';
 * const x = Tensor.from(Float64Array.from([...fgn(1000, 0.5, { seed: 1 }), ...fgn(1000, 0.5, { seed: 2 })]), [2, 1000]);
 * const fd = await new HiguchiFractalDimension({ kMax: 10 }).compute(x); // Float64Array [≈ 2, ≈ 2]
 * ```
 */
export class HiguchiFractalDimension {
  /** The largest interval k. */
  readonly kMax: number;
  readonly #engine: BatchEngine;
  #backend: Backend | undefined;

  constructor(options: HiguchiBatchOptions = {}) {
    this.kMax = options.kMax ?? 10;
    checkInteger(this.kMax, 'HiguchiFractalDimension: kMax', 2);
    this.#engine = options.engine ?? 'auto';
    useGraph(this.#engine, undefined);
    this.#backend = options.backend;
  }

  /**
   * The fractal dimension of each row. Throws `SHAPE_MISMATCH` unless `x` is `[batch, n]`,
   * `DTYPE_MISMATCH` unless it is float32 / float64, `INVALID_ARGUMENT` for n ≤ 2·kMax, NaN /
   * Infinity, and a row whose curve length L(k) is 0 (e.g. a constant row).
   */
  async compute(x: Tensor): Promise<Float64Array> {
    const { batch, n, data } = checkBatch(x, 'HiguchiFractalDimension', 2 * this.kMax + 1);
    if (useGraph(this.#engine, this.#backend?.ep)) return this.#graph(x, batch, n);
    const logInvK = Float64Array.from({ length: this.kMax }, (_, i) => Math.log(1 / (i + 1)));
    return Float64Array.from({ length: batch }, (_, b) => {
      const lk = higuchiCurveLengths(row(data, n, b), this.kMax);
      return linearFit(logInvK, checkedLog(lk, b)).slope;
    });
  }

  async #graph(x: Tensor, batch: number, n: number): Promise<Float64Array> {
    this.#backend ??= await Backend.create({ ep: 'cpu' });
    const session = await this.#backend.session(() => higuchiGraph(n, this.kMax, x.dtype as 'float32' | 'float64'), { key: `fractals/higuchi/${n}/${this.kMax}/${x.dtype}` });
    const { fd, logL } = await session.run({ x });
    const logs = logL!.data as Float64Array;
    for (let b = 0; b < batch; b++) {
      for (let k = 0; k < this.kMax; k++) if (!Number.isFinite(logs[b * this.kMax + k]!)) throw zeroLength(b, k + 1);
    }
    return Float64Array.from(fd!.data as Float64Array);
  }
}

/**
 * The Higuchi graph: input `x [batch, n]`, outputs `fd [batch]` and `logL [batch, kMax]`.
 *
 * @internal
 * @example `higuchiGraph(1000, 10, 'float32')`
 */
export function higuchiGraph(n: number, kMax: number, dtype: 'float32' | 'float64'): ModelIR {
  const g = new GraphBuilder({ name: 'higuchi_fd' });
  const input = g.input('x', dtype, ['batch', n]);
  const x = dtype === 'float64' ? input : g.cast(input, 'float64');
  const lengths = [];
  for (let k = 1; k <= kMax; k++) {
    const ahead = g.slice(x, { starts: [k], ends: [n], axes: [1] });
    const behind = g.slice(x, { starts: [0], ends: [n - k], axes: [1] });
    const w = g.constant(Tensor.from(higuchiWeights(n, k), [n - k, 1]));
    lengths.push(g.matmul(g.abs(g.sub(ahead, behind)), w));
  }
  const logL = g.log(g.concat(lengths, 1));
  const c = Tensor.from(slopeWeights(Float64Array.from({ length: kMax }, (_, i) => Math.log(1 / (i + 1)))), [kMax, 1]);
  g.output(g.reshape(g.matmul(logL, g.constant(c)), [-1]), 'fd');
  g.output(logL, 'logL');
  return g.build();
}

function checkedLog(lk: Float64Array, b: number): Float64Array {
  return lk.map((l, i) => {
    if (!(l > 0)) throw zeroLength(b, i + 1);
    return Math.log(l);
  });
}

function zeroLength(b: number, k: number): MechintError {
  return new MechintError('INVALID_ARGUMENT', `HiguchiFractalDimension: signal ${b} has curve length L(${k}) = 0 (constant or periodic), so its dimension is undefined; remove that row.`);
}
