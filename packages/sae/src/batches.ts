/**
 * Training batches from a tensor of activations (reshuffled every epoch with a seeded
 * permutation) or from an async stream of activation chunks.
 */
import { MechintError, Tensor, randomPermutation, seededRandom } from '@mechint/core';

/** Activations to train on: a tensor [n, dIn], or a stream of such chunks. */
export type ActivationSource = Tensor | AsyncIterable<Tensor>;

/**
 * Checks a chunk of activations: float [rows, dIn] without NaN.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { checkActivations } from '@mechint/sae';
 * checkActivations(Tensor.zeros([10, 64]), 64, 'activations'); // ok; [10, 32] would throw SHAPE_MISMATCH
 * ```
 */
export function checkActivations(chunk: unknown, dIn: number, what: string): Tensor<'float32'> {
  if (!(chunk instanceof Tensor)) throw new MechintError('INVALID_ARGUMENT', `${what} must be Tensors [n, ${dIn}]; got ${typeof chunk}.`);
  if (chunk.rank !== 2 || chunk.shape[1] !== dIn) {
    throw new MechintError('SHAPE_MISMATCH', `${what} must have shape [n, dIn = ${dIn}]; got [${chunk.shape.join(', ')}]. The SAE's dIn must match the hook's width.`, {
      details: { expected: [null, dIn], got: chunk.shape },
    });
  }
  const f = chunk.dtype === 'float32' ? (chunk as Tensor<'float32'>) : (chunk.clone('float32') as Tensor<'float32'>);
  const data = f.data;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      throw new MechintError('INVALID_ARGUMENT', `${what} hold a NaN or infinite value at row ${Math.floor(i / dIn)}; drop or fix those rows before training.`, { details: { row: Math.floor(i / dIn) } });
    }
  }
  return f;
}


/** Pulls fixed-size batches; `rows` counts rows handed out, so a resumed run continues where it stopped. */
export interface BatchStream {
  /** The next batch [batchSize, dIn], or undefined when the data ran out. */
  next(): Promise<Tensor<'float32'> | undefined>;
  /** Rows handed out so far (including those skipped on resume). */
  readonly rows: number;
}

/**
 * Batches of `batchSize` rows. A tensor is walked in a seeded random order, reshuffled per epoch;
 * a stream is read in order. `skipRows` skips rows already trained on (resuming): for a tensor
 * the order is recomputed, for a stream that many rows are read and dropped.
 */
export function batchStream(source: ActivationSource, dIn: number, batchSize: number, seed: number, skipRows: number): BatchStream {
  if (source instanceof Tensor) return tensorBatches(checkActivations(source, dIn, 'activations'), batchSize, seed, skipRows);
  if (source === null || typeof source !== 'object' || !(Symbol.asyncIterator in source)) {
    throw new MechintError('INVALID_ARGUMENT', `activations must be a Tensor [n, ${dIn}] or an AsyncIterable of such Tensors.`);
  }
  return streamBatches(source, dIn, batchSize, skipRows);
}

function tensorBatches(x: Tensor<'float32'>, batchSize: number, seed: number, skipRows: number): BatchStream {
  const n = x.shape[0]!;
  const dIn = x.shape[1]!;
  if (n === 0) throw new MechintError('INVALID_ARGUMENT', 'activations has no rows.');
  let rows = skipRows;
  let epoch = -1;
  let order: Uint32Array = new Uint32Array(0);
  return {
    get rows() {
      return rows;
    },
    async next() {
      const out = new Float32Array(batchSize * dIn);
      for (let r = 0; r < batchSize; r++, rows++) {
        const e = Math.floor(rows / n);
        if (e !== epoch) {
          epoch = e;
          order = randomPermutation(n, seededRandom(seed * 1_000_003 + e));
        }
        const src = order[rows % n]! * dIn;
        out.set(x.data.subarray(src, src + dIn), r * dIn);
      }
      return Tensor.from(out, [batchSize, dIn]) as Tensor<'float32'>;
    },
  };
}

function streamBatches(source: AsyncIterable<Tensor>, dIn: number, batchSize: number, skipRows: number): BatchStream {
  const iterator = source[Symbol.asyncIterator]();
  let rows = 0;
  let pending: Float32Array = new Float32Array(0);
  let done = false;
  const fill = async (need: number): Promise<boolean> => {
    while (pending.length < need * dIn && !done) {
      const step = await iterator.next();
      if (step.done === true) {
        done = true;
        break;
      }
      const chunk = checkActivations(step.value, dIn, 'activation chunks');
      const merged = new Float32Array(pending.length + chunk.data.length);
      merged.set(pending);
      merged.set(chunk.data, pending.length);
      pending = merged;
    }
    return pending.length >= need * dIn;
  };
  return {
    get rows() {
      return rows;
    },
    async next() {
      while (rows < skipRows) {
        const take = Math.min(skipRows - rows, batchSize);
        if (!(await fill(take))) return undefined;
        pending = pending.slice(take * dIn);
        rows += take;
      }
      if (!(await fill(batchSize))) return undefined;
      const out = pending.slice(0, batchSize * dIn);
      pending = pending.slice(batchSize * dIn);
      rows += batchSize;
      return Tensor.from(out, [batchSize, dIn]) as Tensor<'float32'>;
    },
  };
}
