/**
 * `mechint demo` recovers the induction circuit that torch measured when it trained the fixture
 * (gpt2l.meta.json head_scores), and writes a self-contained report.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseXml } from './xml.js';
import { fixture, mechint, readJson, temporaryFolder } from './helpers.js';

const { dir, remove } = temporaryFolder();
afterAll(remove);
const meta = JSON.parse(readFileSync(fixture('gpt2l.meta.json'), 'utf8')) as { head_scores: Record<string, { previous_token: number[]; induction: number[] }> };
/** The induction heads torch found: induction score above 0.5. */
const torchInductionHeads = Object.entries(meta.head_scores).flatMap(([block, s]) => s.induction.flatMap((v, h) => (v > 0.5 ? [`${block.slice('blocks.'.length)}.${h}`] : [])));

interface DemoResults {
  headScores: Record<string, { previous_token: number[]; induction: number[] }>;
  inductionHeads: string[];
  circuit: { threshold: number; heads: { head: string; restored: number }[] };
  patching: { heads: { normalized: number[][] }; positions: { normalized: number[][] } };
  sae: { dSae: number; steps: number; evaluation: { explainedVariance: number; l0: number }; features: unknown[] };
  task: { accuracy: number };
  seconds: number;
}

describe('mechint demo', () => {
  let results: DemoResults;
  let stdout = '';
  beforeAll(async () => {
    const ran = await mechint(['demo'], dir);
    stdout = ran.stdout;
    expect(ran.code).toBe(0);
    results = readJson(join(dir, 'mechint-demo/results.json')) as unknown as DemoResults;
  });

  it('writes into ./mechint-demo and says where', () => {
    expect(existsSync(join(dir, 'mechint-demo/report.html'))).toBe(true);
    expect(stdout).toContain('wrote mechint-demo/report.html and mechint-demo/results.json');
    expect(results.seconds).toBeLessThan(60);
  });

  it("scores every head as torch did and finds the layer-1 induction heads", () => {
    expect(torchInductionHeads).toEqual(['1.0', '1.1', '1.2', '1.3']);
    for (const [block, s] of Object.entries(meta.head_scores)) {
      s.induction.forEach((v, h) => expect(Math.abs(results.headScores[block]!.induction[h]! - v)).toBeLessThan(0.05));
      s.previous_token.forEach((v, h) => expect(Math.abs(results.headScores[block]!.previous_token[h]! - v)).toBeLessThan(0.05));
    }
    expect(results.inductionHeads).toEqual(torchInductionHeads);
    expect(results.task.accuracy).toBeGreaterThan(0.95);
  });

  it('recovers the induction circuit by activation patching', () => {
    expect(results.circuit.heads.map((c) => c.head).sort()).toEqual(torchInductionHeads);
    // Layer-0 heads restore little on their own; each layer-1 head restores a sizeable share.
    expect(Math.max(...results.patching.heads.normalized[0]!)).toBeLessThan(results.circuit.threshold);
    expect(results.patching.positions.normalized).toHaveLength(2);
  });

  it('trains a small SAE on one layer', () => {
    expect(results.sae.dSae).toBe(256);
    expect(results.sae.evaluation.l0).toBeCloseTo(8, 6);
    expect(results.sae.evaluation.explainedVariance).toBeGreaterThan(0.8);
    expect(results.sae.features.length).toBeGreaterThan(0);
  });

  it('writes a self-contained report naming the circuit, with every figure a valid inline SVG', () => {
    const html = readFileSync(join(dir, 'mechint-demo/report.html'), 'utf8');
    expect(html).toMatch(/Circuit recovered by activation patching: (1\.\d, ){3}1\.\d\./);
    for (const head of torchInductionHeads) expect(html).toContain(`<td>${head}</td><td>`);
    expect(html).not.toMatch(/<script|<link|src="http/);
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(7);
    for (const svg of svgs) expect(parseXml(svg)).toBe('svg');
  });

  it('takes --out and refuses arguments', async () => {
    const other = await mechint(['demo', '--out', 'elsewhere', '--quiet'], dir);
    expect(other.code).toBe(0);
    expect(other.stdout).toBe('');
    expect(existsSync(join(dir, 'elsewhere/report.html'))).toBe(true);
    const extra = await mechint(['demo', 'model.onnx'], dir);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain('mechint demo takes no positional arguments');
  });
});
