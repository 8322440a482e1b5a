/**
 * Surrogate gradients for the spike nonlinearity: the forward pass is the Heaviside step
 * `H(x) = x > 0`, the backward pass the derivative of a smooth stand-in. Each surrogate comes as
 * plain functions, as graph emitters for the same three functions, and as a backward rule for
 * core's `gradients`.
 */
import { MechintError, type GradContext, type GradRule, type GraphBuilder, type ModelIR, type Value } from '@mechint/core';

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
  /**
   * The backward rule of a spike's `Greater(a, b)` node (the Heaviside step `H(a − b)` that
   * `emitSpike` writes), for `gradients`' `nodeOverrides`: `∂/∂a = grad(a − b) · ḡ`,
   * `∂/∂b = −grad(a − b) · ḡ`, where `ḡ` is the gradient of the spike (the `Cast` to float that
   * follows passes it on unchanged). {@link surrogateOverrides} attaches it to every spike of a model.
   *
   * @example
   * ```ts
   * import { gradients } from '@mechint/core';
   * import { fastSigmoid } from '@mechint/spiking';
   * // model: a graph whose spike is Cast(Greater(v, 0)) from a Greater node named 'greater_0'
   * const { grads } = gradients(model, { of: 'loss', wrt: ['v'], nodeOverrides: { greater_0: fastSigmoid().gradRule() } });
   * ```
   */
  gradRule(): GradRule;
}

const heaviside = (x: number) => (x > 0 ? 1 : 0);

function emitHeaviside<D extends 'float32' | 'float64'>(g: GraphBuilder, x: Value<D>): Value<D> {
  return g.cast(g.greater(x, 0), x.dtype);
}

/** `grad(x)` written with a backward pass's helpers; `c(v)` is a constant of `x`'s element type. */
type Derivative = (ctx: GradContext, x: string, c: (value: number) => string) => string;

/** The `Greater(a, b)` rule for a surrogate whose derivative is `derivative` (1 when omitted). */
function surrogateRule(derivative?: Derivative): () => GradRule {
  return () => (ctx) => {
    const upstream = ctx.grad(0);
    if (upstream === undefined) return [undefined, undefined];
    const [a, b] = [ctx.input(0), ctx.input(1)];
    const local = derivative === undefined ? upstream : ctx.op('Mul', [upstream, derivative(ctx, ctx.op('Sub', [a, b]), (value) => ctx.scalar(value, a))]);
    return [ctx.needs(0) ? ctx.reduceLike(local, a) : undefined, ctx.needs(1) ? ctx.reduceLike(ctx.op('Neg', [local]), b) : undefined];
  };
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
    gradRule: surrogateRule((ctx, x, c) => {
      const d = ctx.op('Add', [ctx.op('Mul', [ctx.op('Abs', [x]), c(k)]), c(1)]);
      return ctx.op('Reciprocal', [ctx.op('Mul', [d, d])]);
    }),
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
    gradRule: surrogateRule((ctx, x, constant) => {
      const y = ctx.op('Mul', [x, constant(c)]);
      return ctx.op('Div', [constant(alpha / 2), ctx.op('Add', [ctx.op('Mul', [y, y]), constant(1)])]);
    }),
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
    gradRule: surrogateRule((ctx, x, c) => {
      const s = ctx.op('Sigmoid', [ctx.op('Mul', [x, c(k)])]);
      return ctx.op('Mul', [ctx.op('Mul', [s, ctx.op('Sub', [c(1), s])]), c(k)]);
    }),
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
    gradRule: surrogateRule(),
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
    gradRule: surrogateRule((ctx, x, c) => ctx.op('Div', [ctx.op('Relu', [ctx.op('Sub', [c(1), ctx.op('Div', [ctx.op('Abs', [x]), c(w)])])]), c(w)])),
  };
}

const FLOAT_ELEM_TYPES = new Set([1, 11]); // float32, float64

/** The `Greater` node of a Heaviside step `Cast(Greater(a, b), float)` whose spike is `value`, if it is one. */
function heavisideComparison(graph: ModelIR['graph'], value: string): string | undefined {
  const cast = graph.producerOf(value);
  const to = cast?.opType === 'Cast' ? cast.attribute.find((a) => a.name === 'to')?.i : undefined;
  if (cast === undefined || to === undefined || !FLOAT_ELEM_TYPES.has(Number(to))) return undefined;
  const comparison = graph.producerOf(cast.input[0] ?? '');
  return comparison?.opType === 'Greater' && (comparison.domain === '' || comparison.domain === 'ai.onnx') && comparison.name !== '' ? comparison.name : undefined;
}

/**
 * The `nodeOverrides` of `gradients` that give the spikes of `model` the surrogate gradient of
 * `surrogate`: one {@link SurrogateGradient.gradRule} per Heaviside step `Cast(Greater(a, b))`, keyed
 * by the `Greater` node's name. The forward pass stays the exact step. `spikes` names the spike
 * values (e.g. `emitLeaky`'s `spikeSteps`); without it every `Cast(Greater(…))` to float in the
 * model is taken as a spike (what `buildSpikingLayer`, `emitLeaky` and `emitSpike` write). Throws
 * `INVALID_ARGUMENT` when a named value is not such a step, or when the model has none.
 *
 * @example
 * ```ts
 * import { Backend, Tensor, gradients } from '@mechint/core';
 * import { buildSpikingLayer, fastSigmoid, surrogateOverrides } from '@mechint/spiking';
 * const model = buildSpikingLayer({ steps: 3, weights: Tensor.from([[1.2]]), beta: 0.5 });
 * const nodeOverrides = surrogateOverrides(model, fastSigmoid());
 * const { model: withGrads, grads } = gradients(model, { of: 'spikes', wrt: ['weight'], nodeOverrides });
 * const session = await (await Backend.create({ ep: 'cpu' })).session(withGrads);
 * const out = await session.run({ x: Tensor.from([[[1]], [[1]], [[1]]]) });
 * out[grads['weight']!]!.toArray(); // d(total spike count) / d weight, through the surrogate
 * ```
 */
export function surrogateOverrides(model: ModelIR, surrogate: SurrogateGradient, spikes?: readonly (Value | string)[]): Record<string, GradRule> {
  const graph = model.graph;
  const rule = surrogate.gradRule();
  const overrides: Record<string, GradRule> = {};
  if (spikes === undefined) {
    for (const node of graph.nodes) {
      const comparison = node.opType === 'Cast' ? heavisideComparison(graph, node.output[0] ?? '') : undefined;
      if (comparison !== undefined) overrides[comparison] = rule;
    }
    if (Object.keys(overrides).length === 0) {
      throw new MechintError('INVALID_ARGUMENT', 'surrogateOverrides found no spike (a Cast to float of a named Greater node) in this model; build it with emitLeaky / buildSpikingLayer / emitSpike, or name the spike values.');
    }
    return overrides;
  }
  for (const spike of spikes) {
    const name = typeof spike === 'string' ? spike : spike.name;
    const comparison = heavisideComparison(graph, name);
    if (comparison === undefined) {
      throw new MechintError('INVALID_ARGUMENT', `'${name}' is not a spike: surrogateOverrides needs the output of a Heaviside step Cast(Greater(a, b)) to float, as emitSpike writes.`, { details: { name } });
    }
    overrides[comparison] = rule;
  }
  return overrides;
}
