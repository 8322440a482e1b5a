/**
 * Unrolling of the recurrent operators RNN, GRU and LSTM into the primitive operators their ONNX
 * definitions are written in, for sequences of a fixed length — what lets gradients flow through them.
 *
 * @see https://onnx.ai/onnx/operators/onnx__GRU.html (and `onnx__LSTM`, `onnx__RNN`)
 */
import { create } from '@bufbuild/protobuf';
import { MechintError } from '../errors.js';
import { ValueInfoProtoSchema, type NodeProto, type ValueInfoProto } from '../onnx/gen/onnx_pb.js';
import type { Graph } from '../onnx/graph.js';
import type { ModelIR } from '../onnx/model.js';
import { describeTensorType, tensorType, type Dim } from '../onnx/types.js';
import { Tensor } from '../tensor/tensor.js';
import type { Attributes } from '../builder/attributes.js';
import { Splicer } from '../hooks/splicer.js';

/** Gates per cell and default activations (one direction), as the ONNX spec defines them. */
const CELLS = {
  RNN: { gates: 1, activations: ['Tanh'] },
  GRU: { gates: 3, activations: ['Sigmoid', 'Tanh'] },
  LSTM: { gates: 4, activations: ['Sigmoid', 'Tanh', 'Tanh'] },
} as const;

type CellType = keyof typeof CELLS;

/** Directions by `direction` attribute, as booleans "runs backwards in time". */
const DIRECTIONS: Readonly<Record<string, readonly boolean[]>> = { forward: [false], reverse: [true], bidirectional: [false, true] };

/** Activations the unrolled graph can express with one differentiable operator each. */
const ACTIVATIONS = new Map(['Sigmoid', 'Tanh', 'Relu'].map((a) => [a.toLowerCase(), a]));

/**
 * Whether `node` is an RNN, GRU or LSTM of the default ONNX domain — a node {@link unrollRecurrent} replaces.
 *
 * @example
 * ```ts
 * import type { ModelIR } from '@mechint/core';
 * declare const model: ModelIR;
 * const recurrent = model.graph.nodes.filter(isRecurrent); // nodes that gradients must unroll
 * ```
 */
export function isRecurrent(node: NodeProto): boolean {
  return (node.domain === '' || node.domain === 'ai.onnx') && node.opType in CELLS;
}

/** What an RNN / GRU / LSTM node computes, read from its inputs and attributes. */
interface Cell {
  node: NodeProto;
  type: CellType;
  hidden: number;
  /** One entry per direction: whether it runs backwards in time. */
  directions: readonly boolean[];
  /** Operator names of the activations, one list per direction. */
  activations: string[][];
  layout: number;
  linearBeforeReset: boolean;
}

/**
 * A copy of `model` in which every RNN, GRU and LSTM node of the main graph is replaced by the
 * primitive operators of its ONNX definition — MatMul with the transposed `W` and `R`, Add of the
 * biases, Split into gates, Sigmoid / Tanh, Mul, Sub, Concat — step by step over exactly `steps`
 * time steps, in every direction and layout. The node's outputs (`Y`, `Y_h`, `Y_c`) keep their
 * names, so the rest of the graph is unchanged, and the new values get `value_info` shapes. Every
 * operator used has a gradient rule. The unrolled model only runs on sequences of length `steps`.
 * Throws `INVALID_ARGUMENT` unless `steps` is a positive integer, and `UNSUPPORTED_OP` (naming the
 * node) for `sequence_lens`, `clip`, `input_forget`, or activations other than Sigmoid, Tanh and Relu.
 *
 * @example
 * ```ts
 * import { Backend, Tensor, loadModel, unrollRecurrent } from '@mechint/core';
 * const model = await loadModel('packages/core/test/fixtures/rnn.onnx'); // a GRU
 * const unrolled = unrollRecurrent(model, 16);
 * const session = await (await Backend.create()).session(unrolled);
 * const out = await session.run({ inputs: Tensor.zeros([3, 16, 3]) });
 * console.log(out['logits']!.shape); // [3, 16, 3]
 * ```
 */
export function unrollRecurrent(model: ModelIR, steps: number): ModelIR {
  if (!Number.isSafeInteger(steps) || steps < 1) throw new MechintError('INVALID_ARGUMENT', `steps must be a positive integer (the sequence length); got ${steps}.`);
  const variant = model.clone();
  unrollGraph(variant.graph, variant.opset() ?? 17, steps, '__mechint_unroll');
  return variant;
}

/**
 * Unrolls, in place, the RNN / GRU / LSTM nodes of one graph (the main graph or an If / Loop /
 * Scan body, whose outer scope `graph.outer` then keeps the new names unique) over `steps` time
 * steps, as {@link unrollRecurrent} does; new names start with `prefix`.
 *
 * @example
 * ```ts
 * import type { ModelIR } from '@mechint/core';
 * declare const model: ModelIR;
 * unrollGraph(model.graph, 17, 16, '__my_unroll'); // model.graph now has no LSTM / GRU / RNN node
 * ```
 */
export function unrollGraph(graph: Graph, opset: number, steps: number, prefix: string): void {
  const cells = graph.nodes.filter(isRecurrent).map((node) => readCell(graph, node));
  if (cells.length === 0) return;
  const splicer = new Splicer(graph, opset, prefix);
  for (const cell of cells) {
    graph.proto.node = graph.nodes.filter((n) => n !== cell.node);
    graph.invalidate();
    new Unroller(graph, splicer, opset, cell, steps).emit();
  }
  graph.proto.node = graph.topologicalOrder();
  graph.invalidate();
}

function readCell(graph: Graph, node: NodeProto): Cell {
  const type = node.opType as CellType;
  const fail = (what: string): never => {
    throw new MechintError('UNSUPPORTED_OP', `Cannot unroll ${type} node '${node.name}': ${what}.`, { details: { opType: type, node: node.name } });
  };
  const attribute = (name: string) => node.attribute.find((a) => a.name === name);
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  if ((node.input[4] ?? '') !== '') fail('sequence_lens is not supported; every sequence must run the full length');
  if (attribute('clip') !== undefined) fail('the clip attribute is not supported');
  if (Number(attribute('input_forget')?.i ?? 0n) !== 0) fail('input_forget=1 is not supported');
  const direction = attribute('direction') === undefined ? 'forward' : text(attribute('direction')!.s);
  const directions = DIRECTIONS[direction] ?? fail(`unknown direction '${direction}'`);
  const layout = Number(attribute('layout')?.i ?? 0n);
  if (layout !== 0 && layout !== 1) fail(`unknown layout ${layout}`);
  const defaults = CELLS[type].activations;
  const listed = attribute('activations')?.strings.map(text) ?? directions.flatMap(() => defaults);
  if (listed.length !== defaults.length * directions.length) fail(`activations lists ${listed.length} functions, expected ${defaults.length} per direction`);
  const activations = directions.map((_, d) =>
    listed.slice(d * defaults.length, (d + 1) * defaults.length).map((a) => ACTIVATIONS.get(a.toLowerCase()) ?? fail(`activation '${a}' is not supported (only Sigmoid, Tanh and Relu)`)),
  );
  const recurrence = graph.typeOf(node.input[2] ?? '');
  const lastDim = recurrence === undefined ? undefined : describeTensorType(recurrence)?.shape?.at(-1);
  const hidden = attribute('hidden_size') !== undefined ? Number(attribute('hidden_size')!.i) : typeof lastDim === 'number' ? lastDim : fail('hidden_size is not set and R has no static shape');
  return { node, type, hidden, directions, activations, layout, linearBeforeReset: Number(attribute('linear_before_reset')?.i ?? 0n) !== 0 };
}

/** One direction's weights: transposed input and recurrence weights, biases, peepholes, initial states. */
interface DirectionWeights {
  /** `Wᵀ`, `[1, input, gates·hidden]`. */
  w: string;
  /** `Rᵀ` as `[1, hidden, gates·hidden]`; for a GRU with linear_before_reset=0, split into the z, r and the h parts. */
  r: string[];
  /** Bias added to the input projection of every step: `Wb + Rb`, or `Wb` alone when `Rb` is added inside the step. */
  xBias: string | undefined;
  /** `Rb` for a GRU with linear_before_reset=1, added to the recurrence projection of each step. */
  rBias: string | undefined;
  /** Peephole weights `Pi`, `Po`, `Pf`, each `[1, hidden]`. */
  p: string[] | undefined;
  h0: string;
  c0: string;
}

/**
 * Emits the unrolled form of one node. Every float value it makes gets a `value_info` with its
 * shape, so gradient rules see equal shapes and skip their broadcast reductions.
 */
class Unroller {
  readonly #graph: Graph;
  readonly #splicer: Splicer;
  readonly #opset: number;
  readonly #cell: Cell;
  readonly #steps: number;
  readonly #elemType: number;
  readonly #batch: Dim;
  readonly #shapes: ValueInfoProto[] = [];

  constructor(graph: Graph, splicer: Splicer, opset: number, cell: Cell, steps: number) {
    this.#graph = graph;
    this.#splicer = splicer;
    this.#opset = opset;
    this.#cell = cell;
    this.#steps = steps;
    const [x, w] = [cell.node.input[0]!, cell.node.input[1]!].map((v) => {
      const type = graph.typeOf(v);
      return type === undefined ? undefined : describeTensorType(type);
    });
    this.#elemType = x?.elemType ?? w?.elemType ?? 1;
    this.#batch = x?.shape?.[cell.layout === 1 ? 0 : 1] ?? `${cell.node.name || cell.node.opType}.batch`;
  }

  emit(): void {
    const { node, layout, directions, hidden } = this.#cell;
    const gates = CELLS[this.#cell.type].gates;
    const input = (i: number) => node.input[i] ?? '';
    const x = layout === 1 ? this.op('Transpose', [input(0)], { perm: [1n, 0n, 2n] }) : input(0);
    const batchFirst = (v: string) => (v === '' || layout === 0 ? v : this.op('Transpose', [v], { perm: [1n, 0n, 2n] }, [directions.length, this.#batch, hidden]));
    const [initialH, initialC] = [batchFirst(input(5)), batchFirst(input(6))];
    const zeros = initialH !== '' && (this.#cell.type !== 'LSTM' || initialC !== '') ? '' : this.zeroState(x);
    const perDirection = (v: string, shape?: Dim[]) => (v === '' ? directions.map(() => '') : directions.length === 1 ? [v] : this.split(v, 0, [1, 1], shape && (() => shape)));
    const [w, r] = [perDirection(input(1)), perDirection(input(2), [1, gates * hidden, hidden])];
    const b = perDirection(input(3), [1, 2 * gates * hidden]);
    const [h0, c0] = [perDirection(initialH, this.state(1)), perDirection(initialC, this.state(1))];
    const p = perDirection(input(7), [1, 3 * hidden]);
    const runs = directions.map((reverse, d) => this.direction(x, reverse, this.#cell.activations[d]!, this.weights(w[d]!, r[d]!, b[d]!, p[d]!, h0[d]! || zeros, c0[d]! || zeros)));
    const [y = '', yH = '', yC = ''] = node.output;
    if (y !== '') {
      const perDir = runs.map((run) => this.record(this.#splicer.unsqueeze(this.op('Concat', run.hs, { axis: 0n }, [this.#steps, this.#batch, hidden]), [1]), [this.#steps, 1, this.#batch, hidden]));
      this.finish(this.join(perDir, 1, [this.#steps, directions.length, this.#batch, hidden]), y, [2n, 0n, 1n, 3n]);
    }
    const finalStates = [directions.length, this.#batch, hidden];
    if (yH !== '') this.finish(this.join(runs.map((run) => run.h), 0, finalStates), yH, [1n, 0n, 2n]);
    if (yC !== '') this.finish(this.join(runs.map((run) => run.c), 0, finalStates), yC, [1n, 0n, 2n]);
    this.#graph.valueInfo.push(...this.#shapes);
    this.#graph.invalidate();
  }

  /** The weights of one direction, arranged for {@link Unroller.step}. */
  private weights(w: string, r: string, b: string, p: string, h0: string, c0: string): DirectionWeights {
    const { type, hidden, linearBeforeReset } = this.#cell;
    const width = CELLS[type].gates * hidden;
    const transpose = (v: string, shape?: Dim[]) => this.op('Transpose', [v], { perm: [0n, 2n, 1n] }, shape);
    const sizes = type === 'GRU' && !linearBeforeReset ? [2 * hidden, hidden] : [width];
    const rParts = sizes.length === 1 ? [r] : this.split(r, 1, sizes, (size) => [1, size, hidden]);
    const [wb, rb] = b === '' ? [undefined, undefined] : this.split(b, 1, [width, width], () => [1, width]);
    const rInStep = type === 'GRU' && linearBeforeReset;
    return {
      w: transpose(w),
      r: rParts.map((part, i) => transpose(part, [1, hidden, sizes[i]!])),
      xBias: wb === undefined || rInStep ? wb : this.op('Add', [wb, rb!], {}, [1, width]),
      rBias: rInStep ? rb : undefined,
      p: p === '' ? undefined : this.split(p, 1, [hidden, hidden, hidden], () => [1, hidden]),
      h0,
      c0,
    };
  }

  /** Runs one direction over every step; returns the hidden state of each step in input order and the final states. */
  private direction(x: string, reverse: boolean, activations: readonly string[], weights: DirectionWeights): { hs: string[]; h: string; c: string } {
    const steps = this.#steps;
    const width = CELLS[this.#cell.type].gates * this.#cell.hidden;
    const all: Dim[] = [steps, this.#batch, width];
    const projected = this.op('MatMul', [x, weights.w], {}, all);
    const biased = weights.xBias === undefined ? projected : this.op('Add', [projected, weights.xBias], {}, all);
    const inputs = this.split(biased, 0, new Array<number>(steps).fill(1), () => this.state(width / this.#cell.hidden));
    const hs = new Array<string>(steps);
    let [h, c] = [weights.h0, weights.c0];
    for (let i = 0; i < steps; i++) {
      const t = reverse ? steps - 1 - i : i;
      [h, c] = this.step(inputs[t]!, h, c, activations, weights);
      hs[t] = h;
    }
    return { hs, h, c };
  }

  /**
   * One time step, from the ONNX operator definitions: `x` is the step's input projection with
   * its biases, `[1, batch, gates·hidden]` (gates GRU z, r, h; LSTM i, o, f, c).
   */
  private step(x: string, h: string, c: string, [f, g, hAct]: readonly string[], weights: DirectionWeights): [string, string] {
    const H = this.#cell.hidden;
    const op = (type: string, gates: number, ...inputs: string[]) => this.op(type, inputs, {}, this.state(gates));
    const byGate = (v: string, sizes: readonly number[]) => this.split(v, 2, sizes.map((k) => k * H), (size) => this.state(size / H));
    switch (this.#cell.type) {
      case 'RNN':
        return [op(f!, 1, op('Add', 1, x, op('MatMul', 1, h, weights.r[0]!))), c];
      case 'GRU': {
        const linearBeforeReset = this.#cell.linearBeforeReset;
        const [xZr, xH] = byGate(x, [2, 1]) as [string, string];
        const product = op('MatMul', linearBeforeReset ? 3 : 2, h, weights.r[0]!);
        const [hZr, hH] = linearBeforeReset ? byGate(weights.rBias === undefined ? product : op('Add', 3, product, weights.rBias), [2, 1]) : [product];
        const [z, r] = byGate(op(f!, 2, op('Add', 2, xZr, hZr!)), [1, 1]) as [string, string];
        const recurrent = linearBeforeReset ? op('Mul', 1, r, hH!) : op('MatMul', 1, op('Mul', 1, r, h), weights.r[1]!);
        const candidate = op(g!, 1, op('Add', 1, xH, recurrent));
        return [op('Add', 1, op('Mul', 1, op('Sub', 1, this.one(), z), candidate), op('Mul', 1, z, h)), c];
      }
      case 'LSTM': {
        const [xi, xo, xf, xc] = byGate(op('Add', 4, x, op('MatMul', 4, h, weights.r[0]!)), [1, 1, 1, 1]) as [string, string, string, string];
        const peep = (pre: string, k: number, state: string) => (weights.p === undefined ? pre : op('Add', 1, pre, op('Mul', 1, weights.p[k]!, state)));
        const input = op(f!, 1, peep(xi, 0, c));
        const forget = op(f!, 1, peep(xf, 2, c));
        const next = op('Add', 1, op('Mul', 1, forget, c), op('Mul', 1, input, op(g!, 1, xc)));
        const output = op(f!, 1, peep(xo, 1, next));
        return [op('Mul', 1, output, op(hAct!, 1, next)), next];
      }
    }
  }

  /** The shape `[1, batch, gates·hidden]` of a step's values. */
  private state(gates: number): Dim[] {
    return [1, this.#batch, gates * this.#cell.hidden];
  }

  /** Zeros `[1, batch, hidden]` for absent initial states (`x` is time-major). */
  private zeroState(x: string): string {
    const batch = this.op('Gather', [this.op('Shape', [x]), this.constant(Tensor.from([1n], [1], 'int64'))]);
    const shape = this.op('Concat', [this.constant(Tensor.from([1n], [1], 'int64')), batch, this.constant(Tensor.from([BigInt(this.#cell.hidden)], [1], 'int64'))], { axis: 0n });
    return this.op('ConstantOfShape', [shape], { value: this.float([0], [1]) }, this.state(1));
  }

  private one(): string {
    return this.constant(this.float([1], []));
  }

  private float(values: number[], shape: number[]): Tensor {
    return this.#elemType === 11 ? Tensor.from(Float64Array.from(values), shape) : Tensor.from(Float32Array.from(values), shape);
  }

  /** `Split` into parts of `sizes` along `axis`, in the opset's form; `shape` gives each part's shape, when known. */
  private split(v: string, axis: number, sizes: readonly number[], shape?: (size: number) => Dim[]): string[] {
    const outputs = sizes.map(() => this.#splicer.name('Split'));
    const split = sizes.map(BigInt);
    if (this.#opset < 13) this.#splicer.node('Split', [v], { axis: BigInt(axis), split }, outputs);
    else this.#splicer.node('Split', [v, this.constant(Tensor.from(split, [split.length], 'int64'))], { axis: BigInt(axis) }, outputs);
    if (shape !== undefined) outputs.forEach((o, i) => this.record(o, shape(sizes[i]!)));
    return outputs;
  }

  /** `parts` concatenated along `axis` (the part itself when there is one). */
  private join(parts: readonly string[], axis: number, shape: Dim[]): string {
    return parts.length === 1 ? parts[0]! : this.op('Concat', parts, { axis: BigInt(axis) }, shape);
  }

  /** Writes `v` to the node's output `name`, transposed by `perm` back to batch-first for layout 1. */
  private finish(v: string, name: string, perm: readonly bigint[]): void {
    if (this.#cell.layout === 1) this.#splicer.node('Transpose', [v], { perm }, [name]);
    else this.#splicer.node('Identity', [v], {}, [name]);
  }

  /** A one-output node; its output's shape is recorded when given. */
  private op(type: string, inputs: readonly string[], attributes: Attributes = {}, shape?: Dim[]): string {
    const output = this.#splicer.op(type, inputs, attributes);
    return shape === undefined ? output : this.record(output, shape);
  }

  private record(value: string, shape: Dim[]): string {
    this.#shapes.push(create(ValueInfoProtoSchema, { name: value, type: tensorType(this.#elemType, shape) }));
    return value;
  }

  private constant(tensor: Tensor): string {
    return this.#splicer.constant(tensor);
  }
}
