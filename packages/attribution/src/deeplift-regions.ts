/**
 * Elementwise nonlinearities for DeepLIFT, found as regions of the graph rather than as single
 * operators: exporters write GELU as `0.5·x·(1 + erf(x/√2))` (or its tanh approximation), SiLU as
 * `x·sigmoid(x)`, Mish as `x·tanh(softplus(x))` — chains of elementwise nodes with scalar constants
 * whose only data input is one value `x`. The whole chain `y = f(x)` gets one rescale multiplier
 * `Δy / Δx`, so a product such as `x·Φ(x)` is not split into two data-dependent factors (which
 * would break summation-to-delta).
 *
 * How: for every such `y` read outside its chain, the model gets a marker node
 * `y = Where(true, y_chain, x)` — the same value, but a node that sees both `x` and `y` — and the
 * marker's backward rule (a node override) sends `g · Δy/Δx` straight to `x`. Where `|Δx| < 1e-10`
 * (Captum's eps) the marker passes `g` back into the chain instead, whose ordinary rules give
 * Captum's fallback, the gradient.
 */
import { HookedModel, Tensor, tensorToProto, type GradContext, type GradRule, type Graph, type ModelIR, type onnx } from '@mechint/core';

/** Captum's threshold below which `Δx` counts as zero and the gradient is used. */
export const DEEPLIFT_EPS = 1e-10;

/** Elementwise operators that are nonlinear in their data input. */
const NONLINEAR = new Set([
  'Relu', 'Sigmoid', 'Tanh', 'Elu', 'Selu', 'Celu', 'Softplus', 'Softsign', 'LeakyRelu', 'PRelu', 'ThresholdedRelu', 'Gelu', 'Erf',
  'HardSigmoid', 'HardSwish', 'Mish', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Abs', 'Clip', 'Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan',
  'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh', 'Pow',
]);

/** Elementwise operators that are linear (with scalar constants), or products / quotients. */
const ARITHMETIC = new Set(['Identity', 'Neg', 'Add', 'Sub', 'Mul', 'Div']);

/** The top-level graph's values computed from its feeds, not through shapes. */
function dataValues(graph: Graph, order: readonly onnx.NodeProto[]): Set<string> {
  const data = new Set(graph.feedNames);
  for (const node of order) {
    if (node.opType === 'Shape' || node.opType === 'Size' || node.opType === 'ConstantOfShape') continue;
    if (node.input.some((i) => data.has(i))) for (const o of node.output) if (o !== '') data.add(o);
  }
  return data;
}

/** Whether `name` is a constant: an initializer or a `Constant` node's output — of one element unless `anySize`. */
function isConstant(graph: Graph, name: string, anySize: boolean): boolean {
  const init = graph.initializer(name);
  const value = graph.producerOf(name)?.opType === 'Constant' ? graph.producerOf(name)!.attribute : undefined;
  if (init === undefined && value === undefined) return false;
  if (anySize) return true;
  const tensor = init ?? value!.find((a) => a.name === 'value')?.t;
  if (tensor === undefined) return value!.some((a) => a.name === 'value_float');
  return tensor.dims.reduce((a, b) => a * b, 1n) === 1n && tensor.dims.length <= 1;
}

/** A chain's output that DeepLIFT treats as one nonlinearity `y = f(x)`. */
export interface ElementwiseRegion {
  /** The chain's data input. */
  readonly x: string;
  /** Its output, read outside the chain. */
  readonly y: string;
}

/**
 * The outputs of elementwise chains (one data input `x`, scalar constants otherwise, at least one
 * nonlinear operator) that are read outside their chain or are graph outputs, with their `x`; and
 * the chain root of every chained value.
 */
export function elementwiseRegions(graph: Graph): { regions: ElementwiseRegion[]; root: ReadonlyMap<string, string> } {
  const order = graph.topologicalOrder();
  const data = dataValues(graph, order);
  const root = new Map<string, string>();
  const nonlinear = new Set<string>();
  for (const node of order) {
    if (node.domain !== '' || node.output.length !== 1 || !(NONLINEAR.has(node.opType) || ARITHMETIC.has(node.opType))) continue;
    const inputs = node.input.filter((i, k) => i !== '' && !isConstant(graph, i, node.opType === 'PRelu' && k === 1));
    const roots = [...new Set(inputs.map((i) => root.get(i) ?? i))];
    if (roots.length !== 1 || !data.has(roots[0]!) || (node.opType === 'PRelu' && inputs.length !== 1)) continue;
    const out = node.output[0]!;
    root.set(out, roots[0]!);
    const product = (node.opType === 'Mul' && inputs.length === 2) || (node.opType === 'Div' && inputs.includes(node.input[1]!));
    if (NONLINEAR.has(node.opType) || product || inputs.some((i) => nonlinear.has(i))) nonlinear.add(out);
  }
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const regions = [...nonlinear]
    .filter((y) => outputs.has(y) || graph.consumersOf(y).some((c) => root.get(c.output[0] ?? '') !== root.get(y)))
    .map((y) => ({ x: root.get(y)!, y }));
  return { regions, root };
}

/** The two halves `[x; x′]` of a batch, along axis 0. */
export function halves(ctx: GradContext, x: string): [string, string] {
  const attrs = ctx.opset >= 18 ? { axis: 0n, num_outputs: 2n } : { axis: 0n };
  const [a, b] = ctx.ops('Split', [x], attrs, 2);
  return [a!, b!];
}

/**
 * `Δy / Δx` for both halves of the batch, and where `|Δx| < eps` (as a boolean mask), from the
 * values `x` and `y` of the batch `[inputs; references]`.
 */
export function secant(ctx: GradContext, x: string, y: string): { ratio: string; small: string } {
  const [xi, xr] = halves(ctx, x);
  const [yi, yr] = halves(ctx, y);
  const dx = ctx.op('Sub', [xi, xr]);
  const dy = ctx.op('Sub', [yi, yr]);
  const dx2 = ctx.op('Concat', [dx, dx], { axis: 0n });
  const dy2 = ctx.op('Concat', [dy, dy], { axis: 0n });
  const small = ctx.op('Less', [ctx.op('Abs', [dx2]), ctx.scalar(DEEPLIFT_EPS, x)]);
  const safe = ctx.op('Where', [small, ctx.scalar(1, x), dx2]);
  return { ratio: ctx.op('Div', [dy2, safe]), small };
}

/** The marker's rule: `g · Δy/Δx` to `x`; where `|Δx| < eps`, `g` back into the chain (its gradient). */
const marker: GradRule = (ctx) => {
  const g = ctx.grad(0);
  if (g === undefined) return [undefined, undefined, undefined];
  const { ratio, small } = secant(ctx, ctx.input(2), ctx.input(1));
  const zero = ctx.scalar(0, g);
  return [undefined, ctx.op('Where', [small, g, zero]), ctx.op('Where', [small, zero, ctx.op('Mul', [g, ratio])])];
};

/** A model prepared for DeepLIFT: the marked variant (or the model itself) and the markers' rules. */
export interface DeepLiftModel {
  /** The model with a marker after every region (the model itself when it has none). */
  readonly model: HookedModel;
  /** The markers' backward rules, by node name, for `runWithGrad`'s `nodeOverrides`. */
  readonly nodeOverrides: Readonly<Record<string, GradRule>>;
  /** The regions found. */
  readonly regions: readonly ElementwiseRegion[];
}

/** `model` with a marker node after every elementwise region (see the module comment). */
export function markRegions(ir: ModelIR): { model: ModelIR; nodes: string[]; regions: ElementwiseRegion[] } {
  const model = ir.clone();
  const graph = model.graph;
  const { regions, root } = elementwiseRegions(graph);
  if (regions.length === 0) return { model, nodes: [], regions };
  const yes = graph.uniqueName('__mechint_deeplift_true');
  graph.addInitializer(tensorToProto(yes, Tensor.from([true], [], 'bool')));
  const nodes = regions.map(({ x, y }) => {
    const inner = graph.uniqueName(`${y}__deeplift_chain`);
    const producer = graph.producerOf(y)!;
    const chain = graph.consumersOf(y).filter((c) => root.get(c.output[0] ?? '') === x);
    producer.output[producer.output.indexOf(y)] = inner;
    for (const c of chain) c.input.forEach((v, k) => v === y && (c.input[k] = inner));
    graph.invalidate();
    return graph.addNode({ opType: 'Where', inputs: [yes, inner, x], outputs: [y], name: graph.uniqueName(`${y}__deeplift_marker`) }).name;
  });
  return { model, nodes, regions };
}

const prepared = new WeakMap<HookedModel, Promise<DeepLiftModel>>();

/** The DeepLIFT variant of `model`, built once per model (sessions are cached on it). */
export function deepLiftModel(model: HookedModel): Promise<DeepLiftModel> {
  let p = prepared.get(model);
  if (p === undefined) {
    p = (async () => {
      const { model: marked, nodes, regions } = markRegions(model.model);
      if (nodes.length === 0) return { model, nodeOverrides: {}, regions };
      const hooked = await HookedModel.load(marked, { backend: model.backend, validate: false });
      return { model: hooked, nodeOverrides: Object.fromEntries(nodes.map((n) => [n, marker])), regions };
    })();
    prepared.set(model, p);
  }
  return p;
}
