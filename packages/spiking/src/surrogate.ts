/**
 * Surrogate gradients for the spike nonlinearity: the forward pass is the Heaviside step
 * `H(x) = x > 0`, the backward pass the derivative of a smooth stand-in. Each surrogate comes as
 * plain functions and as graph emitters for the same three functions.
 */
import { MechintError, type GraphBuilder, type Value } from '@mechint/core';

/**
 * A spike nonlinearity with its surrogate: `spike` is the Heaviside step (`x > 0`, as snnTorch's
 * `(mem - threshold) > 0`), `smooth` the function whose derivative is the surrogate, and `grad`
 * that derivative. The `emit*` methods emit the same functions into a graph (float inputs).
 *
 * @example
 * ```ts
 * import { arctan } from '@mechint/spiking';
 * const s = arctan();
 * [s.spike(0.3), s.grad(0)]; // [1, 1]
 * ```
 */
export interface SurrogateGradient {
  /** The surrogate's name and parameter, e.g. `'arctan(alpha=2)'`. */
  readonly name: string;
  /** `H(x)`: 1 for `x > 0`, else 0. */
  spike(x: number): number;
  /** The smooth stand-in for `H`. */
  smooth(x: number): number;
  /** `d smooth / dx`, the gradient used in place of `H'`. */
  grad(x: number): number;
  /** `H(x)` in a graph, of `x`'s dtype. */
  emitSpike<D extends 'float32' | 'float64'>(g: GraphBuilder, x: Value<D>): Value<D>;
  /** `smooth(x)` in a graph. */
  emitSmooth<D extends 'float32' | 'float64'>(g: GraphBuilder, x: Value<D>): Value<D>;
  /** `grad(x)` in a graph. */
  emitGrad<D extends 'float32' | 'float64'>(g: GraphBuilder, x: Value<D>): Value<D>;
}

const heaviside = (x: number) => (x > 0 ? 1 : 0);

function emitHeaviside<D extends 'float32' | 'float64'>(g: GraphBuilder, x: Value<D>): Value<D> {
  return g.cast(g.greater(x, 0), x.dtype);
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new MechintError('INVALID_ARGUMENT', `${name} must be a finite number > 0; got ${value}.`);
  return value;
}

/** Options of {@link fastSigmoid}. @example `{ slope: 25 }` */
export interface FastSigmoidOptions {
  /** Steepness `k`. Defaults to 25 (snnTorch `surrogate.fast_sigmoid`; Norse's SuperSpike uses 100). */
  slope?: number;
}

/**
 * The fast sigmoid (SuperSpike) surrogate: `grad(x) = 1 / (1 + k|x|)²`, the derivative of
 * `smooth(x) = x / (1 + k|x|)`, as snnTorch's `fast_sigmoid` (which leaves out the `k` that would
 * normalise the area).
 *
 * @see F. Zenke & S. Ganguli, "SuperSpike", Neural Comput. 30 (2018); snnTorch `surrogate.fast_sigmoid`.
 *
 * @example
 * ```ts
 * import { fastSigmoid } from '@mechint/spiking';
 * fastSigmoid({ slope: 25 }).grad(0.04); // 0.25 = 1 / (1 + 25 · 0.04)²
 * ```
 */
export function fastSigmoid(options: FastSigmoidOptions = {}): SurrogateGradient {
  const k = positive(options.slope ?? 25, 'slope');
  return {
    name: `fastSigmoid(slope=${k})`,
    spike: heaviside,
    smooth: (x) => x / (1 + k * Math.abs(x)),
    grad: (x) => 1 / (1 + k * Math.abs(x)) ** 2,
    emitSpike: emitHeaviside,
    emitSmooth: (g, x) => g.div(x, g.add(g.mul(g.abs(x), k), 1)),
    emitGrad: (g, x) => {
      const d = g.add(g.mul(g.abs(x), k), 1);
      return g.reciprocal(g.mul(d, d));
    },
  };
}

/** Options of {@link arctan}. @example `{ alpha: 2 }` */
export interface ArctanOptions {
  /** Steepness `α`. Defaults to 2 (snnTorch `surrogate.atan`, the default surrogate of its neurons). */
  alpha?: number;
}

/**
 * The arctangent surrogate: `smooth(x) = atan(π α x / 2) / π + 1/2`,
 * `grad(x) = (α / 2) / (1 + (π α x / 2)²)`, as snnTorch's `atan`.
 *
 * @see W. Fang et al., "Incorporating learnable membrane time constant…", ICCV (2021); snnTorch `surrogate.atan`.
 *
 * @example
 * ```ts
 * import { arctan } from '@mechint/spiking';
 * arctan().grad(0); // 1 = α / 2
 * ```
 */
export function arctan(options: ArctanOptions = {}): SurrogateGradient {
  const alpha = positive(options.alpha ?? 2, 'alpha');
  const c = (Math.PI / 2) * alpha;
  return {
    name: `arctan(alpha=${alpha})`,
    spike: heaviside,
    smooth: (x) => Math.atan(c * x) / Math.PI + 0.5,
    grad: (x) => alpha / 2 / (1 + (c * x) ** 2),
    emitSpike: emitHeaviside,
    emitSmooth: (g, x) => g.add(g.div(g.op('Atan', [g.mul(x, c)]) as typeof x, Math.PI), 0.5),
    emitGrad: (g, x) => {
      const y = g.mul(x, c);
      return g.div(alpha / 2, g.add(g.mul(y, y), 1));
    },
  };
}

/** Options of {@link sigmoid}. @example `{ slope: 25 }` */
export interface SigmoidOptions {
  /** Steepness `k`. Defaults to 25 (snnTorch `surrogate.sigmoid`). */
  slope?: number;
}

/**
 * The logistic surrogate: `smooth(x) = σ(k x)`, `grad(x) = k σ(k x)(1 − σ(k x))`, as snnTorch's `sigmoid`.
 *
 * @see snnTorch `surrogate.sigmoid`; E. O. Neftci, H. Mostafa & F. Zenke, IEEE Signal Process. Mag. 36 (2019).
 *
 * @example
 * ```ts
 * import { sigmoid } from '@mechint/spiking';
 * sigmoid().grad(0); // 6.25 = 25 / 4
 * ```
 */
export function sigmoid(options: SigmoidOptions = {}): SurrogateGradient {
  const k = positive(options.slope ?? 25, 'slope');
  const logistic = (x: number) => 1 / (1 + Math.exp(-k * x));
  return {
    name: `sigmoid(slope=${k})`,
    spike: heaviside,
    smooth: logistic,
    grad: (x) => k * logistic(x) * (1 - logistic(x)),
    emitSpike: emitHeaviside,
    emitSmooth: (g, x) => g.sigmoid(g.mul(x, k)),
    emitGrad: (g, x) => {
      const s = g.sigmoid(g.mul(x, k));
      return g.mul(g.mul(s, g.sub(1, s)), k);
    },
  };
}

/**
 * The straight-through estimator: the backward pass treats the step as the identity,
 * `smooth(x) = x`, `grad(x) = 1`, as snnTorch's `straight_through_estimator`.
 *
 * @see Y. Bengio, N. Léonard & A. Courville, arXiv:1308.3432 (2013); snnTorch `surrogate.straight_through_estimator`.
 *
 * @example
 * ```ts
 * import { straightThrough } from '@mechint/spiking';
 * straightThrough().grad(-3); // 1
 * ```
 */
export function straightThrough(): SurrogateGradient {
  return {
    name: 'straightThrough',
    spike: heaviside,
    smooth: (x) => x,
    grad: () => 1,
    emitSpike: emitHeaviside,
    emitSmooth: (g, x) => g.identity(x),
    emitGrad: (g, x) => g.add(g.mul(x, 0), 1),
  };
}

/** Options of {@link triangular}. @example `{ width: 1 }` */
export interface TriangularOptions {
  /** Half-width `w` of the triangle. Defaults to 1 (Bellec et al. 2018 with a dampening of 1; snnTorch `triangular` uses the threshold, 1 by default). */
  width?: number;
}

/**
 * The triangular (piecewise-linear) surrogate: `grad(x) = max(0, 1 − |x| / w) / w`, the
 * derivative of the piecewise-quadratic `smooth` rising from 0 at `−w` to 1 at `w`.
 *
 * @see G. Bellec et al., "Long short-term memory and learning-to-learn in networks of spiking neurons", NeurIPS (2018).
 *
 * @example
 * ```ts
 * import { triangular } from '@mechint/spiking';
 * triangular().grad(0.5); // 0.5
 * ```
 */
export function triangular(options: TriangularOptions = {}): SurrogateGradient {
  const w = positive(options.width ?? 1, 'width');
  const smooth = (x: number) => {
    const z = Math.min(Math.max(x / w, -1), 1);
    return z <= 0 ? (1 + z) ** 2 / 2 : 1 - (1 - z) ** 2 / 2;
  };
  return {
    name: `triangular(width=${w})`,
    spike: heaviside,
    smooth,
    grad: (x) => Math.max(0, 1 - Math.abs(x) / w) / w,
    emitSpike: emitHeaviside,
    emitSmooth: (g, x) => {
      const z = g.clip(g.div(x, w), { min: -1, max: 1 });
      const low = g.div(g.mul(g.add(z, 1), g.add(z, 1)), 2);
      const high = g.sub(1, g.div(g.mul(g.sub(1, z), g.sub(1, z)), 2));
      return g.where(g.lessOrEqual(z, 0), low, high);
    },
    emitGrad: (g, x) => g.div(g.relu(g.sub(1, g.div(g.abs(x), w))), w),
  };
}
