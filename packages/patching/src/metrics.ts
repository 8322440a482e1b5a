/**
 * Metrics: functions of a run's outputs that return one number, as in TransformerLens (a patching
 * metric is called with the outputs of the original batch under one patch). The helpers also
 * carry their gradient with respect to the output, which attribution patching needs.
 */
import { MechintError, Tensor, type HookedModel } from '@mechint/core';
import { ensure, type Feeds } from './internal.js';

/** The outputs of one run by graph-output name (`logits`, …), for the original batch. */
export type Outputs = Readonly<Record<string, Tensor>>;

/**
 * A metric: outputs → one number. Plain functions work everywhere except attribution patching,
 * which needs `gradient` (every helper here has one, except {@link accuracy}).
 */
export interface Metric {
  (outputs: Outputs): number;
  /** A name for messages. */
  readonly metricName?: string;
  /** d metric / d output at these outputs: the output's name and a tensor shaped like it. */
  readonly gradient?: (outputs: Outputs) => { output: string; seed: Tensor };
}

/** Where a metric reads: one position for every batch item, or one per item; negatives count from the end. */
export type PerItem = number | readonly number[];

/** Options shared by the logit metrics. */
export interface LogitMetricOptions {
  /** Graph output holding logits `[batch, pos, vocab]` or `[batch, classes]` (default: the first output given). */
  output?: string;
  /** Sequence position(s) to read (default −1, the last, as TransformerLens's logit-diff examples); ignored for `[batch, classes]` outputs. */
  position?: PerItem;
}

interface Logits {
  /** Output name. */
  name: string;
  /** Row-major logits. */
  data: Float32Array;
  /** Batch items. */
  batch: number;
  /** Positions (1 for `[batch, classes]`). */
  pos: number;
  /** Vocabulary or classes. */
  vocab: number;
}

function logitsOf(outputs: Outputs, output: string | undefined, metric: string): Logits {
  const name = output ?? Object.keys(outputs)[0];
  const t = name === undefined ? undefined : outputs[name];
  if (name === undefined || t === undefined) throw new MechintError('INVALID_ARGUMENT', `${metric}: no output '${output}'; outputs are ${Object.keys(outputs).join(', ')}.`);
  if (t.dtype !== 'float32' || (t.rank !== 3 && t.rank !== 2)) {
    throw new MechintError('SHAPE_MISMATCH', `${metric}: output '${name}' must be float32 logits [batch, pos, vocab] or [batch, classes]; got ${t.dtype} [${t.shape.join(', ')}].`);
  }
  const [batch, a, b] = t.shape as [number, number, number | undefined];
  return { name, data: t.data as Float32Array, batch, pos: b === undefined ? 1 : a, vocab: b ?? a };
}

function perItem(value: PerItem, batch: number, size: number, what: string, metric: string): number[] {
  const list = typeof value === 'number' ? new Array<number>(batch).fill(value) : [...value];
  ensure(list.length === batch, `${metric}: give one ${what} per batch item (${batch}); got ${list.length}.`, 'SHAPE_MISMATCH');
  return list.map((v) => {
    ensure(Number.isInteger(v) && v >= -size && v < size, `${metric}: ${what} ${v} is out of range for size ${size}.`);
    return v < 0 ? v + size : v;
  });
}

function named(fn: (outputs: Outputs) => number, metricName: string, gradient?: Metric['gradient']): Metric {
  return Object.assign(fn, { metricName, ...(gradient === undefined ? {} : { gradient }) });
}

function rowOffset(l: Logits, b: number, p: number): number {
  return (b * l.pos + p) * l.vocab;
}

/**
 * The logit of `token` at `position`, averaged over batch items.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { logitOf } from '@mechint/patching';
 * const m = logitOf({ token: 2, position: 0 });
 * console.log(m({ logits: Tensor.from([[[0, 1, 5]]]) })); // 5
 * ```
 */
export function logitOf(options: LogitMetricOptions & { token: PerItem }): Metric {
  const label = 'logitOf';
  const pick = (outputs: Outputs) => tokenAtPosition(outputs, options, label);
  return named(
    (outputs) => {
      const { l, pos, tok } = pick(outputs);
      let s = 0;
      for (let b = 0; b < l.batch; b++) s += l.data[rowOffset(l, b, pos[b]!) + tok[b]!]!;
      return s / l.batch;
    },
    label,
    (outputs) => {
      const { l, pos, tok } = pick(outputs);
      const seed = new Float32Array(l.data.length);
      for (let b = 0; b < l.batch; b++) seed[rowOffset(l, b, pos[b]!) + tok[b]!] = 1 / l.batch;
      return { output: l.name, seed: new Tensor('float32', seed, outputs[l.name]!.shape) };
    },
  );
}

/** The logits, and per batch item the position and token that `logitOf` / `probOf` read. */
function tokenAtPosition(outputs: Outputs, options: LogitMetricOptions & { token: PerItem }, label: string) {
  const l = logitsOf(outputs, options.output, label);
  return { l, pos: perItem(options.position ?? -1, l.batch, l.pos, 'position', label), tok: perItem(options.token, l.batch, l.vocab, 'token', label) };
}

/**
 * The logit difference `logit[correct] − logit[incorrect]` at `position`, averaged over batch items
 * (TransformerLens's IOI metric).
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { logitDiff } from '@mechint/patching';
 * console.log(logitDiff({ correct: 2, incorrect: 1 })({ logits: Tensor.from([[[0, 1, 5]]]) })); // 4
 * ```
 */
export function logitDiff(options: LogitMetricOptions & { correct: PerItem; incorrect: PerItem }): Metric {
  const label = 'logitDiff';
  const pick = (outputs: Outputs) => {
    const l = logitsOf(outputs, options.output, label);
    return {
      l,
      pos: perItem(options.position ?? -1, l.batch, l.pos, 'position', label),
      good: perItem(options.correct, l.batch, l.vocab, 'correct token', label),
      bad: perItem(options.incorrect, l.batch, l.vocab, 'incorrect token', label),
    };
  };
  return named(
    (outputs) => {
      const { l, pos, good, bad } = pick(outputs);
      let s = 0;
      for (let b = 0; b < l.batch; b++) {
        const o = rowOffset(l, b, pos[b]!);
        s += l.data[o + good[b]!]! - l.data[o + bad[b]!]!;
      }
      return s / l.batch;
    },
    label,
    (outputs) => {
      const { l, pos, good, bad } = pick(outputs);
      const seed = new Float32Array(l.data.length);
      for (let b = 0; b < l.batch; b++) {
        const o = rowOffset(l, b, pos[b]!);
        seed[o + good[b]!]! += 1 / l.batch;
        seed[o + bad[b]!]! -= 1 / l.batch;
      }
      return { output: l.name, seed: new Tensor('float32', seed, outputs[l.name]!.shape) };
    },
  );
}

/** Softmax of one logit row into `out` (float64). */
function softmaxRow(data: Float32Array, offset: number, n: number, out: Float64Array): void {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, data[offset + i]!);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += out[i] = Math.exp(data[offset + i]! - max);
  for (let i = 0; i < n; i++) out[i]! /= sum;
}

/**
 * The softmax probability of `token` at `position`, averaged over batch items.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { probOf } from '@mechint/patching';
 * console.log(probOf({ token: 0 })({ logits: Tensor.from([[[0, 0]]]) })); // 0.5
 * ```
 */
export function probOf(options: LogitMetricOptions & { token: PerItem }): Metric {
  const label = 'probOf';
  const probs = (outputs: Outputs) => {
    const { l, pos, tok } = tokenAtPosition(outputs, options, label);
    const rows = Array.from({ length: l.batch }, (_, b) => {
      const p = new Float64Array(l.vocab);
      softmaxRow(l.data, rowOffset(l, b, pos[b]!), l.vocab, p);
      return p;
    });
    return { l, pos, tok, rows };
  };
  return named(
    (outputs) => {
      const { l, tok, rows } = probs(outputs);
      return rows.reduce((s, p, b) => s + p[tok[b]!]!, 0) / l.batch;
    },
    label,
    (outputs) => {
      const { l, pos, tok, rows } = probs(outputs);
      const seed = new Float32Array(l.data.length);
      rows.forEach((p, b) => {
        const o = rowOffset(l, b, pos[b]!);
        const pt = p[tok[b]!]!;
        for (let v = 0; v < l.vocab; v++) seed[o + v] = ((v === tok[b] ? pt : 0) - pt * p[v]!) / l.batch;
      });
      return { output: l.name, seed: new Tensor('float32', seed, outputs[l.name]!.shape) };
    },
  );
}

/** Options of the metrics over next-token predictions. */
export interface TokenMetricOptions {
  /** Graph output holding logits `[batch, pos, vocab]` (default: the first output given). */
  output?: string;
  /** The token ids `[batch, pos]` the model read: position p is scored on predicting `tokens[p + 1]`. */
  tokens: Tensor;
  /** Positions scored (default: every position but the last, as TransformerLens's `lm_cross_entropy_loss`). */
  positions?: readonly number[];
}

function scored(options: TokenMetricOptions, outputs: Outputs, label: string): { l: Logits; positions: number[]; next: (b: number, p: number) => number } {
  const l = logitsOf(outputs, options.output, label);
  const t = options.tokens;
  ensure(t instanceof Tensor && t.rank === 2 && t.shape[0] === l.batch && t.shape[1] === l.pos, `${label}: tokens must be [batch, pos] = [${l.batch}, ${l.pos}] like the logits; got [${t?.shape?.join(', ')}].`, 'SHAPE_MISMATCH');
  const positions = options.positions === undefined ? Array.from({ length: l.pos - 1 }, (_, i) => i) : [...options.positions];
  ensure(positions.length > 0, `${label}: positions must not be empty.`);
  for (const p of positions) ensure(Number.isInteger(p) && p >= 0 && p < l.pos - 1, `${label}: position ${p} has no next token; positions run 0..${l.pos - 2}.`);
  const ids = t.data as unknown as ArrayLike<number | bigint>;
  return { l, positions, next: (b, p) => Number(ids[b * l.pos + p + 1]!) };
}

/**
 * Mean next-token cross-entropy over the batch and `positions` (natural log), as TransformerLens's
 * `lm_cross_entropy_loss`.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { crossEntropy } from '@mechint/patching';
 * const tokens = Tensor.from([[0n, 1n]]);
 * const ce = crossEntropy({ tokens })({ logits: Tensor.from([[[0, 0], [0, 0]]]) });
 * console.log(ce === Math.LN2); // true
 * ```
 */
export function crossEntropy(options: TokenMetricOptions): Metric {
  const label = 'crossEntropy';
  return named(
    (outputs) => {
      const { l, positions, next } = scored(options, outputs, label);
      const p = new Float64Array(l.vocab);
      let s = 0;
      for (let b = 0; b < l.batch; b++) {
        for (const q of positions) {
          softmaxRow(l.data, rowOffset(l, b, q), l.vocab, p);
          s -= Math.log(p[next(b, q)]!);
        }
      }
      return s / (l.batch * positions.length);
    },
    label,
    (outputs) => {
      const { l, positions, next } = scored(options, outputs, label);
      const seed = new Float32Array(l.data.length);
      const p = new Float64Array(l.vocab);
      const n = l.batch * positions.length;
      for (let b = 0; b < l.batch; b++) {
        for (const q of positions) {
          const o = rowOffset(l, b, q);
          softmaxRow(l.data, o, l.vocab, p);
          for (let v = 0; v < l.vocab; v++) seed[o + v] = (p[v]! - (v === next(b, q) ? 1 : 0)) / n;
        }
      }
      return { output: l.name, seed: new Tensor('float32', seed, outputs[l.name]!.shape) };
    },
  );
}

/**
 * Fraction of `positions` (over the batch) whose argmax logit is the next token.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { accuracy } from '@mechint/patching';
 * console.log(accuracy({ tokens: Tensor.from([[0n, 1n]]) })({ logits: Tensor.from([[[0, 3], [0, 0]]]) })); // 1
 * ```
 */
export function accuracy(options: TokenMetricOptions): Metric {
  const label = 'accuracy';
  return named((outputs) => {
    const { l, positions, next } = scored(options, outputs, label);
    let hits = 0;
    for (let b = 0; b < l.batch; b++) {
      for (const q of positions) {
        const o = rowOffset(l, b, q);
        let best = 0;
        for (let v = 1; v < l.vocab; v++) if (l.data[o + v]! > l.data[o + best]!) best = v;
        if (best === next(b, q)) hits++;
      }
    }
    return hits / (l.batch * positions.length);
  }, label);
}

/** Options of {@link klDivergence}. */
export interface KlDivergenceOptions {
  /** Graph output holding logits `[batch, pos, vocab]` or `[batch, classes]` (default: the first output given). */
  output?: string;
  /** The reference logits (usually the clean run's), shaped like the output. */
  reference: Tensor;
  /** Positions averaged over (default: every position). */
  positions?: readonly number[];
}

/**
 * KL(P_reference ‖ P_run) of the next-token distributions, averaged over the batch and
 * `positions` — the faithfulness metric of ACDC (Conmy et al. 2023).
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { klDivergence } from '@mechint/patching';
 * const reference = Tensor.from([[[1, 2, 3]]]);
 * console.log(klDivergence({ reference })({ logits: reference })); // 0
 * ```
 */
export function klDivergence(options: KlDivergenceOptions): Metric {
  const label = 'klDivergence';
  const setup = (outputs: Outputs) => {
    const l = logitsOf(outputs, options.output, label);
    const ref = options.reference;
    const shape = outputs[l.name]!.shape;
    ensure(ref instanceof Tensor && ref.dtype === 'float32' && ref.shape.length === shape.length && ref.shape.every((d, i) => d === shape[i]), `${label}: reference must be float32 logits shaped like the output [${shape.join(', ')}].`, 'SHAPE_MISMATCH');
    const positions = options.positions === undefined ? Array.from({ length: l.pos }, (_, i) => i) : [...options.positions];
    for (const p of positions) ensure(Number.isInteger(p) && p >= 0 && p < l.pos, `${label}: position ${p} is out of range 0..${l.pos - 1}.`);
    return { l, positions, ref: ref.data as Float32Array };
  };
  return named(
    (outputs) => {
      const { l, positions, ref } = setup(outputs);
      const p = new Float64Array(l.vocab);
      const q = new Float64Array(l.vocab);
      let s = 0;
      for (let b = 0; b < l.batch; b++) {
        for (const pos of positions) {
          const o = rowOffset(l, b, pos);
          softmaxRow(ref, o, l.vocab, p);
          softmaxRow(l.data, o, l.vocab, q);
          for (let v = 0; v < l.vocab; v++) if (p[v]! > 0) s += p[v]! * (Math.log(p[v]!) - Math.log(q[v]!));
        }
      }
      return s / (l.batch * positions.length);
    },
    label,
    (outputs) => {
      const { l, positions, ref } = setup(outputs);
      const seed = new Float32Array(l.data.length);
      const p = new Float64Array(l.vocab);
      const q = new Float64Array(l.vocab);
      const n = l.batch * positions.length;
      for (let b = 0; b < l.batch; b++) {
        for (const pos of positions) {
          const o = rowOffset(l, b, pos);
          softmaxRow(ref, o, l.vocab, p);
          softmaxRow(l.data, o, l.vocab, q);
          for (let v = 0; v < l.vocab; v++) seed[o + v] = (q[v]! - p[v]!) / n;
        }
      }
      return { output: l.name, seed: new Tensor('float32', seed, outputs[l.name]!.shape) };
    },
  );
}

/** The metric's name for messages. */
export function metricLabel(metric: Metric): string {
  return metric.metricName ?? (metric.name || 'metric');
}

/** Calls `metric` and checks that it returned one finite number (`INVALID_ARGUMENT` naming it otherwise). */
export function evaluate(metric: Metric, outputs: Outputs): number {
  const value: unknown = metric(outputs);
  const label = metricLabel(metric);
  let x: unknown = value;
  if (value instanceof Tensor) {
    ensure(value.size === 1, `The metric '${label}' returned a tensor of ${value.size} values; it must return one number (average over the batch inside the metric).`, 'INVALID_ARGUMENT', { metric: label, length: value.size });
    x = Number(value.data[0]);
  } else if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const list = value as ArrayLike<number>;
    ensure(list.length === 1, `The metric '${label}' returned ${list.length} values; it must return one number (average over the batch inside the metric).`, 'INVALID_ARGUMENT', { metric: label, length: list.length });
    x = list[0];
  }
  ensure(typeof x === 'number' && Number.isFinite(x), `The metric '${label}' returned ${String(x)}; it must return one finite number.`, 'INVALID_ARGUMENT', { metric: label, value: x });
  return x;
}

/** The clean and corrupted runs a sweep starts from, caching `hooks`, with their metric values. */
export async function referenceRuns(model: HookedModel, clean: Feeds, corrupted: Feeds, hooks: readonly string[], metric: Metric) {
  const cleanRun = await model.runWithCache(clean, { hooks: [...hooks] });
  const corruptedRun = await model.runWithCache(corrupted, { hooks: [...hooks] });
  return { cleanRun, corruptedRun, mClean: evaluate(metric, cleanRun.outputs), mCorrupted: evaluate(metric, corruptedRun.outputs) };
}
