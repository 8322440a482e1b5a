/**
 * The task the fixture transformer was trained on, shared by the tutorials that run it
 * (`packages/core/test/fixtures/gpt2l.onnx`, described in `gpt2l.meta.json`): a beginning-of-sequence
 * token 0, `repeated` distinct random tokens from 1..23, then the same tokens again. A model that has
 * learned induction predicts every token of the second half from its first occurrence.
 */
import { Tensor, seededRandom } from '@mechint/core';

/** The fixture model, from the repository root (the tutorials run from there). */
export const GPT2L = new URL('../packages/core/test/fixtures/gpt2l.onnx', import.meta.url).pathname;

/** Vocabulary size of the fixture model (token 0 is the beginning of sequence). */
export const VOCAB = 24;

/** Options of {@link inductionBatch}. */
export interface InductionBatchOptions {
  /** Number of prompts. */
  batch: number;
  /** Length L of the repeated half (the model was trained on L in 4..15). */
  repeated: number;
  /** Seed of the random tokens. */
  seed: number;
  /** Draw the second half afresh instead of repeating the first (a prompt with nothing to copy). */
  unrepeated?: boolean;
}

/**
 * Prompts `[0, t₁ … t_L, t₁ … t_L]` as an int64 tensor `[batch, 1 + 2L]`.
 *
 * @example
 * ```ts
 * const tokens = inductionBatch({ batch: 8, repeated: 10, seed: 1 }); // [8, 21]
 * ```
 */
export function inductionBatch(options: InductionBatchOptions): Tensor<'int64'> {
  const { batch, repeated, seed } = options;
  const random = seededRandom(seed);
  const draw = (): number[] => {
    const pool = Array.from({ length: VOCAB - 1 }, (_, i) => i + 1);
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    return pool.slice(0, repeated);
  };
  const rows = Array.from({ length: batch }, () => {
    const half = draw();
    return [0, ...half, ...(options.unrepeated === true ? draw() : half)];
  });
  return Tensor.from(rows.flat().map(BigInt), [batch, 1 + 2 * repeated], 'int64');
}

/**
 * The logit positions that can be predicted by induction: `L+1 … 2L−1` (position `p` predicts
 * token `p+1`; from the second token of the repeat on, it occurred before).
 */
export function scoredPositions(repeated: number): number[] {
  return Array.from({ length: repeated - 1 }, (_, i) => repeated + 1 + i);
}

/**
 * Fraction of scored positions where the model's top token is the next token of `targets`
 * (by default the prompts themselves).
 *
 * @example
 * ```ts
 * inductionAccuracy(outputs['logits']!, tokens, 10); // 1 for the trained model
 * ```
 */
export function inductionAccuracy(logits: Tensor, targets: Tensor<'int64'>, repeated: number): number {
  let hits = 0;
  let total = 0;
  for (const { row, target } of scoredRows(logits, targets, repeated)) {
    hits += row.indexOf(Math.max(...row)) === target ? 1 : 0;
    total++;
  }
  return hits / total;
}

/**
 * Mean log-probability the model gives the correct next token at the scored positions: a smooth
 * version of {@link inductionAccuracy} (0 is perfect, `−ln 23 ≈ −3.1` is a uniform guess).
 */
export function inductionLogProb(logits: Tensor, targets: Tensor<'int64'>, repeated: number): number {
  let sum = 0;
  let total = 0;
  for (const { row, target } of scoredRows(logits, targets, repeated)) {
    const max = Math.max(...row);
    const logZ = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    sum += row[target]! - logZ;
    total++;
  }
  return sum / total;
}

/** The logits row of every scored position with the token that comes next there. */
function* scoredRows(logits: Tensor, targets: Tensor<'int64'>, repeated: number): Generator<{ row: Float32Array; target: number }> {
  const [batch, positions, vocab] = logits.shape as [number, number, number];
  const data = logits.data as Float32Array;
  for (let b = 0; b < batch; b++) {
    for (const p of scoredPositions(repeated)) {
      yield { row: data.subarray((b * positions + p) * vocab, (b * positions + p + 1) * vocab), target: Number(targets.get(b, p + 1)) };
    }
  }
}
