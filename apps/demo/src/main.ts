/**
 * The @mechint demo, on the bundled 2-layer transformer that torch trained on induction
 * (`packages/core/test/fixtures/gpt2l.onnx`):
 *
 * 1. loads and summarises the exported graph;
 * 2. exposes both layers' attention patterns as extra outputs of the graph — no re-export;
 * 3. runs a repeated random sequence and scores every head as a previous-token head and as an
 *    induction head (attention from a repeated token to the token after its first occurrence);
 * 4. writes the patterns as `.npy` and the scores as JSON into `apps/demo/out/`.
 *
 * Run: `pnpm demo` (execution provider from MECHINT_EP, default cpu).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Backend, Tensor, loadModel, toJson, writeNpy, type ExecutionProvider, type ModelIR } from '@mechint/core';

const root = new URL('../../../', import.meta.url).pathname;
const modelPath = join(root, 'packages/core/test/fixtures/gpt2l.onnx');
const outDir = join(root, 'apps/demo/out');
const REPEATED = 10;
const VOCAB = 24;

function summarise(model: ModelIR): void {
  const { graph } = model;
  const parameters = graph.initializers.reduce((n, t) => n + t.dims.reduce((p, d) => p * Number(d), 1), 0);
  const ops = new Map<string, number>();
  for (const node of graph.nodes) ops.set(node.opType, (ops.get(node.opType) ?? 0) + 1);
  const top = [...ops].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([op, n]) => `${op}×${n}`).join(' ');
  console.log(`model     ${modelPath.slice(root.length)}  (opset ${model.opset()}, ${graph.nodes.length} nodes, ${parameters.toLocaleString('en')} parameters)`);
  console.log(`inputs    ${graph.inputs.map((i) => i.name).join(', ')}   outputs ${graph.outputs.map((o) => o.name).join(', ')}`);
  console.log(`ops       ${top} …`);
}

function inductionPrompt(seed: number): Tensor<'int64'> {
  let state = seed;
  const random = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const pool = Array.from({ length: VOCAB - 1 }, (_, i) => i + 1);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  const half = pool.slice(0, REPEATED);
  return Tensor.from([0, ...half, ...half].map(BigInt), [1, 1 + 2 * REPEATED], 'int64');
}

/** Mean attention, over the repeated half, from position q to position q - offset. */
function diagonalScore(pattern: Tensor, head: number, offset: number): number {
  let total = 0;
  for (let q = REPEATED + 1; q <= 2 * REPEATED; q++) total += Number(pattern.get(0, head, q, q - offset));
  return total / REPEATED;
}

const ep = (process.env['MECHINT_EP'] ?? 'cpu') as ExecutionProvider;
const backend = await Backend.create({ ep });
const model = await loadModel(modelPath);
summarise(model);

const patterns = model.graph.nodes.filter((n) => n.opType === 'Softmax' && /^\/blocks\.\d+\/attn\//.test(n.name)).map((n) => n.output[0]!);
const hooked = model.clone();
for (const name of patterns) hooked.graph.addOutput(name);

const tokens = inductionPrompt(7);
const session = await backend.session(hooked);
const outputs = await session.run({ tokens });
const logits = outputs['logits']!;
const predicted = Array.from({ length: 2 * REPEATED }, (_, p) => {
  const row = logits.slice(0, p);
  return (row.data as Float32Array).indexOf(Math.max(...(row.data as Float32Array)));
});
const target = tokens.toArray() as bigint[][];
const hits = predicted.slice(REPEATED + 1).filter((t, i) => BigInt(t) === target[0]![REPEATED + 2 + i]).length;
console.log(`run       ${backend.ep}: next-token accuracy on the repeated half ${hits}/${REPEATED - 1}`);

mkdirSync(outDir, { recursive: true });
const scores = patterns.map((name, layer) => {
  const pattern = outputs[name]!;
  writeFileSync(join(outDir, `blocks.${layer}.attn.pattern.npy`), writeNpy(pattern));
  const heads = pattern.shape[1]!;
  return {
    layer,
    previousToken: Array.from({ length: heads }, (_, h) => diagonalScore(pattern, h, 1)),
    induction: Array.from({ length: heads }, (_, h) => diagonalScore(pattern, h, REPEATED - 1)),
  };
});
console.log('\nhead scores (mean attention on the repeated half)\n  layer.head  previous-token  induction');
for (const { layer, previousToken, induction } of scores) {
  previousToken.forEach((p, h) => {
    const mark = induction[h]! > 0.5 ? '  ← induction head' : p > 0.5 ? '  ← previous-token head' : '';
    console.log(`  ${layer}.${h}         ${p.toFixed(3)}           ${induction[h]!.toFixed(3)}${mark}`);
  });
}
writeFileSync(join(outDir, 'head-scores.json'), toJson({ model: 'gpt2l', ep: backend.ep, tokens, scores }));
console.log(`\nwrote ${outDir.slice(root.length)}/head-scores.json and the attention patterns as .npy`);
await backend.dispose();
