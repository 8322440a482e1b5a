/**
 * Static, symbolic shape inference for the standard ONNX operators: every value's element type
 * and dims as expressions over the symbolic dims of the graph inputs (see `sym-dim.ts`), merged
 * with the types the file declares. Small integer tensors that hold shapes (`Shape` → `Gather` →
 * `Concat` → `Reshape`) are followed by value, so reshapes computed in the graph stay symbolic.
 * An operator without a rule here gives dims `null` (unknown) — never a guessed number.
 */
import type { NodeProto, TypeProto } from './gen/onnx_pb.js';
import { AttributeProto_AttributeType } from './gen/onnx_pb.js';
import { outputElemType } from './elem-type.js';
import type { Graph } from './graph.js';
import type { ModelIR } from './model.js';
import { tensorFromProto } from './tensor-proto.js';
import { describeTensorType, type Dim } from './types.js';
import { dimToSym, symAdd, symConst, symDivExact, symDivInt, symFormat, symMul, symNumber, symSub, symToDim, symVar, type SymExpr } from './sym-dim.js';

/** A declared type that contradicts the operators' rules (a stale `value_info`); the rules win. */
export interface TypeConflict {
  readonly value: string;
  readonly declared: { readonly elemType: number; readonly shape: Dim[] | undefined };
  readonly inferred: InferredType;
}

/** Options of {@link inferShapes}. */
export interface InferShapesOptions {
  /** Called for each declared type that contradicts what the operators compute. */
  onConflict?: (conflict: TypeConflict) => void;
}

/** What inference learned about one value. */
export interface InferredType {
  /** ONNX element type code (`undefined` when unknown). */
  readonly elemType: number | undefined;
  /** Dims: numbers, expressions over the inputs' symbolic dims, `null` where unknown; `undefined` when even the rank is unknown. */
  readonly shape: Dim[] | undefined;
}

type S = SymExpr | null;
interface Info {
  elem: number | undefined;
  shape: S[] | undefined;
  /** The values of a small integer tensor (flattened), when known. */
  data?: S[] | undefined;
  /** The values of a small floating-point constant (Resize's scales). */
  floats?: number[] | undefined;
}

const INT_MAX = 2 ** 31 - 1;
const FLOAT = 1;
const UINT8 = 2;
const INT32 = 6;
const DATA_LIMIT = 64;

/**
 * The symbolic dims of each graph input: its `dim_param`s, `<input>.<axis>` for unnamed dims.
 *
 * @example
 * ```ts
 * import { decodeModel, feedDims } from '@mechint/core';
 * declare const bytes: Uint8Array;
 * feedDims(decodeModel(bytes).graph); // Map { 'tokens' => ['batch', 'pos'] }
 * ```
 */
export function feedDims(graph: Graph): Map<string, Dim[]> {
  const dims = new Map<string, Dim[]>();
  for (const name of graph.feedNames) {
    const type = graph.typeOf(name);
    const described = type === undefined ? undefined : describeTensorType(type);
    dims.set(name, (described?.shape ?? []).map((d, axis) => (typeof d === 'number' ? d : d ?? `${name}.${axis}`)));
  }
  return dims;
}

/**
 * Infers the element type and shape of every value of `model`'s main graph. Declared dims win
 * where they are numbers or expressions over the inputs' symbols and inference knows nothing
 * else; a declared dim over other symbols (an exporter's `unk__3`) is used only where inference
 * found nothing. A declared element type or dim that contradicts what the operators compute (a
 * stale `value_info`, as quantization tools leave them) loses, and is reported to `onConflict`.
 *
 * @example
 * ```ts
 * import { decodeModel, inferShapes } from '@mechint/core';
 * declare const bytes: Uint8Array;
 * const shapes = inferShapes(decodeModel(bytes));
 * shapes.get('logits'); // { elemType: 1, shape: ['batch', 'pos', 50257] }
 * ```
 */
export function inferShapes(model: ModelIR, options: InferShapesOptions = {}): Map<string, InferredType> {
  const graph = model.graph;
  const opset = model.opset() ?? 17;
  const symbols = new Set<string>();
  const infos = new Map<string, Info>();
  for (const [name, dims] of feedDims(graph)) {
    for (const d of dims) if (typeof d === 'string') symbols.add(d);
    const type = graph.typeOf(name);
    const described = type === undefined ? undefined : describeTensorType(type);
    infos.set(name, { elem: described?.elemType, shape: described?.shape === undefined ? undefined : dims.map((d) => (typeof d === 'number' ? symConst(d) : d === null ? null : symVar(d))) });
  }
  for (const init of graph.initializers) {
    if (infos.has(init.name)) continue;
    infos.set(init.name, { elem: init.dataType, shape: init.dims.map((d) => symConst(Number(d))), ...constantValues(() => tensorFromProto(init)) });
  }
  const declared = new Map<string, TypeProto>();
  for (const v of [...graph.valueInfo, ...graph.outputs, ...graph.inputs]) if (v.type !== undefined) declared.set(v.name, v.type);
  const get = (name: string | undefined): Info | undefined => (name === undefined || name === '' ? undefined : infos.get(name));
  for (const node of graph.topologicalOrder()) {
    let outs: (Info | undefined)[] = [];
    try {
      outs = node.domain === '' || node.domain === 'ai.onnx' ? inferNode(node, node.input.map(get), opset) : [];
    } catch {
      outs = [];
    }
    node.output.forEach((name, i) => {
      if (name === '') return;
      const inferred = outs[i];
      const elem = inferred?.elem ?? outputElemType(node, i, (v) => infos.get(v)?.elem ?? declaredElem(declared.get(v)));
      const merged = merge({ ...inferred, elem, shape: inferred?.shape }, declared.get(name), symbols);
      if (merged.conflict !== undefined) options.onConflict?.({ value: name, declared: merged.conflict, inferred: { elemType: elem, shape: inferred?.shape?.map(symToDim) } });
      infos.set(name, merged.info);
    });
  }
  const out = new Map<string, InferredType>();
  for (const [name, info] of infos) out.set(name, { elemType: info.elem, shape: info.shape?.map(symToDim) });
  return out;
}

function declaredElem(type: TypeProto | undefined): number | undefined {
  return type === undefined ? undefined : describeTensorType(type)?.elemType;
}

/** Inferred info merged with the type the file declares (`type`), and that type when it contradicts the inferred one. */
function merge(info: Info, type: TypeProto | undefined, symbols: ReadonlySet<string>): { info: Info; conflict?: { elemType: number; shape: Dim[] | undefined } } {
  const declared = type === undefined ? undefined : describeTensorType(type);
  if (declared === undefined) return { info };
  const elemConflict = declared.elemType !== 0 && info.elem !== undefined && declared.elemType !== info.elem;
  const elem = info.elem ?? (declared.elemType || undefined);
  const conflict = { elemType: declared.elemType, shape: declared.shape };
  if (declared.shape === undefined) return elemConflict ? { info: { ...info, elem }, conflict } : { info: { ...info, elem } };
  if (info.shape !== undefined && info.shape.length !== declared.shape.length) return { info: { ...info, elem }, conflict };
  let dimConflict = false;
  const shape = declared.shape.map((d, i): S => {
    const inferred = info.shape?.[i] ?? null;
    if (d === null) return inferred;
    const sym = dimToSym(d);
    if (inferred === null) return sym;
    if (!overInputs(sym, symbols) || sym === null || symFormat(sym) === symFormat(inferred)) return inferred;
    if (!overInputs(inferred, symbols)) return sym;
    // A declared number pins a symbol inference could not (the file is trusted there); two
    // numbers or two expressions that differ mean the declaration is stale: the rules win.
    if (typeof d === 'number' && symNumber(inferred) === undefined) return sym;
    if (typeof d === 'number' || symNumber(inferred) === undefined) dimConflict = true;
    return inferred;
  });
  return elemConflict || dimConflict ? { info: { ...info, elem, shape }, conflict } : { info: { ...info, elem, shape } };
}

/** Whether `e` is a number or an expression over the graph inputs' symbols only. */
function overInputs(e: SymExpr | null, symbols: ReadonlySet<string>): boolean {
  return e !== null && [...e.terms.keys()].every((k) => atomsOf(k).every((a) => symbols.has(a)));
}

/** The symbol names a monomial key mentions (approximate: every identifier-like token). */
function atomsOf(key: string): string[] {
  return key.match(/`[^`]*`|[A-Za-z_][A-Za-z0-9_.]*/g)?.filter((t) => t !== 'floor' && t !== 'ceil').map((t) => (t.startsWith('`') ? t.slice(1, -1) : t)) ?? [];
}

/** The values of a small constant: integers as `data`, floats as `floats`. */
function constantValues(read: () => ReturnType<typeof tensorFromProto>): Pick<Info, 'data' | 'floats'> {
  try {
    const t = read();
    if (t.size > DATA_LIMIT || t.rank > 1) return {};
    const values = Array.from(t.data as ArrayLike<number | bigint>, Number);
    if (t.dtype === 'int64' || t.dtype === 'int32') return { data: values.map(symConst) };
    return t.dtype === 'float32' || t.dtype === 'float64' ? { floats: values } : {};
  } catch {
    return {};
  }
}

/** Attribute readers. */
function attrInt(node: NodeProto, name: string): number | undefined {
  const a = node.attribute.find((x) => x.name === name);
  return a === undefined ? undefined : Number(a.i);
}
function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = node.attribute.find((x) => x.name === name);
  return a === undefined ? undefined : a.ints.map(Number);
}
function attrFloats(node: NodeProto, name: string): number[] | undefined {
  const a = node.attribute.find((x) => x.name === name);
  return a === undefined ? undefined : a.floats;
}
function attrString(node: NodeProto, name: string): string | undefined {
  const a = node.attribute.find((x) => x.name === name);
  return a === undefined ? undefined : new TextDecoder().decode(a.s);
}

const UNARY = new Set([
  'Abs', 'Acos', 'Acosh', 'Asin', 'Asinh', 'Atan', 'Atanh', 'BatchNormalization', 'Cast', 'CastLike', 'Ceil', 'Celu', 'Clip', 'Cos', 'Cosh', 'CumSum', 'Dropout', 'Elu',
  'Erf', 'Exp', 'Floor', 'Gelu', 'GroupNormalization', 'HardSigmoid', 'HardSwish', 'Hardmax', 'Identity', 'InstanceNormalization', 'IsInf', 'IsNaN', 'LayerNormalization',
  'LeakyRelu', 'Log', 'LogSoftmax', 'LpNormalization', 'LRN', 'MeanVarianceNormalization', 'Mish', 'Neg', 'Not', 'Reciprocal', 'Relu', 'Round', 'Selu', 'Shrink', 'Sigmoid',
  'Sign', 'Sin', 'Sinh', 'Softmax', 'Softplus', 'Softsign', 'Sqrt', 'Tan', 'Tanh', 'ThresholdedRelu', 'Trilu', 'RMSNormalization', 'ScatterElements', 'ScatterND', 'Scatter',
]);
const BROADCAST = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'Max', 'Min', 'Sum', 'Mean', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'BitShift',
  'PRelu', 'Where', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor',
]);
const REDUCE = new Set(['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']);
const POOL = new Set(['MaxPool', 'AveragePool', 'LpPool']);

function same(a: S, b: S): boolean {
  if (a === null || b === null) return false;
  return symFormat(a) === symFormat(b);
}

/** One broadcast dim; `null` when the rules cannot decide it without the run's sizes. */
function broadcastDim(a: S, b: S): S {
  const na = a === null ? undefined : symNumber(a);
  const nb = b === null ? undefined : symNumber(b);
  if (na === 1) return b;
  if (nb === 1) return a;
  if (a === null || b === null) return na !== undefined ? a : nb !== undefined ? b : null;
  if (same(a, b)) return a;
  if (na !== undefined && nb === undefined) return a;
  if (nb !== undefined && na === undefined) return b;
  return null;
}

function broadcast(shapes: readonly (S[] | undefined)[]): S[] | undefined {
  if (shapes.some((s) => s === undefined)) return undefined;
  const rank = Math.max(...shapes.map((s) => s!.length));
  return Array.from({ length: rank }, (_, i) => {
    let d: S = symConst(1);
    for (const s of shapes) {
      const at = s!.length - rank + i;
      if (at >= 0) d = broadcastDim(d, s![at]!);
    }
    return d;
  });
}

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** The integer values of an input, when known (constant or followed by value). */
function numbers(info: Info | undefined): number[] | undefined {
  const data = info?.data;
  if (data === undefined) return undefined;
  const out: number[] = [];
  for (const d of data) {
    const n = d === null ? undefined : symNumber(d);
    if (n === undefined) return undefined;
    out.push(n);
  }
  return out;
}

/** Axes given as an attribute (older opsets) or as input `index` (newer ones). */
function axesOf(node: NodeProto, inputs: readonly (Info | undefined)[], index: number): number[] | undefined {
  return attrInts(node, 'axes') ?? (node.input[index] ? numbers(inputs[index]) : undefined);
}

function elementwiseData(op: string, inputs: readonly (Info | undefined)[]): S[] | undefined {
  const [a, b] = [inputs[0]?.data, inputs[1]?.data];
  if (a === undefined || b === undefined || (a.length !== b.length && a.length !== 1 && b.length !== 1)) return undefined;
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const x = a[a.length === 1 ? 0 : i]!;
    const y = b[b.length === 1 ? 0 : i]!;
    if (x === null || y === null) return null;
    if (op === 'Add') return symAdd(x, y);
    if (op === 'Sub') return symSub(x, y);
    if (op === 'Mul') return symMul(x, y);
    const k = symNumber(y);
    if (op === 'Div' && k !== undefined && k > 0) return symDivInt(x, k);
    const [nx, ny] = [symNumber(x), symNumber(y)];
    if (nx === undefined || ny === undefined) return null;
    if (op === 'Max') return symConst(Math.max(nx, ny));
    if (op === 'Min') return symConst(Math.min(nx, ny));
    if (op === 'Div') return symConst(Math.trunc(nx / ny));
    return null;
  });
}

/** Per-op rules; returns one entry per output. */
function inferNode(node: NodeProto, inputs: readonly (Info | undefined)[], opset: number): (Info | undefined)[] {
  const op = node.opType;
  const x = inputs[0];
  const elem = x?.elem;
  const one = (shape: S[] | undefined, data?: S[]): Info[] => [{ elem: undefined, shape, ...(data === undefined ? {} : { data }) }];
  if (op === 'Identity') return [{ ...x, elem: undefined, shape: x?.shape }];
  if (op === 'Cast' || op === 'CastLike') return one(x?.shape, x?.data);
  if (UNARY.has(op)) return node.output.map((_, i) => (i === 0 ? { elem: undefined, shape: x?.shape } : undefined));
  if (BROADCAST.has(op)) {
    const operands = op === 'Where' ? inputs : inputs.filter((_, i) => node.input[i] !== '');
    const data = ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min'].includes(op) ? elementwiseData(op, inputs) : undefined;
    return one(broadcast(operands.map((i) => i?.shape)), data);
  }
  if (REDUCE.has(op) || op === 'ArgMax' || op === 'ArgMin') return one(reduce(node, inputs, opset));
  if (POOL.has(op) || op === 'Conv') return node.output.map((_, i) => (i === 0 ? { elem: undefined, shape: convLike(node, inputs) } : undefined));
  switch (op) {
    case 'DynamicQuantizeLinear':
      return [{ elem: UINT8, shape: x?.shape }, { elem: FLOAT, shape: [] }, { elem: UINT8, shape: [] }];
    case 'QuantizeLinear':
    case 'DequantizeLinear':
      return one(x?.shape);
    case 'MatMulInteger':
      return [{ elem: INT32, shape: matmul(x?.shape, inputs[1]?.shape) }];
    case 'ConvInteger':
      return [{ elem: INT32, shape: convLike(node, inputs) }];
    case 'QLinearMatMul':
      return [{ elem: inputs[7]?.elem, shape: matmul(x?.shape, inputs[3]?.shape) }];
    case 'Constant':
      return [constantNode(node)];
    case 'Shape': {
      if (x?.shape === undefined) return one([null]);
      const rank = x.shape.length;
      const start = normAxis(attrInt(node, 'start') ?? 0, rank);
      const end = normAxis(attrInt(node, 'end') ?? rank, rank);
      const data = x.shape.slice(Math.max(0, start), Math.min(rank, end));
      return one([symConst(data.length)], data);
    }
    case 'Size':
      return one([], x?.shape === undefined ? undefined : [x.shape.reduce<S>((p, d) => (p === null || d === null ? null : symMul(p, d)), symConst(1))]);
    case 'MatMul':
      return one(matmul(x?.shape, inputs[1]?.shape));
    case 'Gemm': {
      const [a, b] = [x?.shape, inputs[1]?.shape];
      if (a === undefined || b === undefined || a.length !== 2 || b.length !== 2) return one(undefined);
      return one([attrInt(node, 'transA') ? a[1]! : a[0]!, attrInt(node, 'transB') ? b[0]! : b[1]!]);
    }
    case 'ConvTranspose':
      return one(convTranspose(node, inputs));
    case 'Transpose': {
      if (x?.shape === undefined) return one(undefined);
      const shape = x.shape;
      const perm = attrInts(node, 'perm') ?? shape.map((_, i) => shape.length - 1 - i);
      return one(perm.map((p) => shape[p] ?? null));
    }
    case 'Reshape':
      return one(reshape(x, inputs[1], attrInt(node, 'allowzero') === 1, attrInts(node, 'shape')), x?.data);
    case 'Flatten': {
      if (x?.shape === undefined) return one([null, null]);
      const axis = normAxis(attrInt(node, 'axis') ?? 1, x.shape.length);
      return one([product(x.shape.slice(0, axis)), product(x.shape.slice(axis))], x.data);
    }
    case 'Concat':
      return one(concat(node, inputs), concatData(inputs));
    case 'Split':
      return split(node, inputs, opset);
    case 'Slice':
      return one(...slice(node, inputs, opset));
    case 'Gather':
      return one(...gather(node, inputs));
    case 'GatherElements':
      return one(inputs[1]?.shape);
    case 'Squeeze': {
      const axes = axesOf(node, inputs, 1);
      if (x?.shape === undefined) return one(undefined, x?.data);
      const rank = x.shape.length;
      if (axes === undefined) {
        if (node.input[1]) return one(undefined, x.data);
        if (x.shape.some((d) => d === null || symNumber(d) === undefined)) return one(undefined, x.data);
        return one(x.shape.filter((d) => symNumber(d!) !== 1), x.data);
      }
      const drop = new Set(axes.map((a) => normAxis(a, rank)));
      return one(x.shape.filter((_, i) => !drop.has(i)), x.data);
    }
    case 'Unsqueeze': {
      const axes = axesOf(node, inputs, 1);
      if (x?.shape === undefined || axes === undefined) return one(undefined, x?.data);
      const rank = x.shape.length + axes.length;
      const added = new Set(axes.map((a) => normAxis(a, rank)));
      const rest = [...x.shape];
      return one(Array.from({ length: rank }, (_, i) => (added.has(i) ? symConst(1) : rest.shift() ?? null)), x.data);
    }
    case 'Expand':
      return one(broadcast([x?.shape, inputs[1]?.data]));
    case 'ConstantOfShape':
      return one(inputs[0]?.data);
    case 'Tile': {
      const reps = inputs[1]?.data;
      if (x?.shape === undefined || reps === undefined || reps.length !== x.shape.length) return one(x?.shape?.map(() => null));
      return one(x.shape.map((d, i) => (d === null || reps[i] === null ? null : symMul(d, reps[i]!))));
    }
    case 'Range': {
      const [start, limit, delta] = [inputs[0]?.data?.[0], inputs[1]?.data?.[0], numbers(inputs[2])?.[0]];
      if (start == null || limit == null || delta === undefined || delta <= 0) return one([null]);
      return one([symDivInt(symSub(limit, start), delta, 'ceil')]);
    }
    case 'Pad':
      return one(pad(node, inputs, opset));
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
    case 'GlobalLpPool':
      return one(x?.shape?.map((d, i) => (i < 2 ? d : symConst(1))));
    case 'Resize':
    case 'Upsample':
      return one(resize(node, inputs, opset));
    case 'TopK': {
      const k = attrInt(node, 'k') ?? numbers(inputs[1])?.[0];
      if (x?.shape === undefined) return [{ elem, shape: undefined }, { elem: 7, shape: undefined }];
      const axis = normAxis(attrInt(node, 'axis') ?? -1, x.shape.length);
      const shape = x.shape.map((d, i) => (i === axis ? (k === undefined ? null : symConst(k)) : d));
      return [{ elem: undefined, shape }, { elem: 7, shape }];
    }
    case 'DepthToSpace':
    case 'SpaceToDepth': {
      const b = attrInt(node, 'blocksize') ?? 1;
      const s = x?.shape;
      if (s?.length !== 4) return one(undefined);
      const [n, c, h, w] = s as [S, S, S, S];
      const up = op === 'DepthToSpace';
      const scale = (d: S, f: (e: SymExpr) => SymExpr | undefined) => (d === null ? null : f(d) ?? null);
      return one([n, scale(c, (e) => (up ? symDivExact(e, symConst(b * b)) : symMul(e, symConst(b * b)))), scale(h, (e) => (up ? symMul(e, symConst(b)) : symDivExact(e, symConst(b)))), scale(w, (e) => (up ? symMul(e, symConst(b)) : symDivExact(e, symConst(b))))]);
    }
    default:
      return [];
  }
}

function product(dims: readonly S[]): S {
  return dims.reduce<S>((p, d) => (p === null || d === null ? null : symMul(p, d)), symConst(1));
}

function constantNode(node: NodeProto): Info {
  const a = node.attribute[0];
  if (a === undefined) return { elem: undefined, shape: undefined };
  if (a.type === AttributeProto_AttributeType.TENSOR && a.t !== undefined) {
    const t = a.t;
    return { elem: t.dataType, shape: t.dims.map((d) => symConst(Number(d))), ...constantValues(() => tensorFromProto(t)) };
  }
  if (a.name === 'value_int') return { elem: 7, shape: [], data: [symConst(Number(a.i))] };
  if (a.name === 'value_ints') return { elem: 7, shape: [symConst(a.ints.length)], data: a.ints.map((v) => symConst(Number(v))) };
  if (a.name === 'value_float') return { elem: 1, shape: [], floats: [a.f] };
  if (a.name === 'value_floats') return { elem: 1, shape: [symConst(a.floats.length)], floats: [...a.floats] };
  return { elem: undefined, shape: undefined };
}

function matmul(a: S[] | undefined, b: S[] | undefined): S[] | undefined {
  if (a === undefined || b === undefined || a.length === 0 || b.length === 0) return undefined;
  const a2 = a.length === 1 ? [symConst(1), a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, symConst(1)] : b;
  const batch = broadcast([a2.slice(0, -2), b2.slice(0, -2)])!;
  return [...batch, ...(a.length === 1 ? [] : [a2.at(-2)!]), ...(b.length === 1 ? [] : [b2.at(-1)!])];
}

function reduce(node: NodeProto, inputs: readonly (Info | undefined)[], opset: number): S[] | undefined {
  const shape = inputs[0]?.shape;
  if (shape === undefined) return undefined;
  const keep = (attrInt(node, 'keepdims') ?? 1) === 1;
  const rank = shape.length;
  let axes: number[] | undefined;
  if (node.opType === 'ArgMax' || node.opType === 'ArgMin') axes = [attrInt(node, 'axis') ?? 0];
  else {
    const fromInput = node.opType === 'ReduceSum' ? opset >= 13 : opset >= 18;
    axes = fromInput ? (node.input[1] ? numbers(inputs[1]) : []) : attrInts(node, 'axes') ?? [];
    if (axes === undefined) return keep ? shape.map(() => null) : undefined;
    if (axes.length === 0) {
      if ((attrInt(node, 'noop_with_empty_axes') ?? 0) === 1) return shape;
      axes = shape.map((_, i) => i);
    }
  }
  const reduced = new Set(axes.map((a) => normAxis(a, rank)));
  return keep ? shape.map((d, i) => (reduced.has(i) ? symConst(1) : d)) : shape.filter((_, i) => !reduced.has(i));
}

/** Output spatial size of a convolution or pooling window. */
function windowOut(size: S, kernel: number, stride: number, dilation: number, padBegin: number, padEnd: number, autoPad: string, ceil: boolean): S {
  if (size === null) return null;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return symDivInt(size, stride, 'ceil');
  const effective = dilation * (kernel - 1) + 1;
  const pads = autoPad === 'VALID' ? 0 : padBegin + padEnd;
  return symAdd(symDivInt(symAdd(size, symConst(pads - effective)), stride, ceil ? 'ceil' : 'floor'), symConst(1));
}

function convLike(node: NodeProto, inputs: readonly (Info | undefined)[]): S[] | undefined {
  const x = inputs[0]?.shape;
  if (x === undefined || x.length < 3) return undefined;
  const spatial = x.length - 2;
  const w = inputs[1]?.shape;
  const isConv = node.opType === 'Conv' || node.opType === 'ConvInteger';
  const kernel = attrInts(node, 'kernel_shape') ?? (isConv && w !== undefined ? w.slice(2).map((d) => (d === null ? NaN : symNumber(d) ?? NaN)) : undefined);
  const channels = isConv ? w?.[0] ?? null : x[1]!;
  if (kernel === undefined || kernel.some((k) => Number.isNaN(k))) return [x[0]!, channels, ...x.slice(2).map(() => null)];
  const strides = attrInts(node, 'strides') ?? kernel.map(() => 1);
  const dilations = attrInts(node, 'dilations') ?? kernel.map(() => 1);
  const pads = attrInts(node, 'pads') ?? kernel.flatMap(() => [0, 0]).slice(0, 2 * spatial);
  const autoPad = attrString(node, 'auto_pad') ?? 'NOTSET';
  const ceil = (attrInt(node, 'ceil_mode') ?? 0) === 1;
  return [x[0]!, channels, ...x.slice(2).map((d, i) => windowOut(d, kernel[i]!, strides[i]!, dilations[i]!, pads[i]!, pads[i + spatial]!, autoPad, ceil))];
}

function convTranspose(node: NodeProto, inputs: readonly (Info | undefined)[]): S[] | undefined {
  const x = inputs[0]?.shape;
  const w = inputs[1]?.shape;
  if (x === undefined || w === undefined || x.length < 3) return undefined;
  const spatial = x.length - 2;
  const group = attrInt(node, 'group') ?? 1;
  const channels = w[1] === null ? null : symMul(w[1]!, symConst(group));
  const explicit = attrInts(node, 'output_shape');
  if (explicit !== undefined) return [x[0]!, channels, ...explicit.slice(-spatial).map(symConst)];
  const kernel = attrInts(node, 'kernel_shape') ?? w.slice(2).map((d) => (d === null ? NaN : symNumber(d) ?? NaN));
  if (kernel.some((k) => Number.isNaN(k))) return [x[0]!, channels, ...x.slice(2).map(() => null)];
  const strides = attrInts(node, 'strides') ?? kernel.map(() => 1);
  const dilations = attrInts(node, 'dilations') ?? kernel.map(() => 1);
  const outPad = attrInts(node, 'output_padding') ?? kernel.map(() => 0);
  const pads = attrInts(node, 'pads') ?? kernel.flatMap(() => [0, 0]);
  const autoPad = attrString(node, 'auto_pad') ?? 'NOTSET';
  return [
    x[0]!,
    channels,
    ...x.slice(2).map((d, i): S => {
      if (d === null) return null;
      if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return symMul(d, symConst(strides[i]!));
      const p = autoPad === 'VALID' ? 0 : pads[i]! + pads[i + spatial]!;
      return symAdd(symMul(symSub(d, symConst(1)), symConst(strides[i]!)), symConst(outPad[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - p));
    }),
  ];
}

function reshape(x: Info | undefined, target: Info | undefined, allowZero: boolean, attrShape: number[] | undefined): S[] | undefined {
  const spec = attrShape?.map(symConst) ?? target?.data;
  if (spec === undefined) {
    const n = target?.shape?.[0];
    const rank = n === null || n === undefined ? undefined : symNumber(n);
    return rank === undefined ? undefined : Array.from({ length: rank }, () => null);
  }
  const input = x?.shape;
  const out = spec.map((d, i): S => {
    const n = d === null ? undefined : symNumber(d);
    if (n === 0 && !allowZero) return input?.[i] ?? null;
    if (n === -1) return null;
    return d;
  });
  const hole = spec.findIndex((d) => d !== null && symNumber(d) === -1);
  if (hole >= 0 && input !== undefined) {
    const known = out.filter((_, i) => i !== hole);
    const total = product(input);
    const rest = product(known);
    out[hole] = total === null || rest === null ? null : symDivExact(total, rest) ?? null;
  }
  return out;
}

function concat(node: NodeProto, inputs: readonly (Info | undefined)[]): S[] | undefined {
  const shapes = inputs.filter((_, i) => node.input[i] !== '').map((i) => i?.shape);
  const first = shapes.find((s) => s !== undefined);
  if (first === undefined) return undefined;
  const axis = normAxis(attrInt(node, 'axis') ?? 0, first.length);
  return first.map((_, i) => {
    if (i === axis) return shapes.reduce<S>((sum, s) => (sum === null || s === undefined || s[i] == null ? null : symAdd(sum, s[i]!)), symConst(0));
    for (const s of shapes) if (s?.[i] != null && symNumber(s[i]!) !== 1) return s[i]!;
    return shapes.every((s) => s?.[i] != null) ? first[i]! : null;
  });
}

function concatData(inputs: readonly (Info | undefined)[]): S[] | undefined {
  const parts = inputs.map((i) => i?.data);
  if (parts.some((p) => p === undefined)) return undefined;
  const data = parts.flat() as S[];
  return data.length <= DATA_LIMIT ? data : undefined;
}

function split(node: NodeProto, inputs: readonly (Info | undefined)[], opset: number): Info[] {
  const shape = inputs[0]?.shape;
  const n = node.output.length;
  if (shape === undefined) return node.output.map(() => ({ elem: undefined, shape: undefined }));
  const axis = normAxis(attrInt(node, 'axis') ?? 0, shape.length);
  const sizes = attrInts(node, 'split') ?? (opset >= 13 && node.input[1] ? numbers(inputs[1]) : undefined);
  const dim = shape[axis] ?? null;
  const parts: S[] =
    sizes !== undefined
      ? sizes.map(symConst)
      : dim === null
        ? node.output.map(() => null)
        : attrInt(node, 'num_outputs') !== undefined
          ? node.output.map((_, i) => (i < n - 1 ? symDivInt(dim, n, 'ceil') : symSub(dim, symMul(symDivInt(dim, n, 'ceil'), symConst(n - 1)))))
          : node.output.map(() => symDivExact(dim, symConst(n)) ?? null);
  return node.output.map((_, i) => ({ elem: undefined, shape: shape.map((d, j) => (j === axis ? parts[i] ?? null : d)) }));
}

/** Slices one dim `d` from `start` to `end` with `step` (ONNX's clamping), symbolically where safe. */
function sliceDim(d: S, start: S, end: S, step: number): S {
  const [nd, ns, ne] = [d === null ? undefined : symNumber(d), start === null ? undefined : symNumber(start), end === null ? undefined : symNumber(end)];
  if (nd !== undefined && ns !== undefined && ne !== undefined) {
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    const s = ns < 0 ? ns + nd : ns;
    const e = ne < 0 ? ne + nd : ne;
    const [a, b] = step > 0 ? [clamp(s, 0, nd), clamp(e, 0, nd)] : [clamp(s, -1, nd - 1), clamp(e, -1, nd - 1)];
    return symConst(Math.max(0, Math.ceil((b - a) / step)));
  }
  if (step <= 0 || d === null || start === null || end === null || ns === undefined || ns < 0) return null;
  let stop: SymExpr;
  if (ne === undefined) stop = end;
  else if (ne >= INT_MAX) stop = d;
  else if (ne < 0) stop = symAdd(d, symConst(ne));
  else return null;
  return symDivInt(symSub(stop, symConst(ns)), step, 'ceil');
}

function slice(node: NodeProto, inputs: readonly (Info | undefined)[], opset: number): [S[] | undefined, S[] | undefined] {
  const x = inputs[0];
  const shape = x?.shape;
  let starts: S[] | undefined;
  let ends: S[] | undefined;
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (opset < 10) {
    starts = attrInts(node, 'starts')?.map(symConst);
    ends = attrInts(node, 'ends')?.map(symConst);
    axes = attrInts(node, 'axes');
  } else {
    starts = inputs[1]?.data;
    ends = inputs[2]?.data;
    axes = node.input[3] ? numbers(inputs[3]) : undefined;
    steps = node.input[4] ? numbers(inputs[4]) : undefined;
    if ((node.input[3] && axes === undefined) || (node.input[4] && steps === undefined)) return [shape?.map(() => null), undefined];
  }
  if (shape === undefined) return [undefined, undefined];
  if (starts === undefined || ends === undefined) return [shape.map(() => null), undefined];
  const rank = shape.length;
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis(a, rank));
  const out = [...shape];
  ax.forEach((a, i) => {
    out[a] = sliceDim(shape[a] ?? null, starts![i] ?? null, ends![i] ?? null, steps?.[i] ?? 1);
  });
  let data: S[] | undefined;
  if (x?.data !== undefined && rank === 1 && ax[0] === 0) {
    const [s, e, st] = [numbers({ elem: undefined, shape: undefined, data: [starts[0] ?? null] })?.[0], numbers({ elem: undefined, shape: undefined, data: [ends[0] ?? null] })?.[0], steps?.[0] ?? 1];
    if (s !== undefined && e !== undefined && st > 0) {
      const n = x.data.length;
      const from = Math.min(Math.max(s < 0 ? s + n : s, 0), n);
      const to = Math.min(Math.max(e < 0 ? e + n : e, 0), n);
      data = x.data.slice(from, to).filter((_, i) => i % st === 0);
    }
  }
  return [out, data];
}

function gather(node: NodeProto, inputs: readonly (Info | undefined)[]): [S[] | undefined, S[] | undefined] {
  const [x, idx] = [inputs[0], inputs[1]];
  if (x?.shape === undefined || idx?.shape === undefined) return [undefined, undefined];
  const axis = normAxis(attrInt(node, 'axis') ?? 0, x.shape.length);
  const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
  const picks = numbers(idx);
  let data: S[] | undefined;
  if (x.data !== undefined && x.shape.length === 1 && picks !== undefined) {
    const n = x.data.length;
    data = picks.map((p) => x.data![p < 0 ? p + n : p] ?? null);
  }
  return [shape, data];
}

function pad(node: NodeProto, inputs: readonly (Info | undefined)[], opset: number): S[] | undefined {
  const shape = inputs[0]?.shape;
  if (shape === undefined) return undefined;
  const pads = opset < 11 ? attrInts(node, 'pads') ?? attrInts(node, 'paddings') : numbers(inputs[1]);
  if (pads === undefined) return shape.map(() => null);
  const axes = (node.input[3] ? numbers(inputs[3]) : undefined) ?? shape.map((_, i) => i);
  const out = [...shape];
  axes.forEach((a, i) => {
    const axis = normAxis(a, shape.length);
    const d = shape[axis] ?? null;
    out[axis] = d === null ? null : symAdd(d, symConst(pads[i]! + pads[i + axes.length]!));
  });
  return out;
}

function resize(node: NodeProto, inputs: readonly (Info | undefined)[], opset: number): S[] | undefined {
  const shape = inputs[0]?.shape;
  if (shape === undefined) return undefined;
  const sizesIndex = opset >= 11 ? 3 : -1;
  const sizes = sizesIndex > 0 && node.input[sizesIndex] ? inputs[sizesIndex]?.data : undefined;
  if (sizes !== undefined && sizes.length === shape.length) return sizes;
  const scalesIndex = opset >= 11 ? 2 : 1;
  const scales = attrFloats(node, 'scales') ?? inputs[scalesIndex]?.floats;
  if (scales === undefined || scales.length !== shape.length) return shape.map(() => null);
  return shape.map((d, i) => {
    const s = scales[i]!;
    if (d === null) return null;
    const n = symNumber(d);
    if (n !== undefined) return symConst(Math.floor(n * s));
    return Number.isInteger(s) ? symMul(d, symConst(s)) : null;
  });
}
