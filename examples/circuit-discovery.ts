/**
 * Tutorial: finding the induction circuit of the fixture transformer with @mechint/patching.
 *
 * An induction circuit has two parts (Olsson et al. 2022): a previous-token head in an early layer
 * writes "the token before me was A" into each position, and an induction head in a later layer,
 * at a repeated token A, attends to the position whose previous token was A and copies the token
 * there. We find both in four steps:
 *
 * 1. Activation patching (denoising), one head at a time: run prompts with nothing to copy, paste
 *    in one head's output from the repeated prompts, and see how much of the clean loss returns.
 * 2. Ablation: zero heads (alone and together) on the repeated prompts; which are necessary?
 * 3. Attention patterns: do the heads found attend as the mechanism says?
 * 4. Attribution patching: the same head sweep estimated from one forward and one backward pass,
 *    compared with step 1.
 * 5. A causal graph: path patching of every edge between heads (sender → receiver's query, key or
 *    value inputs → logits), which shows which layer-0 head the induction heads read from.
 *
 * Run from the repository root:
 *   pnpm --filter @mechint/examples exec tsx --conditions=@mechint/source circuit-discovery.ts
 */
import { HookedModel } from '@mechint/core';
import { ablate, accuracy, activationPatching, attributionPatching, causalGraph, comparePatching, crossEntropy, transformerNodes } from '@mechint/patching';
import { GPT2L, inductionBatch, scoredPositions } from './induction-task.js';

const L = 10;
const model = await HookedModel.load(GPT2L);
const clean = { tokens: inductionBatch({ batch: 32, repeated: L, seed: 21 }) };
// The same first halves, then fresh tokens: induction has nothing to copy.
const corrupted = { tokens: inductionBatch({ batch: 32, repeated: L, seed: 21, unrepeated: true }) };
// The loss of the clean continuation at the positions induction can predict (lower is better).
const loss = crossEntropy({ tokens: clean.tokens, positions: scoredPositions(L) });
const hooks = ['blocks.0.attn.hook_z', 'blocks.1.attn.hook_z'];
const table = (values: ArrayLike<number>, digits = 2) =>
  [0, 1].map((layer) => `   layer ${layer}: ${[0, 1, 2, 3].map((h) => Number(values[layer * 4 + h]).toFixed(digits).padStart(7)).join('')}`).join('\n');

// 1. Denoising activation patching per head. normalized = (m − m_corrupted) / (m_clean − m_corrupted):
// 1 means that one head's clean output alone restores the clean loss, 0 that it changes nothing.
const patched = await activationPatching({ model, clean, corrupted, hooks, metric: loss, granularity: 'head' });
console.log(`1. Activation patching per head (clean loss ${patched.clean.toFixed(2)}, corrupted ${patched.corrupted.toFixed(2)}): normalized score`);
console.log(`   ${''.padEnd(9)}${[0, 1, 2, 3].map((h) => `head ${h}`.padStart(7)).join('')}`);
console.log(table(patched.normalized.data));
const restoring = Array.from(patched.normalized.data).flatMap((v, i) => (v > 0.2 ? [`${Math.floor(i / 4)}.${i % 4}`] : []));
console.log(`   heads that carry the answer (score > 0.2): ${restoring.join(', ')}`);

// 2. Zero ablation on the clean prompts, measured by accuracy on the induction positions.
const components = [0, 1].flatMap((layer) => [0, 1, 2, 3].map((head) => ({ hook: hooks[layer]!, heads: [head], name: `${layer}.${head}` })));
const ablation = await ablate({
  model,
  inputs: clean,
  metric: accuracy({ tokens: clean.tokens, positions: scoredPositions(L) }),
  targets: [...components, { hook: hooks[1]!, name: 'layer 1' }, { hook: hooks[0]!, name: 'layer 0' }],
});
console.log(`\n2. Zero ablation: induction accuracy ${ablation.baseline.toFixed(3)} without, and with each ablation`);
ablation.names.forEach((name, i) => {
  console.log(`   ${(i < 8 ? `head ${name}` : `all of ${name}`).padEnd(16)} ${ablation.scores[i]!.toFixed(3)}`);
});
const necessary = components.filter((_, i) => ablation.scores[i]! < 0.9 * ablation.baseline).map((c) => c.name);
const worstSingle = Math.min(...ablation.scores.slice(4, 8));
console.log(`   heads necessary on their own: ${necessary.join(', ')}; layer 1: one head at a time costs at most ${(ablation.baseline - worstSingle).toFixed(3)}, all four ${(ablation.baseline - ablation.scores[8]!).toFixed(3)}`);
// Why step 1 missed head 0.2: attention is causal, so over the first half, which the clean and
// corrupted prompts share, every activation of the corrupted run is already the clean one — and
// that is where the previous-token information sits that the induction heads' keys read (at the
// first occurrences). Ablation removes it everywhere.

// 3. Attention patterns. Previous-token score: mean attention from q to q − 1 (q = 1 … 2L);
// induction score: from a repeated token at q to q − L + 1, the token after its first occurrence
// (q = L + 1 … 2L).
const { cache } = await model.runWithCache(clean, { hooks: [/attn\.hook_pattern$/] });
const score = (layer: number, head: number, offset: number, from: number) => {
  const pattern = cache.get(`blocks.${layer}.attn.hook_pattern`);
  let sum = 0;
  for (let b = 0; b < pattern.shape[0]!; b++) for (let q = from; q <= 2 * L; q++) sum += Number(pattern.get(b, head, q, q - offset));
  return sum / (pattern.shape[0]! * (2 * L - from + 1));
};
const previousToken = [0, 1].flatMap((layer) => [0, 1, 2, 3].map((head) => score(layer, head, 1, 1)));
const induction = [0, 1].flatMap((layer) => [0, 1, 2, 3].map((head) => score(layer, head, L - 1, L + 1)));
console.log("\n3. Attention scores");
console.log(`   previous-token (q → q − 1)\n${table(previousToken)}`);
console.log(`   induction (q → q − ${L - 1})\n${table(induction)}`);
const prevHead = previousToken.slice(0, 4).indexOf(Math.max(...previousToken.slice(0, 4)));
const inductionHeads = induction.flatMap((v, i) => (v > 0.5 ? [`${Math.floor(i / 4)}.${i % 4}`] : []));

// 4. Attribution patching: a first-order estimate of step 1 from the gradient of the loss.
const estimate = await attributionPatching({ model, clean, corrupted, hooks, metric: loss, granularity: 'head' });
const agreement = comparePatching(estimate, patched, { top: 4 });
console.log('\n4. Attribution patching (gradient estimate of step 1): normalized score');
console.log(table(estimate.normalized.data));
console.log(`   against activation patching: correlation ${agreement.correlation.toFixed(2)}, top-4 overlap ${agreement.topOverlap}/4`);

// 5. Edge-level causal graph. Each edge sender → receiver is path-patched on its own (denoising:
// the sender's clean output reaches only that receiver's inputs, every other head frozen), and
// scored as the fraction of the loss gap it restores.
const graph = await causalGraph({ model, clean, corrupted, metric: loss, nodes: transformerNodes(model, clean, { mlps: false }), direction: 'denoising' });
console.log('\n5. Causal graph (path patching per edge): the strongest edges');
for (const e of [...graph.edges].sort((a, b) => Math.abs(b.effect) - Math.abs(a.effect)).slice(0, 8)) console.log(`   ${`${e.from} → ${e.to}`.padEnd(16)} ${e.effect.toFixed(3)}`);
const intoLayer1 = [0, 1, 2, 3].map((h) => graph.edges.filter((e) => e.from === `L0H${h}` && e.to.startsWith('L1')).reduce((sum, e) => sum + e.effect, 0));
console.log(`   layer-0 heads into layer 1's heads (summed effect): ${intoLayer1.map((v, h) => `L0H${h} ${v.toFixed(3)}`).join('  ')}`);
const composes = intoLayer1.indexOf(Math.max(...intoLayer1));

console.log('\nCircuit');
console.log(`  previous-token head: 0.${prevHead} (score ${previousToken[prevHead]!.toFixed(2)}); ablating it leaves accuracy ${ablation.scores[prevHead]!.toFixed(2)}`);
console.log(`  induction heads: ${inductionHeads.join(', ')} (the heads patching found: ${restoring.join(', ')})`);
console.log(`  the layer-0 head the induction heads read from (causal graph): 0.${composes}`);
await model.dispose();
