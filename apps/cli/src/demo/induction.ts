/**
 * The induction task of the bundled transformer: repeated random sequences, their corrupted
 * twins, the correct-token metric, and per-head attention scores.
 */
import { Tensor, seededRandom } from '@mechint/core';

/** Clean and corrupted prompts of one batch. */
export interface InductionBatch {
  /** `[BOS, A, A]`: A is `half` distinct random tokens. */
  readonly clean: Tensor<'int64'>;
  /** `[BOS, A′, A]`: the first half replaced by other random tokens, so the repeat is gone. */
  readonly corrupted: Tensor<'int64'>;
  /** The tokens of `clean`, per item. */
  readonly tokens: readonly (readonly number[])[];
  readonly half: number;
}

function shuffled(pool: number[], random: () => number): number[] {
  const list = [...pool];
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

/** `batch` repeated sequences of `half` distinct tokens from `1 … vocab − 1` (0 is BOS), seeded. */
export function inductionBatch(batch: number, half: number, vocab: number, seed: number): InductionBatch {
  const random = seededRandom(seed);
  const pool = Array.from({ length: vocab - 1 }, (_, i) => i + 1);
  const tokens: number[][] = [];
  const corrupted: number[][] = [];
  for (let b = 0; b < batch; b++) {
    const a = shuffled(pool, random).slice(0, half);
    const other = shuffled(pool.filter((t) => !a.includes(t)).concat(a), random).slice(0, half);
    tokens.push([0, ...a, ...a]);
    corrupted.push([0, ...other, ...a]);
  }
  const length = 1 + 2 * half;
  const toTensor = (rows: number[][]) => new Tensor('int64', BigInt64Array.from(rows.flat(), (t) => BigInt(t)), [batch, length]);
  return { clean: toTensor(tokens), corrupted: toTensor(corrupted), tokens, half };
}

/** Positions whose next token the repeat determines: `half + 1 … 2·half − 1`. */
export function scoredPositions(half: number): number[] {
  return Array.from({ length: half - 1 }, (_, i) => half + 1 + i);
}

/**
 * The mean logit of the correct next token over the scored positions and items — the patching
 * metric (the second half is the same in the clean and corrupted prompts, so is the target).
 */
export function correctLogit(batch: InductionBatch): (outputs: Readonly<Record<string, Tensor>>) => number {
  const positions = scoredPositions(batch.half);
  return (outputs) => {
    const logits = outputs['logits']!;
    const [items, length, vocab] = logits.shape as [number, number, number];
    const data = logits.data as Float32Array;
    let total = 0;
    for (let b = 0; b < items; b++) for (const p of positions) total += data[(b * length + p) * vocab + batch.tokens[b]![p + 1]!]!;
    return total / (items * positions.length);
  };
}

/** Share of scored positions where the highest logit is the correct next token. */
export function accuracy(logits: Tensor, batch: InductionBatch): number {
  const positions = scoredPositions(batch.half);
  const [items, length, vocab] = logits.shape as [number, number, number];
  const data = logits.data as Float32Array;
  let hits = 0;
  for (let b = 0; b < items; b++) {
    for (const p of positions) {
      const row = data.subarray((b * length + p) * vocab, (b * length + p + 1) * vocab);
      if (row.indexOf(Math.max(...row)) === batch.tokens[b]![p + 1]) hits++;
    }
  }
  return hits / (items * positions.length);
}

/** Previous-token and induction scores of every head of one layer's pattern `[batch, head, q, k]`. */
export interface HeadScores {
  /** Mean attention from every position after BOS to the one before it. */
  readonly previousToken: number[];
  /** Mean attention from a second-half position to the token after its first occurrence. */
  readonly induction: number[];
}

/**
 * Scores of each head, averaged over items: previous-token over every position after BOS,
 * induction over the repeated half (the definitions of `tools/fixtures/gpt.py`'s `head_scores`).
 */
export function headScores(pattern: Tensor, half: number): HeadScores {
  const [items, heads, q, k] = pattern.shape as [number, number, number, number];
  const data = pattern.data as Float32Array;
  const at = (b: number, h: number, i: number, j: number) => data[((b * heads + h) * q + i) * k + j]!;
  const previousToken: number[] = [];
  const induction: number[] = [];
  for (let h = 0; h < heads; h++) {
    let prev = 0;
    let ind = 0;
    for (let b = 0; b < items; b++) {
      for (let i = 1; i < q; i++) prev += at(b, h, i, i - 1);
      for (let i = half + 1; i <= 2 * half; i++) ind += at(b, h, i, i - half + 1);
    }
    previousToken.push(prev / (items * (q - 1)));
    induction.push(ind / (items * half));
  }
  return { previousToken, induction };
}
