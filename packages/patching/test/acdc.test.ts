/**
 * ACDC against tools/patching/reference.py, which runs the algorithm by its definition in torch
 * (a split-input forward pass, one run per decision); and the induction circuit it must recover,
 * predicted by the fixture's own head scores (gpt2l.meta.json).
 */
import { readFileSync } from 'node:fs';
import { Tensor, type HookedModel } from '@mechint/core';
import { acdc, type AcdcDecision, type AcdcResult, type CircuitNode } from '../src/index.js';
import { codeOf, errorOf, loadGpt, prompts } from './helpers.js';

const reference = JSON.parse(readFileSync(new URL('fixtures/acdc.json', import.meta.url), 'utf8')) as {
  threshold: number;
  cleanMetric: number;
  metric: number;
  log: AcdcDecision[];
  edges: { from: string; to: string; via?: string }[];
};
const meta = JSON.parse(readFileSync(new URL('../../core/test/fixtures/gpt2l.meta.json', import.meta.url), 'utf8')) as {
  head_scores: Record<string, { previous_token: number[]; induction: number[] }>;
};
const prevScores = meta.head_scores['blocks.0']!.previous_token;
const previousTokenHead = `L0H${prevScores.indexOf(Math.max(...prevScores))}`;
const inductionHeads = meta.head_scores['blocks.1']!.induction.flatMap((s, h) => (s > 0.5 ? [`L1H${h}`] : []));
const edgeId = (e: { from: string; to: string; via?: string }) => `${e.from} → ${e.to}${e.via === undefined ? '' : ` (${e.via})`}`;

let model: HookedModel;
let result: AcdcResult;
const progress: [number, number][] = [];
beforeAll(async () => {
  model = await loadGpt();
  const { clean, corrupted } = prompts();
  result = await acdc({ model, clean, corrupted, threshold: reference.threshold, onProgress: (d, t) => progress.push([d, t]) });
}, 120_000);

describe('acdc on the induction fixture', () => {
  it('takes the decisions of the torch reference, in the same order, with the same metrics', () => {
    expect(result.log).toHaveLength(reference.log.length);
    expect(result.log.map((d) => `${edgeId(d)} ${d.kept}`)).toEqual(reference.log.map((d) => `${edgeId(d)} ${d.kept}`));
    result.log.forEach((d, i) => {
      expect(Math.abs(d.before - reference.log[i]!.before)).toBeLessThan(2e-5);
      expect(Math.abs(d.after - reference.log[i]!.after)).toBeLessThan(2e-5);
    });
    expect(result.cleanMetric).toBeCloseTo(reference.cleanMetric, 6);
    expect(result.metric).toBeCloseTo(reference.metric, 4);
  });

  it('keeps exactly the reference edges, each with its effect after − before', () => {
    expect(result.graph.edges.map(edgeId).sort()).toEqual(reference.edges.map(edgeId).sort());
    const tried = new Map(reference.log.map((d) => [edgeId(d), d.after - d.before]));
    for (const e of result.graph.edges) {
      expect(e.effect).toBeGreaterThanOrEqual(reference.threshold);
      expect(Math.abs(e.effect - tried.get(edgeId(e))!)).toBeLessThan(4e-5);
    }
  });

  it('recovers the induction circuit: embed → previous-token head → induction heads (via keys) → logits', () => {
    const g = result.graph;
    expect(inductionHeads).toHaveLength(4);
    expect(g.edge('embed', previousTokenHead, 'v')).toBeGreaterThan(0.5);
    for (const h of inductionHeads) {
      expect(g.edge(previousTokenHead, h, 'k')).toBeGreaterThan(reference.threshold);
      expect(g.edge(previousTokenHead, h, 'q')).toBeUndefined();
    }
    const reachesLogits = (id: string): boolean => id === 'logits' || g.edges.some((e) => e.from === id && reachesLogits(e.to));
    for (const h of inductionHeads) expect(reachesLogits(h)).toBe(true);
    expect(g.nodes.map((n) => n.id)).toContain(previousTokenHead);
    // the layer-0 heads with no path to the output are pruned
    expect(g.nodes.map((n) => n.id)).not.toContain('L0H1');
  });

  it('reports progress per decision', () => {
    expect(progress).toHaveLength(reference.log.length);
    expect(progress.at(-1)).toEqual([reference.log.length, reference.log.length]);
    expect(progress.every(([d], i) => d === i + 1)).toBe(true);
  });

  it('batching candidate edges does not change a decision or a number', async () => {
    const { clean, corrupted } = prompts();
    const nodes = ['embed', 'L0H2', 'L0H3', 'L1H0', 'L1H1', 'logits'];
    const one = await acdc({ model, clean, corrupted, threshold: 0.02, nodes, speculate: 1 });
    const many = await acdc({ model, clean, corrupted, threshold: 0.02, nodes, speculate: 8, batchSize: 3 });
    expect(many.log).toEqual(one.log);
    expect(one.log.some((d) => d.kept) && one.log.some((d) => !d.kept)).toBe(true);
  });
});

describe('acdc bad input and cancellation', () => {
  it('refuses a negative, NaN or missing threshold before any run', async () => {
    const { clean, corrupted } = prompts();
    for (const threshold of [-0.1, Number.NaN, Number.POSITIVE_INFINITY, undefined]) {
      const e = await errorOf(acdc({ model, clean, corrupted, threshold: threshold as number }));
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.message).toMatch(/threshold must be a finite number ≥ 0/);
    }
    expect(await codeOf(acdc({ model, clean, corrupted, threshold: 0.1, speculate: 0 }))).toBe('INVALID_ARGUMENT');
  });

  it('refuses unknown node names, unknown hooks and mismatched prompts', async () => {
    const { clean, corrupted } = prompts();
    const e = await errorOf(acdc({ model, clean, corrupted, threshold: 0.1, nodes: ['embed', 'L9H9', 'logits'] }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/Unknown node 'L9H9'; transformerNodes of this model are embed, L0H0/);
    const bad: CircuitNode[] = [
      { id: 'embed', kind: 'input', output: { hook: 'blocks.0.hook_resid_pre' } },
      { id: 'out', kind: 'output', inputs: [{ hook: 'blocks.7.hook_resid_post' }] },
    ];
    expect(await codeOf(acdc({ model, clean, corrupted, threshold: 0.1, nodes: bad }))).toBe('UNKNOWN_HOOK');
    const twice: CircuitNode[] = [bad[0]!, { ...bad[0]! }];
    expect(await codeOf(acdc({ model, clean, corrupted, threshold: 0.1, nodes: twice }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(acdc({ model, clean, corrupted: { tokens: Tensor.from([[0n, 1n]]) }, threshold: 0.1 }))).toBe('SHAPE_MISMATCH');
  });

  it('stops with ABORTED, before starting or between decisions', async () => {
    const { clean, corrupted } = prompts();
    const aborted = new AbortController();
    aborted.abort();
    expect(await codeOf(acdc({ model, clean, corrupted, threshold: 0.02, signal: aborted.signal }))).toBe('ABORTED');
    const controller = new AbortController();
    let seen = 0;
    const run = acdc({ model, clean, corrupted, threshold: 0.02, signal: controller.signal, onProgress: (d) => ((seen = d), d === 3 && controller.abort()) });
    expect(await codeOf(run)).toBe('ABORTED');
    expect(seen).toBeLessThan(20);
  });
});
