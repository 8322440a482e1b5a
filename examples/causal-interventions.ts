/**
 * Tutorial: causal interventions with `HookedModel`.
 *
 * The fixture transformer (2 layers × 4 heads, trained on induction) predicts the second half of
 * `[BOS, t₁ … t₁₀, t₁ … t₁₀]` perfectly. Here we edit its activations inside the graph — zero and
 * mean ablation of attention heads, patching from a clean run's cache, and steering by adding a
 * vector to the residual stream — and watch what each edit does to induction accuracy.
 *
 * Run from the repository root:
 *   pnpm --filter @mechint/examples exec tsx --conditions=@mechint/source causal-interventions.ts
 */
import { HookedModel, Tensor, tensorFromProto, type Intervention } from '@mechint/core';
import { GPT2L, inductionAccuracy, inductionBatch, inductionLogProb } from './induction-task.js';

const L = 10; // length of the repeated half
const model = await HookedModel.load(GPT2L);
console.log(model.describeAttention());

// 64 prompts with a repeat (clean) and the same first halves followed by fresh tokens (corrupted:
// nothing to copy, so induction cannot help).
const clean = inductionBatch({ batch: 64, repeated: L, seed: 1 });
const corrupted = inductionBatch({ batch: 64, repeated: L, seed: 1, unrepeated: true });

/** Runs the clean prompts under `interventions` and scores them against the clean continuation. */
async function score(interventions: readonly Intervention[], tokens: Tensor<'int64'> = clean) {
  const { logits } = await model.run({ tokens }, { interventions, outputs: ['logits'] });
  return { accuracy: inductionAccuracy(logits!, clean, L), logProb: inductionLogProb(logits!, clean, L) };
}
const row = (label: string, r: { accuracy: number; logProb: number }) =>
  console.log(`  ${label.padEnd(40)} accuracy ${r.accuracy.toFixed(3)}   log p(correct) ${r.logProb.toFixed(2)}`);

console.log('\n1. No intervention');
row('clean prompts', await score([]));
row('corrupted prompts (no repeat to copy)', await score([], corrupted));

// 2. Zero ablation: set one head's output z (`[batch, pos, head, d_head]`, before W_O) to 0.
console.log('\n2. Zero-ablate one head at a time (blocks.N.attn.z, heads: [h])');
for (const layer of [0, 1]) {
  for (let head = 0; head < 4; head++) row(`zero ${layer}.${head}`, await score([{ hook: `blocks.${layer}.attn.z`, op: 'zero', heads: [head] }]));
}
row('zero all of layer 0', await score([{ hook: 'blocks.0.attn.z', op: 'zero' }]));
row('zero all of layer 1', await score([{ hook: 'blocks.1.attn.z', op: 'zero' }]));

// 3. Mean ablation: replace a head's output by its mean over the batch (per position), which keeps
// the activation on the data's typical scale and removes only what depends on the prompt.
console.log('\n3. Mean-ablate (replace by the mean over 64 prompts, per position)');
const { cache } = await model.runWithCache({ tokens: clean }, { hooks: [/attn\.z$/, /hook_resid_pre$/] });
const meanOverBatch = (t: Tensor): Tensor => {
  const [batch, ...rest] = t.shape as [number, ...number[]];
  const size = rest.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  const data = t.data as Float32Array;
  for (let b = 0; b < batch; b++) for (let i = 0; i < size; i++) out[i]! += data[b * size + i]! / batch;
  return new Tensor('float32', out, [1, ...rest]);
};
for (const layer of [0, 1]) {
  const mean = meanOverBatch(cache.get(`blocks.${layer}.attn.z`));
  row(`mean-ablate all of layer ${layer}`, await score([{ hook: `blocks.${layer}.attn.z`, op: 'mean', value: mean }]));
}

// What this shows: one head of layer 0 (0.2, the previous-token head) is needed on its own; the
// four heads of layer 1 each do the same job (induction), so removing one costs nothing, and
// removing all of them leaves the model at chance on the repeat.

// 4. Activation patching: run the corrupted prompts, but paste in activations cached on the clean
// prompts. The residual stream entering block 1 at every position determines everything after it,
// so that patch must give back the clean run exactly (a check of the machinery). Layer 1's heads
// together carry the answer; any one of them restores a part of it; layer 0's heads none.
console.log('\n4. Patch clean activations into the corrupted run');
row('patch blocks.1.hook_resid_pre (all pos.)', await score([{ hook: 'blocks.1.hook_resid_pre', op: 'patch', value: cache.get('blocks.1.hook_resid_pre') }], corrupted));
row('patch blocks.1.attn.z (all heads)', await score([{ hook: 'blocks.1.attn.z', op: 'patch', value: cache.get('blocks.1.attn.z') }], corrupted));
for (let head = 0; head < 4; head++) {
  row(`patch blocks.1.attn.z head ${head} only`, await score([{ hook: 'blocks.1.attn.z', op: 'patch', value: cache.get('blocks.1.attn.z'), heads: [head] }], corrupted));
}
row('patch blocks.0.attn.z (all heads)', await score([{ hook: 'blocks.0.attn.z', op: 'patch', value: cache.get('blocks.0.attn.z') }], corrupted));

// 5. Steering: add α · (the unembedding row of token 7) to the final residual stream, at every
// position. As α grows the model is pushed to predict token 7 whatever the prompt says; the
// residual stream is large enough that it takes α ≈ 16–32 to override induction.
console.log('\n5. Steer: add α · unembed[7] to blocks.1.hook_resid_post');
const unembed = tensorFromProto(model.model.graph.initializers.find((t) => t.name === 'unembed.weight')!);
const direction = unembed.slice(7) as Tensor<'float32'>; // [64]
for (const alpha of [0, 2, 4, 8, 16, 32]) {
  const { logits } = await model.run({ tokens: clean }, {
    interventions: [{ hook: 'blocks.1.hook_resid_post', op: 'add', value: direction, scale: alpha }],
    outputs: ['logits'],
  });
  const [batch, positions, vocab] = logits!.shape as [number, number, number];
  const data = logits!.data as Float32Array;
  let sevens = 0;
  for (let i = 0; i < batch * positions; i++) {
    const r = data.subarray(i * vocab, (i + 1) * vocab);
    if (r.indexOf(Math.max(...r)) === 7) sevens++;
  }
  console.log(`  α = ${String(alpha).padEnd(4)} predicts token 7 at ${((100 * sevens) / (batch * positions)).toFixed(1).padStart(5)}% of positions; induction accuracy ${inductionAccuracy(logits!, clean, L).toFixed(3)}`);
}
await model.dispose();
