/**
 * Tutorial: end to end on the fixture transformer — load, inspect the hook points, cache
 * activations, attribute a prediction to the prompt, compare layers (CKA), and look at the shape
 * of a layer's point cloud (persistent homology and intrinsic dimension), with a short summary.
 *
 * Run from the repository root:
 *   pnpm --filter @mechint/examples exec tsx --conditions=@mechint/source end-to-end.ts
 */
import { layerSimilarityMatrix } from '@mechint/alignment';
import { layerIntegratedGradients } from '@mechint/attribution';
import { HookedModel, Tensor } from '@mechint/core';
import { ripsPersistence, twoNN } from '@mechint/topology';
import { GPT2L, inductionAccuracy, inductionBatch, scoredPositions } from './induction-task.js';

const L = 10;

// 1. Load. HookedModel names every activation of the exported graph and probes its shape.
const model = await HookedModel.load(GPT2L);
const inputs = model.model.graph.inputs.map((i) => i.name);
console.log(`1. Loaded ${GPT2L.split('/').at(-1)}: inputs [${inputs.join(', ')}], ${model.hookPoints.length} hook points`);

// 2. Inspect: hook points by kind, and the transformer aliases found from the graph's structure.
const byKind = new Map<string, number>();
for (const h of model.hookPoints) byKind.set(h.kind, (byKind.get(h.kind) ?? 0) + 1);
console.log(`2. Hook points by kind: ${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}`);
console.log(`   ${model.describeAttention()}`);
const aliases = model.hookPoints.filter((h) => h.name.startsWith('blocks.1.') && (h.name.includes('hook_') || /attn\.(pattern|z)$/.test(h.name)));
for (const h of aliases) console.log(`   ${h.name.padEnd(26)} [${h.shape?.join(', ') ?? '?'}] ${h.dtype ?? '?'}`);

// 3. Cache: one run of 32 induction prompts records the residual stream and attention patterns.
const tokens = inductionBatch({ batch: 32, repeated: L, seed: 11 });
const residual = ['blocks.0.hook_resid_pre', 'blocks.0.hook_resid_mid', 'blocks.1.hook_resid_pre', 'blocks.1.hook_resid_mid', 'blocks.1.hook_resid_post'];
const { outputs, cache } = await model.runWithCache({ tokens }, { hooks: [...residual, /attn\.pattern$/] });
console.log(`3. Cached ${cache.keys().length} activations; induction accuracy ${inductionAccuracy(outputs['logits']!, tokens, L).toFixed(3)}`);

// Induction score of each head: mean attention from a repeated token to the token after its first
// occurrence (query q, key q − L + 1).
const inductionScores = [0, 1].map((layer) => {
  const pattern = cache.get(`blocks.${layer}.attn.pattern`); // [batch, head, query, key]
  return Array.from({ length: pattern.shape[1]! }, (_, head) => {
    let sum = 0;
    for (let b = 0; b < pattern.shape[0]!; b++) for (let q = L + 1; q <= 2 * L; q++) sum += Number(pattern.get(b, head, q, q - L + 1));
    return sum / (pattern.shape[0]! * L);
  });
});
const inductionHeads = inductionScores.flatMap((s, layer) => s.flatMap((v, head) => (v > 0.5 ? [`${layer}.${head}`] : [])));
inductionScores.forEach((s, layer) => console.log(`   layer ${layer} induction scores: ${s.map((v) => v.toFixed(2)).join(' ')}`));

// 4. Attribution: layer integrated gradients of the correct next-token logit at the last scored
// position, with respect to the token embeddings (the residual stream entering block 0), from a
// baseline of BOS tokens. Summed over d_model, it says which prompt positions the prediction used.
const q = scoredPositions(L).at(-1)!; // predicts token q + 1, first seen at q + 1 − L
const first = tokens.slice([0, 4]) as Tensor<'int64'>;
const targets = Array.from({ length: 4 }, (_, b) => [q, Number(first.get(b, q + 1))]);
const { attributions } = await layerIntegratedGradients(model, { tokens: first }, { layer: 'blocks.0.hook_resid_pre', target: targets, baselines: { tokens: 0 }, nSteps: 32 });
const positions = attributions.shape[1]!;
const perPosition = Array.from({ length: positions }, (_, p) => {
  let sum = 0;
  for (let b = 0; b < 4; b++) for (let f = 0; f < attributions.shape[2]!; f++) sum += Number(attributions.get(b, p, f));
  return sum / 4;
});
const ranked = perPosition.map((a, p) => ({ a, p })).sort((x, y) => y.a - x.a);
console.log(`4. Layer IG of the logit at position ${q} (next token first seen at position ${q + 1 - L}): top positions`);
// Expect the copied token's position first, then the position before it: its token equals the
// current one, which is what the induction heads' queries match (via layer 0's previous-token head).
console.log(`   ${ranked.slice(0, 4).map(({ a, p }) => `pos ${p}: ${a.toFixed(2)}`).join('   ')}`);

// 5. Alignment: linear CKA between every pair of residual-stream layers (samples = batch × positions).
const { values } = await layerSimilarityMatrix(cache, cache, 'cka', { layersA: residual, layersB: residual });
console.log('5. Linear CKA between residual-stream layers');
console.log(`   ${''.padEnd(24)}${residual.map((_, j) => `   [${j}]`).join('')}`);
residual.forEach((name, i) => console.log(`   [${i}] ${name.padEnd(20)}${values[i]!.map((v) => v.toFixed(2).padStart(6)).join('')}`));

// 6. Topology: the final residual stream at the scored positions, one point per prediction. A model
// that copies the next token must separate the points by that token: the H0 diagram shows one
// long-lived component per distinct next token, and the gap after them.
const post = cache.get('blocks.1.hook_resid_post'); // [batch, pos, 64]
const points: number[][] = [];
const nextTokens = new Set<bigint>();
for (let b = 0; b < 12; b++) {
  for (const p of scoredPositions(L)) {
    points.push(Array.from((post.slice(b, p) as Tensor).data as Float32Array));
    nextTokens.add(tokens.get(b, p + 1));
  }
}
const { diagrams } = await ripsPersistence(points, { maxDim: 1 });
// Finite H0 death times, largest first: with the threshold between deaths[k] and deaths[k − 1],
// k + 1 components are alive (the essential one included). Take the threshold in the widest gap.
const deaths = diagrams[0]!.map(([, death]) => death).filter(Number.isFinite).sort((a, b) => b - a);
let clusters = 1;
let widest = 0;
for (let k = 1; k < deaths.length; k++) {
  const ratio = deaths[k - 1]! / deaths[k]!;
  if (ratio > widest) [widest, clusters] = [ratio, k + 1];
}
const { dimension } = await twoNN(points);
console.log(`6. ${points.length} points of blocks.1.hook_resid_post, ${nextTokens.size} distinct next tokens`);
console.log(`   H0: largest gap in the death times after ${clusters} components; H1: ${diagrams[1]!.length} loops; TwoNN dimension ${dimension.toFixed(1)}`);

console.log('\nSummary');
console.log(`  induction heads (score > 0.5): ${inductionHeads.join(', ')}`);
console.log(`  most-attributed earlier position: ${ranked.find(({ p }) => p !== q)!.p} (token copied from position ${q + 1 - L})`);
console.log(`  CKA(first, last residual layer) = ${values[0]![residual.length - 1]!.toFixed(2)}`);
console.log(`  clusters in the final residual stream: ${clusters} for ${nextTokens.size} next tokens`);
await model.dispose();
