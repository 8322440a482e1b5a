/**
 * A regulariser pulling the Higuchi fractal dimension of activations towards a target.
 */
import type { GraphBuilder, Tensor, Value } from '@mechint/core';
import { slopeWeights } from '../math/regression.js';
import { checkInteger, checkNumber, type Signal } from '../math/signal.js';
import { higuchiFD, higuchiWeights } from '../temporal/higuchi.js';
import { constantLike, hostSignals, signalLength } from './prior-input.js';

/** Options of {@link HiguchiPrior}. @example `{ targetFD: 1.5, weight: 0.1 }` */
export interface HiguchiPriorOptions {
  /** The fractal dimension to pull towards (between 1 and 2). */
  targetFD: number;
  /** Multiplier of the loss. Defaults to 1. */
  weight?: number;
  /** Largest interval k. Defaults to 10, as antropy. */
  kMax?: number;
}

/**
 * A fractal-dimension prior: the loss `weight · mean_b (FD_b − targetFD)²` with FD the Higuchi
 * fractal dimension of each signal (row), exactly {@link higuchiFD}'s definition (antropy ≥ 0.2.1).
 * `loss(g, x)` builds it with the core `GraphBuilder` from standard ops (`Slice`, `Sub`, `Abs`,
 * `MatMul`, `Concat`, `Log`), so core's `gradients` differentiates it with the rest of the graph
 * (`Abs` takes the subgradient 0 at 0); `evaluate(x)` computes the same loss on the host.
 *
 * @see T. Higuchi, Physica D 31 (1988) 277–283.
 * @example
 * ```ts
 * import { HiguchiPrior, fgn } from '@mechint/fractals';
 * new HiguchiPrior({ targetFD: 1.5 }).evaluate(fgn(512, 0.5, { seed: 1 })); // ≈ (2 − 1.5)²
 * ```
 */
export class HiguchiPrior {
  /** The target dimension. */
  readonly targetFD: number;
  /** The loss multiplier. */
  readonly weight: number;
  /** The largest interval k. */
  readonly kMax: number;

  /** Throws `INVALID_ARGUMENT` for a non-finite target or weight, or kMax < 2. */
  constructor(options: HiguchiPriorOptions) {
    checkNumber(options?.targetFD, 'HiguchiPrior: targetFD');
    this.targetFD = options.targetFD;
    this.weight = options.weight ?? 1;
    checkNumber(this.weight, 'HiguchiPrior: weight');
    this.kMax = options.kMax ?? 10;
    checkInteger(this.kMax, 'HiguchiPrior: kMax', 2);
  }

  /** The loss subgraph on `x` (`[batch, n]` or `[n]`, float32 / float64, n > 2·kMax): a scalar of x's dtype. */
  loss(g: GraphBuilder, x: Value): Value {
    const n = signalLength(x, 'HiguchiPrior');
    checkInteger(n, 'HiguchiPrior: the signal length', 2 * this.kMax + 1, Number.MAX_SAFE_INTEGER, `Use kMax < n / 2.`);
    const lengths = [];
    for (let k = 1; k <= this.kMax; k++) {
      const ahead = g.slice(x, { starts: [k], ends: [n], axes: [-1] });
      const behind = g.slice(x, { starts: [0], ends: [n - k], axes: [-1] });
      lengths.push(g.matmul(g.abs(g.sub(ahead, behind)), g.constant(constantLike(x, higuchiWeights(n, k), [n - k, 1]))));
    }
    const logL = g.log(g.concat(lengths, -1));
    const c = slopeWeights(Float64Array.from({ length: this.kMax }, (_, i) => Math.log(1 / (i + 1))));
    const fd = g.matmul(logL, g.constant(constantLike(x, c, [this.kMax])));
    const diff = g.sub(fd, g.constant(constantLike(x, Float64Array.of(this.targetFD), [])));
    return g.mul(g.reduceMean(g.mul(diff, diff), { keepdims: false }), g.constant(constantLike(x, Float64Array.of(this.weight), [])));
  }

  /** The same loss on the host: one signal, several, or a Tensor `[batch, n]`. */
  evaluate(x: Signal | readonly Signal[] | Tensor): number {
    const signals = hostSignals(x, 'HiguchiPrior', 2 * this.kMax + 1);
    let total = 0;
    for (const s of signals) total += (higuchiFD(s, { kMax: this.kMax }) - this.targetFD) ** 2;
    return (this.weight * total) / signals.length;
  }
}
