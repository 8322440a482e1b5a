/**
 * Gradient checking: the analytic gradients of `gradients(...)` against central finite
 * differences of the same graph, run through one cached onnxruntime session.
 */
import { Backend, GraphBuilder, Tensor, gradients, type GradRule, type Value } from '../../src/index.node.js';
import { mulberry32 } from './random.js';

let backend: Promise<Backend> | undefined;

/** Name of the checked graph's output (inputs may be called anything else). */
const OUTPUT = 'gradcheck_output';

/**
 * The shared CPU backend of gradient checks (sessions are cached per model object). One intra-op
 * thread: onnxruntime's spinning thread pool makes thousands of tiny runs several times slower on
 * a busy machine.
 */
export function cpuBackend(): Promise<Backend> {
  backend ??= Backend.create({ ep: 'cpu', intraOpNumThreads: 1 });
  return backend;
}

/** A gradient check of a tiny graph. */
export interface GradCheck {
  /** Graph inputs by name; their dtypes and shapes declare the inputs. */
  inputs: Readonly<Record<string, Tensor>>;
  /** Builds the graph from its declared inputs and returns the value to differentiate. */
  build: (g: GraphBuilder, x: Readonly<Record<string, Value>>) => Value;
  /** Inputs to differentiate with respect to. Defaults to every float input. */
  wrt?: readonly string[];
  /** The builder's opset. Defaults to 17. */
  opset?: number;
  /** Finite-difference step. Defaults to 1e-6 (float64); float32 checks need a larger one. */
  h?: number;
  /** Relative tolerance. Defaults to 1e-6. */
  rtol?: number;
  /** Absolute tolerance. Defaults to 1e-8. */
  atol?: number;
  /** Rules replacing the registered ones for this check. */
  overrides?: Readonly<Record<string, GradRule>>;
  /** Seed of the random weights R of the loss L = Σ y ⊙ R. Defaults to 99. */
  seed?: number;
  /** The built value's static shape, passed to `gradients` as `shapes` (lets rules skip broadcast reductions). */
  outputShape?: readonly number[];
}

/** One element whose analytic gradient disagrees with the finite difference. */
export interface GradMismatch {
  input: string;
  element: number;
  analytic: number;
  numeric: number;
}

/**
 * Compares, for every element of every `wrt` input, the analytic gradient of L = Σ y ⊙ R (R fixed
 * and random, fed as the seed of `gradients(..., { seed: 'input' })`) with the central difference
 * (L(x + h eᵢ) − L(x − h eᵢ)) / 2h, and returns the elements that differ by more than
 * `atol + rtol·|numeric|` (empty when the rule is right). Also checks each gradient's shape.
 *
 * @example
 * ```ts
 * const bad = await gradientMismatches({ inputs: { x }, build: (g, { x }) => g.op('Tanh', [x!]) });
 * expect(bad).toEqual([]);
 * ```
 */
export async function gradientMismatches(check: GradCheck): Promise<GradMismatch[]> {
  const g = new GraphBuilder({ opset: check.opset ?? 17 });
  const values = Object.fromEntries(Object.entries(check.inputs).map(([name, t]) => [name, g.input(name, t.dtype, t.shape)]));
  const built = check.build(g, values);
  g.output(built, OUTPUT);
  const model = g.build();
  const wrt = check.wrt ?? Object.keys(check.inputs).filter((name) => isFloat(check.inputs[name]!));
  const { model: withGrads, grads, seedInput } = gradients(model, {
    of: OUTPUT,
    wrt,
    seed: 'input',
    ...(check.overrides === undefined ? {} : { overrides: check.overrides }),
    ...(check.outputShape === undefined ? {} : { shapes: new Map([[built.name, check.outputShape]]) }),
  });

  const cpu = await cpuBackend();
  const forward = await cpu.session(model);
  const y = (await forward.run(check.inputs))[OUTPUT]!;
  const rng = mulberry32(check.seed ?? 99);
  const weights = Float64Array.from({ length: y.size }, () => 2 * rng() - 1);
  const seed = Tensor.from(y.dtype === 'float64' ? weights : Float32Array.from(weights), y.shape);
  const analytic = await (await cpu.session(withGrads)).run({ ...check.inputs, [seedInput!]: seed });

  const loss = async (feeds: Record<string, Tensor>) => {
    const out = (await forward.run(feeds))[OUTPUT]!;
    let sum = 0;
    for (let i = 0; i < out.size; i++) sum += Number(out.data[i]) * weights[i]!;
    return sum;
  };
  const h = check.h ?? 1e-6;
  const rtol = check.rtol ?? 1e-6;
  const atol = check.atol ?? 1e-8;
  const bad: GradMismatch[] = [];
  for (const name of wrt) {
    const x = check.inputs[name]!;
    const grad = analytic[grads[name]!]!;
    expect({ input: name, shape: grad.shape }).toEqual({ input: name, shape: x.shape });
    for (let i = 0; i < x.size; i++) {
      const up = x.data.slice() as Float64Array | Float32Array;
      const down = x.data.slice() as Float64Array | Float32Array;
      up[i] = up[i]! + h;
      down[i] = down[i]! - h;
      const feeds = (data: Float64Array | Float32Array) => ({ ...check.inputs, [name]: new Tensor(x.dtype, data, x.shape) });
      // The step actually taken (float32 rounds x ± h).
      const numeric = ((await loss(feeds(up))) - (await loss(feeds(down)))) / (up[i]! - down[i]!);
      const value = Number(grad.data[i]);
      if (!(Math.abs(value - numeric) <= atol + rtol * Math.abs(numeric))) bad.push({ input: name, element: i, analytic: value, numeric });
    }
  }
  return bad;
}

/** Asserts that {@link gradientMismatches} finds none. */
export async function expectGradientsMatch(check: GradCheck): Promise<void> {
  expect(await gradientMismatches(check)).toEqual([]);
}

/** Options of {@link TestData.uniform}. */
export interface UniformOptions {
  /** Points to keep every element away from (kinks such as 0 for Relu, or clip bounds). */
  avoid?: readonly number[];
  /** No two elements closer than `margin` (no ties for max-like operators). */
  distinct?: boolean;
  /** The distance kept from `avoid` and, with `distinct`, between elements. Defaults to 0.02. */
  margin?: number;
}

/** Seeded test tensors. */
export interface TestData {
  /** A float tensor (float64 by default) with entries uniform in [lo, hi), away from kinks and ties on request. */
  uniform(shape: readonly number[], lo?: number, hi?: number, options?: UniformOptions & { dtype?: 'float64' | 'float32' }): Tensor;
}

/**
 * Seeded random tensors for gradient checks; the same seed gives the same numbers everywhere.
 *
 * @example
 * ```ts
 * const data = testData(1);
 * const x = data.uniform([2, 3], -1, 1, { avoid: [0] }); // float64, |x| ≥ 0.02
 * ```
 */
export function testData(seed: number): TestData {
  const rng = mulberry32(seed);
  return {
    uniform(shape, lo = -1, hi = 1, options = {}) {
      const size = shape.reduce((a, b) => a * b, 1);
      const margin = options.margin ?? 0.02;
      const values: number[] = [];
      while (values.length < size) {
        const v = lo + (hi - lo) * rng();
        if ((options.avoid ?? []).some((k) => Math.abs(v - k) < margin)) continue;
        if (options.distinct === true && values.some((u) => Math.abs(v - u) < margin)) continue;
        values.push(options.dtype === 'float32' ? Math.fround(v) : v);
      }
      return options.dtype === 'float32' ? Tensor.from(Float32Array.from(values), shape) : Tensor.from(Float64Array.from(values), shape);
    },
  };
}

function isFloat(t: Tensor): boolean {
  return t.dtype === 'float64' || t.dtype === 'float32' || t.dtype === 'float16';
}
