/**
 * Inputs the gradient benchmarks share with their Python references: tokens and output seeds from
 * a 32-bit integer hash of the element index, computed identically in
 * tools/bench-models/hashed_inputs.py — and the error measure the benchmarks report.
 */
import { Tensor } from '@mechint/core';

/** Salts of the token and seed hashes; hashed_inputs.py uses the same. */
const TOKEN_SALT = 0x9e3779b9;
const SEED_SALT = 0x85ebca6b;

/** Chris Wellons's lowbias32 integer hash (uint32 in, uint32 out). */
function hash32(index: number): number {
  let x = index >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** tokens[i] = hash(i ^ TOKEN_SALT) % vocab; seed[i] = hash(i ^ SEED_SALT) / 2^32 · 2 − 1, as float32. */
export function hashedInputs(batch: number, seq: number, vocab: number): { tokens: Tensor<'int64'>; seed: Tensor } {
  const ids = Array.from({ length: batch * seq }, (_, i) => BigInt(hash32(i ^ TOKEN_SALT) % vocab));
  const seed = new Float32Array(batch * seq * vocab);
  for (let i = 0; i < seed.length; i++) seed[i] = (hash32(i ^ SEED_SALT) / 2 ** 32) * 2 - 1;
  return { tokens: Tensor.from(ids, [batch, seq], 'int64'), seed: Tensor.from(seed, [batch, seq, vocab]) };
}

/** max |ours − reference| / max |reference|. */
export function relativeError(ours: Tensor, reference: Tensor): number {
  if (ours.shape.join() !== reference.shape.join()) throw new Error(`Shapes differ: [${ours.shape.join(', ')}] vs [${reference.shape.join(', ')}].`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ours.size; i++) {
    const r = Number(reference.data[i]);
    diff = Math.max(diff, Math.abs(Number(ours.data[i]) - r));
    scale = Math.max(scale, Math.abs(r));
  }
  return diff / scale;
}
