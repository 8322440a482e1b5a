/**
 * Gradient rules of the `com.microsoft` operators that onnxruntime's transformer optimizer emits
 * (GELU variants, fused layer norms, rotary embeddings), with their semantics as in onnxruntime's
 * docs/ContribOperators.md. Every rule is exact (no approximation beyond the forward op's own).
 */
import type { ModelIR } from '../../onnx/model.js';
import { Splicer } from '../../hooks/splicer.js';
import { Tensor } from '../../tensor/tensor.js';
import type { GradContext, GradRule } from '../context.js';

/** d/dx of the exact (erf) GELU, x·Φ(x): Φ(x) + x·φ(x). */
function erfGeluSlope(ctx: GradContext, x: string): string {
  const cdf = ctx.op('Mul', [ctx.scalar(0.5, x), ctx.op('Add', [ctx.scalar(1, x), ctx.op('Erf', [ctx.op('Mul', [x, ctx.scalar(Math.SQRT1_2, x)])])])]);
  const pdf = ctx.op('Mul', [ctx.scalar(1 / Math.sqrt(2 * Math.PI), x), ctx.op('Exp', [ctx.op('Mul', [ctx.scalar(-0.5, x), ctx.op('Mul', [x, x])])])]);
  return ctx.op('Add', [cdf, ctx.op('Mul', [x, pdf])]);
}

/** d/dx of the tanh GELU ½x(1 + tanh(√(2/π)(x + 0.044715x³))). */
function tanhGeluSlope(ctx: GradContext, x: string): string {
  const c = Math.sqrt(2 / Math.PI);
  const x2 = ctx.op('Mul', [x, x]);
  const t = ctx.op('Tanh', [ctx.op('Mul', [ctx.scalar(c, x), ctx.op('Mul', [x, ctx.op('Add', [ctx.scalar(1, x), ctx.op('Mul', [ctx.scalar(0.044715, x), x2])])])])]);
  const dInner = ctx.op('Mul', [ctx.scalar(c, x), ctx.op('Add', [ctx.scalar(1, x), ctx.op('Mul', [ctx.scalar(3 * 0.044715, x), x2])])]);
  const half = ctx.op('Mul', [ctx.scalar(0.5, x), ctx.op('Add', [ctx.scalar(1, x), t])]);
  const slope = ctx.op('Mul', [ctx.op('Mul', [ctx.scalar(0.5, x), x]), ctx.op('Mul', [ctx.op('Sub', [ctx.scalar(1, x), ctx.op('Mul', [t, t])]), dInner])]);
  return ctx.op('Add', [half, slope]);
}

/** A GELU of `X + bias` (bias optional, input 1): the gradient of X, and of the bias summed over the leading axes. */
function biasedActivation(slope: (ctx: GradContext, x: string) => string): GradRule {
  return (ctx) => {
    const bias = ctx.input(1);
    const x = bias === '' ? ctx.input(0) : ctx.op('Add', [ctx.input(0), bias]);
    const gx = ctx.op('Mul', [ctx.grad(0)!, slope(ctx, x)]);
    return [ctx.needs(0) ? ctx.reduceLike(gx, ctx.input(0)) : undefined, bias !== '' && ctx.needs(1) ? ctx.reduceLike(gx, bias) : undefined];
  };
}

/**
 * The backward pass of a layer norm over the axes from `axis` on (`rms`: the simplified one, no
 * mean subtracted): gradients of the normalised input `x`, the scale and (when present) the bias.
 */
function normBackward(ctx: GradContext, x: string, g: string, scale: string, bias: string, rms: boolean): { gx: string; gScale: string; gBias: string | undefined } {
  const axis = ctx.attrInt('axis', -1);
  const eps = ctx.attrFloat('epsilon', 1e-5);
  const flat = (v: string) => ctx.op('Flatten', [v], { axis: BigInt(axis) });
  const mean = (v: string) => ctx.reduce('ReduceMean', v, [1], true);
  const x2 = flat(x);
  const centred = rms ? x2 : ctx.op('Sub', [x2, mean(x2)]);
  const invStd = ctx.op('Reciprocal', [ctx.op('Sqrt', [ctx.op('Add', [mean(ctx.op('Mul', [centred, centred])), ctx.scalar(eps, x)])])]);
  const xhat = ctx.op('Mul', [centred, invStd]);
  const g2 = flat(g);
  const gScale = ctx.op('Reshape', [ctx.reduceSum(ctx.op('Mul', [g2, xhat]), [0], false), ctx.shape(scale)]);
  const gBias = bias === '' ? undefined : ctx.op('Reshape', [ctx.reduceSum(g2, [0], false), ctx.shape(bias)]);
  const gh = ctx.op('Mul', [g2, ctx.op('Reshape', [scale, ctx.ints([1, -1])])]);
  const projected = ctx.op('Mul', [xhat, mean(ctx.op('Mul', [gh, xhat]))]);
  const inner = rms ? ctx.op('Sub', [gh, projected]) : ctx.op('Sub', [ctx.op('Sub', [gh, mean(gh)]), projected]);
  return { gx: ctx.op('Reshape', [ctx.op('Mul', [invStd, inner]), ctx.shape(x)]), gScale, gBias };
}

/** Refuses gradients flowing into the statistics outputs (mean, inverse std) of a norm. */
function noStatisticsGrads(ctx: GradContext, outputs: readonly number[]): void {
  if (outputs.some((i) => ctx.grad(i) !== undefined)) ctx.unsupported('gradients flowing into the mean or inv_std_var outputs');
}

/**
 * Skip(Simplified)LayerNormalization: s = input + skip (+ bias), y = norm(s)·gamma (+ beta); output 3
 * is s itself (the residual stream the next block reads), so its gradient adds to s's.
 */
function skipNorm(rms: boolean): GradRule {
  return (ctx) => {
    noStatisticsGrads(ctx, [1, 2]);
    const [input, skip, gamma] = [ctx.input(0), ctx.input(1), ctx.input(2)];
    const beta = rms ? '' : ctx.input(3);
    const biasIndex = rms ? 3 : 4;
    const bias = ctx.input(biasIndex);
    const sum = ctx.output(3) !== '' ? ctx.output(3) : bias === '' ? ctx.op('Add', [input, skip]) : ctx.op('Add', [ctx.op('Add', [input, skip]), bias]);
    const g = ctx.gradOrZeros(0);
    const { gx, gScale, gBias } = normBackward(ctx, sum, g, gamma, beta, rms);
    const gs = ctx.grad(3) === undefined ? gx : ctx.op('Add', [gx, ctx.grad(3)!]);
    const grads: (string | undefined)[] = [
      ctx.needs(0) ? gs : undefined,
      ctx.needs(1) ? ctx.reduceLike(gs, skip, input) : undefined,
      ctx.needs(2) ? gScale : undefined,
    ];
    if (!rms) grads.push(ctx.needs(3) ? gBias : undefined);
    grads.push(bias !== '' && ctx.needs(biasIndex) ? ctx.reduceLike(gs, bias, input) : undefined);
    return grads;
  };
}

/** SimplifiedLayerNormalization (RMSNorm: y = x / √(mean(x²) + ε) · scale over the axes from `axis`). */
const simplifiedNorm: GradRule = (ctx) => {
  noStatisticsGrads(ctx, [1]);
  const { gx, gScale } = normBackward(ctx, ctx.input(0), ctx.grad(0)!, ctx.input(1), '', true);
  return [ctx.needs(0) ? gx : undefined, ctx.needs(1) ? gScale : undefined];
};

/**
 * The rank of `value`: known, or followed through the nodes that build attention masks (Cast,
 * Reduce* with constant axes, ConstantOfShape of a Shape).
 */
function rankOf(ctx: GradContext, value: string, depth = 0): number | undefined {
  const known = ctx.rankOf(value);
  const producer = ctx.producerOf(value);
  if (known !== undefined || producer === undefined || depth > 8) return known;
  const input = producer.input[0] ?? '';
  if (['Cast', 'Identity', 'Not', 'Equal', 'Greater', 'Less', 'Where'].includes(producer.opType)) return rankOf(ctx, input, depth + 1);
  if (producer.opType === 'Shape') return 1;
  if (producer.opType === 'ConstantOfShape') {
    const source = ctx.producerOf(input);
    return source?.opType === 'Shape' && source.attribute.length === 0 ? rankOf(ctx, source.input[0]!, depth + 1) : undefined;
  }
  if (producer.opType.startsWith('Reduce')) {
    const keep = (producer.attribute.find((a) => a.name === 'keepdims')?.i ?? 1n) === 1n;
    const axes = producer.input[1] ? ctx.constantInts(producer.input[1]) : producer.attribute.find((a) => a.name === 'axes')?.ints.map(Number);
    const rank = rankOf(ctx, input, depth + 1);
    return keep ? rank : axes === undefined || rank === undefined ? undefined : rank - axes.length;
  }
  return undefined;
}

/**
 * The additive mask of an Attention node on scores `[B, N, S, T]`: `mask_filter_value` (default
 * −10000) where `mask_index` (end positions `[B]` or end and start positions `[2B]`, or a 0/1 mask
 * `[B, T]` or `[B, S, T]`) or `unidirectional` masks a key, else 0; `undefined` when nothing is masked.
 */
function attentionMask(ctx: GradContext, scores: string, mask: string): string | undefined {
  const unidirectional = ctx.attrInt('unidirectional', 0) === 1;
  if (mask === '' && !unidirectional) return undefined;
  const keys = ctx.op('Slice', [ctx.shape(scores), ctx.ints([3]), ctx.ints([4])]);
  const keeps: string[] = [];
  if (mask !== '') {
    const rank = rankOf(ctx, mask) ?? ctx.unsupported('a mask_index of unknown rank');
    const m = ctx.op('Cast', [mask], { to: 7n });
    if (rank === 1) {
      const batch = ctx.op('Slice', [ctx.shape(scores), ctx.ints([0]), ctx.ints([1])]);
      const padded = ctx.op('Concat', [m, ctx.op('ConstantOfShape', [batch], { value: Tensor.from([0n], [1], 'int64') })], { axis: 0n });
      const end = ctx.op('Slice', [padded, ctx.ints([0]), batch]);
      const start = ctx.op('Slice', [padded, batch, ctx.op('Add', [batch, batch])]);
      const j = ctx.op('Range', [ctx.int(0), ctx.op('Squeeze', [keys, ctx.ints([0])]), ctx.int(1)]);
      const inRange = ctx.op('And', [ctx.op('Less', [j, ctx.unsqueeze(end, [1])]), ctx.op('Not', [ctx.op('Less', [j, ctx.unsqueeze(start, [1])])])]);
      keeps.push(ctx.unsqueeze(inRange, [1, 2]));
    } else if (rank === 2 || rank === 3) {
      const nonzero = ctx.op('Not', [ctx.op('Equal', [m, ctx.constant(Tensor.from([0n], [], 'int64'))])]);
      keeps.push(ctx.unsqueeze(nonzero, rank === 2 ? [1, 2] : [1]));
    } else ctx.unsupported(`a ${rank}-D mask_index`);
  }
  if (unidirectional) {
    const square = ctx.op('Slice', [ctx.shape(scores), ctx.ints([2]), ctx.ints([4])]);
    const ones = ctx.op('ConstantOfShape', [square], { value: Tensor.from([1n], [1], 'int64') });
    keeps.push(ctx.op('Cast', [ctx.op('Trilu', [ones], { upper: 0n })], { to: 9n }));
  }
  const keep = keeps.length === 1 ? keeps[0]! : ctx.op('And', [keeps[0]!, keeps[1]!]);
  return ctx.op('Where', [keep, ctx.scalar(0, scores), ctx.scalar(ctx.attrFloat('mask_filter_value', -10000), scores)]);
}

/**
 * Attention (com.microsoft, BERT-style self-attention with packed QKV weights): recomputes
 * q, k, v and the attention pattern P = softmax(q·kᵀ·scale + mask + attention_bias), then the usual
 * backward pass: dP = dO·vᵀ, dv = Pᵀ·dO, dS = P ⊙ (dP − Σ dP ⊙ P), dq = dS·k·scale, dk = dSᵀ·q·scale,
 * and the packed projection's gradients.
 */
const attention: GradRule = (ctx) => {
  if (ctx.input(4) !== '') ctx.unsupported('a past key / value state');
  if (ctx.needs(5)) ctx.unsupported('gradients with respect to attention_bias');
  const [gx, gw, gb] = attentionGrads(ctx, { x: ctx.input(0), w: ctx.input(1), bias: ctx.input(2), mask: ctx.input(3), attentionBias: ctx.input(5) });
  return [ctx.needs(0) ? gx : undefined, ctx.needs(1) ? gw : undefined, ctx.needs(2) ? gb : undefined];
};

/**
 * The backward pass of multi-head scaled dot-product attention on `[B, S, N·h]` projections q, k,
 * v (`num_heads` N): recomputes P = softmax(q·kᵀ·scale + mask + attention_bias), then dP = dO·vᵀ,
 * dv = Pᵀ·dO, dS = P ⊙ (dP − Σ dP ⊙ P), dq = dS·k·scale, dk = dSᵀ·q·scale, back in `[B, S, N·h]`.
 */
function scaledDotProductGrads(ctx: GradContext, q3: string, k3: string, v3: string, scale: number, maskIndex: string, attentionBias: string): [string, string, string] {
  const heads = ctx.attrInt('num_heads', 0);
  const perm = { perm: [0n, 2n, 1n, 3n] };
  const toHeads = (t: string) => ctx.op('Transpose', [ctx.op('Reshape', [t, ctx.ints([0, 0, heads, -1])])], perm);
  const fromHeads = (t: string) => ctx.op('Reshape', [ctx.op('Transpose', [t], perm), ctx.ints([0, 0, -1])]);
  const swap = (t: string) => ctx.op('Transpose', [t], { perm: [0n, 1n, 3n, 2n] });
  const [q, k, v] = [q3, k3, v3].map(toHeads) as [string, string, string];
  let scores = ctx.op('Mul', [ctx.op('MatMul', [q, swap(k)]), ctx.scalar(scale, ctx.output(0))]);
  const mask = attentionMask(ctx, scores, maskIndex);
  if (mask !== undefined) scores = ctx.op('Add', [scores, mask]);
  if (attentionBias !== '') scores = ctx.op('Add', [scores, attentionBias]);
  const p = ctx.op('Softmax', [scores], { axis: -1n });
  const g = toHeads(ctx.grad(0)!);
  const gp = ctx.op('MatMul', [g, swap(v)]);
  const gv = ctx.op('MatMul', [swap(p), g]);
  const gs = ctx.op('Mul', [p, ctx.op('Sub', [gp, ctx.reduceSum(ctx.op('Mul', [gp, p]), [-1], true)])]);
  const gq = ctx.op('Mul', [ctx.op('MatMul', [gs, k]), ctx.scalar(scale, ctx.output(0))]);
  const gk = ctx.op('Mul', [ctx.op('MatMul', [swap(gs), q]), ctx.scalar(scale, ctx.output(0))]);
  return [fromHeads(gq), fromHeads(gk), fromHeads(gv)];
}

/**
 * MultiHeadAttention (com.microsoft) on separate `[B, S, D]` query and `[B, L, D]` key / value
 * inputs, with an optional packed bias `[D + D + Dv]`, key_padding_mask and attention_bias (no
 * packed or 5-D forms, no past state): the gradients of query, key, value and bias.
 */
const multiHeadAttention: GradRule = (ctx) => {
  if ([6, 7].some((i) => ctx.input(i) !== '')) ctx.unsupported('a past key / value state');
  if (ctx.grad(1) !== undefined || ctx.grad(2) !== undefined) ctx.unsupported('gradients flowing into the present state');
  if (ctx.needs(5)) ctx.unsupported('gradients with respect to attention_bias');
  const [query, key, value, bias] = [ctx.input(0), ctx.input(1), ctx.input(2), ctx.input(3)];
  if (key === '' || value === '' || ctx.rankOf(key) !== 3 || ctx.rankOf(value) !== 3) ctx.unsupported('packed or 5-D query / key / value (only separate [B, S, D] inputs)');
  const width = (v: string) => {
    const d = ctx.shapeOf(v)?.[2];
    return typeof d === 'number' ? d : ctx.unsupported('a hidden size unknown at build time');
  };
  const sizes = [width(query), width(key), width(value)];
  const scale = ctx.attrFloat('scale', 0) || 1 / Math.sqrt(sizes[0]! / ctx.attrInt('num_heads', 0));
  const biases = bias === '' ? undefined : ctx.ops('Split', [bias, ctx.ints(sizes)], { axis: 0n }, 3);
  const [q, k, v] = [query, key, value].map((t, i) => (biases === undefined ? t : ctx.op('Add', [t, biases[i]!])));
  const [gq, gk, gv] = scaledDotProductGrads(ctx, q!, k!, v!, scale, ctx.input(4), ctx.input(5));
  const columnSums = (g: string, size: number) => ctx.reduceSum(ctx.op('Reshape', [g, ctx.ints([-1, size])]), [0], false);
  const gBias = bias !== '' && ctx.needs(3) ? ctx.op('Concat', [columnSums(gq, sizes[0]!), columnSums(gk, sizes[1]!), columnSums(gv, sizes[2]!)], { axis: 0n }) : undefined;
  return [ctx.needs(0) ? gq : undefined, ctx.needs(1) ? gk : undefined, ctx.needs(2) ? gv : undefined, gBias];
};

/** The float operands of an attention node (absent ones `''`). */
interface AttentionOperands {
  x: string;
  w: string;
  bias: string;
  mask: string;
  attentionBias: string;
  /** A value with the weight's static shape (`w` itself unless it is computed, e.g. dequantized). */
  weightShape?: string;
}

/**
 * Gradients of the input, packed weight and bias of a (Q)Attention node's output 0 (the weight's
 * only when input 1 needs one, the bias's only when input 2 does).
 *
 * @internal Shared by the Attention and QAttention rules.
 */
export function attentionGrads(ctx: GradContext, { x, w, bias, mask: maskIndex, attentionBias, weightShape }: AttentionOperands): [string | undefined, string | undefined, string | undefined] {
  if (ctx.attrInt('do_rotary', 0) !== 0) ctx.unsupported('do_rotary');
  if (ctx.grad(1) !== undefined) ctx.unsupported('gradients flowing into the present state');
  const heads = ctx.attrInt('num_heads', 0);
  const wShape = ctx.shapeOf(weightShape ?? w);
  const known = (d: unknown): number => (typeof d === 'number' ? d : ctx.unsupported('a weight of unknown shape'));
  const [din, total] = [known(wShape?.[0]), known(wShape?.[1])];
  const sizes = ctx.attrInts('qkv_hidden_sizes') ?? [total / 3, total / 3, total / 3];
  const scale = ctx.attrFloat('scale', 0) || 1 / Math.sqrt(sizes[0]! / heads);
  const projected = ctx.op('MatMul', [x, w]);
  const qkv = bias === '' ? projected : ctx.op('Add', [projected, bias]);
  const [q, k, v] = ctx.ops('Split', [qkv, ctx.ints(sizes)], { axis: -1n }, 3) as [string, string, string];
  const gqkv = ctx.op('Concat', scaledDotProductGrads(ctx, q, k, v, scale, maskIndex, attentionBias), { axis: -1n });
  const rows = ctx.op('Reshape', [gqkv, ctx.ints([-1, total])]);
  return [
    ctx.op('MatMul', [gqkv, ctx.op('Transpose', [w], { perm: [1n, 0n] })]),
    ctx.needs(1) ? ctx.op('Gemm', [ctx.op('Reshape', [x, ctx.ints([-1, din])]), rows], { transA: 1n }) : undefined,
    bias !== '' && ctx.needs(2) ? ctx.reduceSum(rows, [0], false) : undefined,
  ];
}

/**
 * EmbedLayerNormalization(input_ids, segment_ids?, word_embedding, position_embedding,
 * segment_embedding?, gamma, beta, mask?, position_ids?): e = word[ids] + position[positions]
 * (+ segment[segment_ids]), y = LayerNorm(e)·gamma + beta; output 2 is e. Positions are 0…S−1
 * per row unless position_ids are given. The tables get their read rows' gradients added (dense).
 */
const embedLayerNorm: GradRule = (ctx) => {
  if (ctx.node.attribute.every((a) => a.name !== 'epsilon')) ctx.unsupported('no epsilon attribute');
  const [ids, segments, word, position, segmentTable, gamma, beta, , positionIds] = Array.from({ length: 9 }, (_, i) => ctx.input(i)) as [string, string, string, string, string, string, string, string, string];
  const shape = ctx.shape(ids);
  const indices = (v: string) => ctx.op('Cast', [v], { to: 7n });
  const length = ctx.op('Squeeze', [ctx.op('Slice', [shape, ctx.ints([1]), ctx.ints([2])]), ctx.ints([0])]);
  const positions = ctx.op('Expand', [positionIds === '' ? ctx.op('Range', [ctx.int(0), length, ctx.int(1)]) : indices(positionIds), shape]);
  const reads: [string, string][] = [[word, indices(ids)], [position, positions]];
  if (segmentTable !== '' && segments !== '') reads.push([segmentTable, indices(segments)]);
  const parts = reads.map(([table, at]) => ctx.op('Gather', [table, at]));
  const e = parts.reduce((a, b) => ctx.op('Add', [a, b]));
  const { gx, gScale, gBias } = normBackward(ctx, e, ctx.gradOrZeros(0), gamma, beta, false);
  const ge = ctx.grad(2) === undefined ? gx : ctx.op('Add', [gx, ctx.grad(2)!]);
  const tableGrad = (table: string, at: string) => ctx.op('ScatterND', [ctx.zerosLike(table), ctx.unsqueeze(at, [-1]), ge], { reduction: 'add' });
  const grads: (string | undefined)[] = new Array<string | undefined>(9).fill(undefined);
  for (const [k, [table, at]] of reads.entries()) {
    const index = [2, 3, 4][k]!;
    if (ctx.needs(index)) grads[index] = tableGrad(table, at);
  }
  if (ctx.needs(5)) grads[5] = gScale;
  if (ctx.needs(6)) grads[6] = gBias;
  return grads;
};

/** Rules of `com.microsoft` operators, by operator type. */
export const CONTRIB_RULES: Readonly<Record<string, GradRule>> = {
  /** Gelu: exact x·Φ(x). */
  Gelu: biasedActivation(erfGeluSlope),
  /** BiasGelu(A, B) = Gelu(A + B). */
  BiasGelu: biasedActivation(erfGeluSlope),
  /** FastGelu(X, bias?) = tanh-approximated Gelu(X + bias). */
  FastGelu: biasedActivation(tanhGeluSlope),
  /** QuickGelu(X) = X·σ(αX), α = `alpha` (default 1.702): slope σ(αx)(1 + αx(1 − σ(αx))). */
  QuickGelu: (ctx) => {
    const x = ctx.input(0);
    const ax = ctx.op('Mul', [x, ctx.scalar(ctx.attrFloat('alpha', 1.702), x)]);
    const s = ctx.op('Sigmoid', [ax]);
    const slope = ctx.op('Mul', [s, ctx.op('Add', [ctx.scalar(1, x), ctx.op('Mul', [ax, ctx.op('Sub', [ctx.scalar(1, x), s])])])]);
    return [ctx.op('Mul', [ctx.grad(0)!, slope])];
  },
  Attention: attention,
  EmbedLayerNormalization: embedLayerNorm,
  MultiHeadAttention: multiHeadAttention,
  SkipLayerNormalization: skipNorm(false),
  SkipSimplifiedLayerNormalization: skipNorm(true),
  /**
   * RotaryEmbedding(input, position_ids, cos_cache, sin_cache) rotates each pair of the first
   * `rotary_embedding_dim` features by the position's angle θ (the rest passes unchanged): a linear
   * map whose transpose is the rotation by −θ, i.e. the same op with the sine cache negated.
   */
  RotaryEmbedding: (ctx) => {
    if (ctx.needs(2) || ctx.needs(3)) ctx.unsupported('gradients with respect to the cos / sin caches');
    const [back] = ctx.replay([ctx.grad(0)!, ctx.input(1), ctx.input(2), ctx.op('Neg', [ctx.input(3)])], 1);
    return [back];
  },
};

/**
 * Operators that onnxruntime registers in the default domain although ONNX does not define them
 * there (its transformer optimizer writes them so; there is no `com.microsoft` form). Its
 * `LayerNormalization` of the default domain before opset 17 has the standard operator's rule.
 */
export const ORT_DEFAULT_DOMAIN_RULES: Readonly<Record<string, GradRule>> = {
  SimplifiedLayerNormalization: simplifiedNorm,
};

const FUSED_SUMS = new Set(['SkipLayerNormalization', 'SkipSimplifiedLayerNormalization']);

/**
 * Splits the residual sum out of every Skip(Simplified)LayerNormalization whose sum output
 * (`input_skip_bias_sum`, output 3) is in `wrt`, in place: `s = input + skip (+ bias)` becomes its own
 * `Add` (keeping the name), and the norm reads `s` (with a zero skip). Inside the fused node the
 * norm reads the inputs, not output 3, so without the split the gradient with respect to output 3
 * would miss the path through the norm — the residual stream's gradient would be partial.
 *
 * @internal `gradients` applies it to its working copy of the model.
 */
export function exposeFusedSums(model: ModelIR, wrt: readonly string[]): ModelIR {
  const wanted = new Set(wrt);
  const graph = model.graph;
  const targets = graph.nodes.filter((n) => n.domain === 'com.microsoft' && FUSED_SUMS.has(n.opType) && wanted.has(n.output[3] ?? ''));
  if (targets.length === 0) return model;
  const splicer = new Splicer(graph, model.opset() ?? 17, '__mechint_unfuse');
  for (const node of targets) {
    const sum = node.output[3]!;
    const biasIndex = node.opType === 'SkipLayerNormalization' ? 4 : 3;
    const bias = node.input[biasIndex] ?? '';
    node.output[3] = '';
    graph.invalidate();
    const partial = bias === '' ? [node.input[0]!, node.input[1]!] : [splicer.op('Add', [node.input[0]!, node.input[1]!]), bias];
    splicer.node('Add', partial, {}, [sum]);
    node.input[0] = sum;
    node.input[1] = splicer.op('Sub', [sum, sum]);
    if (bias !== '') node.input[biasIndex] = '';
    graph.invalidate();
  }
  return model;
}
