/**
 * The fixture transformer was trained on induction ([BOS] + L random tokens + the same L tokens).
 * The known mechanism (Olsson et al. 2022): a layer-0 previous-token head writes "the token before
 * me was A" into each position; a layer-1 induction head at a repeated A attends to the position
 * after A's first occurrence (K-composition with the previous-token head) and copies its token B.
 * With token A at position 3 corrupted, the prediction of B at position 13 (A's repeat) must fail,
 * and patching must find exactly: the previous-token head at position 4 (A's successor), the
 * induction heads at position 13 (second half), and the path between them through the keys.
 * Which heads are which comes from the fixture's own head scores (gpt2l.meta.json), not from here.
 */
import { readFileSync } from 'node:fs';
import type { HookedModel } from '@mechint/core';
import { activationPatching, causalGraph, pathPatching, transformerNodes } from '../src/index.js';
import { loadGpt, prompts } from './helpers.js';

const meta = JSON.parse(readFileSync(new URL('../../core/test/fixtures/gpt2l.meta.json', import.meta.url), 'utf8')) as {
  head_scores: Record<string, { previous_token: number[]; induction: number[] }>;
};
const prevScores = meta.head_scores['blocks.0']!.previous_token;
const previousTokenHead = prevScores.indexOf(Math.max(...prevScores));
const inductionHeads = meta.head_scores['blocks.1']!.induction.flatMap((s, h) => (s > 0.5 ? [h] : []));
const CORRUPTED = 3;
const REPEAT = 13;

let model: HookedModel;
beforeAll(async () => {
  model = await loadGpt();
});

describe('the induction circuit of the fixture, recovered by patching', () => {
  it('the meta names one previous-token head in layer 0 and induction heads in layer 1', () => {
    expect(previousTokenHead).toBe(2);
    expect(inductionHeads).toEqual([0, 1, 2, 3]);
  });

  it('the residual stream carries the corruption from position 3 to 4 (layer 0) to 13 (layer 1)', async () => {
    const { clean, corrupted, metric } = prompts();
    const r = await activationPatching({ model, clean, corrupted, metric, granularity: 'position', hooks: ['blocks.0.hook_resid_pre', 'blocks.1.hook_resid_pre', 'blocks.1.hook_resid_post'] });
    const rows = [0, 1, 2].map((i) => Array.from(r.normalized.data.subarray(i * 21, (i + 1) * 21)));
    expect(rows.map((row) => row.indexOf(Math.max(...row)))).toEqual([CORRUPTED, CORRUPTED + 1, REPEAT]);
    for (const row of rows) expect(Math.max(...row)).toBeGreaterThan(0.95);
  });

  it('head patching singles out the previous-token head in layer 0 and spreads over the induction heads in layer 1', async () => {
    const { clean, corrupted, metric } = prompts();
    const r = await activationPatching({ model, clean, corrupted, metric, granularity: 'head', hooks: ['blocks.0.attn.hook_z', 'blocks.1.attn.hook_z'] });
    const layer0 = Array.from(r.normalized.data.subarray(0, 4));
    const layer1 = Array.from(r.normalized.data.subarray(4, 8));
    expect(layer0.indexOf(Math.max(...layer0))).toBe(previousTokenHead);
    expect(layer0[previousTokenHead]).toBeGreaterThan(0.8);
    layer0.forEach((x, h) => h !== previousTokenHead && expect(Math.abs(x)).toBeLessThan(0.1));
    for (const h of inductionHeads) expect(layer1[h]).toBeGreaterThan(0.1);
  });

  it('head × position: the previous-token head acts at position 4, the induction heads at position 13 only', async () => {
    const { clean, corrupted, metric } = prompts();
    const r = await activationPatching({ model, clean, corrupted, metric, granularity: 'head-position', hooks: ['blocks.0.attn.hook_z', 'blocks.1.attn.hook_z'] });
    const at = (layer: number, head: number) => Array.from(r.normalized.data.subarray((layer * 4 + head) * 21, (layer * 4 + head + 1) * 21));
    const prev = at(0, previousTokenHead);
    expect(prev.indexOf(Math.max(...prev))).toBe(CORRUPTED + 1);
    for (const h of inductionHeads) {
      const row = at(1, h);
      expect(row.indexOf(Math.max(...row))).toBe(REPEAT);
      row.forEach((x, p) => p !== REPEAT && expect(Math.abs(x)).toBeLessThan(0.02));
    }
  });

  it('path patching: the previous-token head reaches the metric through the layer-1 keys (K-composition), not the queries', async () => {
    const { clean, corrupted, metric } = prompts();
    const senders = [{ hook: 'blocks.0.attn.hook_z', heads: [previousTokenHead] }];
    const keys = await pathPatching({ model, clean, corrupted, metric, senders, receivers: [{ hook: 'blocks.1.attn.W_K.output' }] });
    const queries = await pathPatching({ model, clean, corrupted, metric, senders, receivers: [{ hook: 'blocks.1.attn.W_Q.output' }] });
    expect(keys.normalized.data[0]).toBeLessThan(0.2);
    expect(queries.normalized.data[0]).toBeGreaterThan(0.9);
  });

  it('the pruned causal graph is embed → previous-token head → induction heads → logits', async () => {
    const { clean, corrupted, metric } = prompts();
    const graph = await causalGraph({ model, clean, corrupted, metric, nodes: transformerNodes(model, clean) });
    expect(graph.edges).toHaveLength(4 + 5 + 4 * 6 + 10 + 11);
    const circuit = graph.threshold(0.05).prune();
    const prev = `L0H${previousTokenHead}`;
    const heads = circuit.nodes.filter((n) => n.kind === 'head').map((n) => n.id);
    expect(heads).toEqual([prev, ...inductionHeads.map((h) => `L1H${h}`)]);
    expect(circuit.edge('embed', prev)).toBeGreaterThan(0.8);
    for (const h of inductionHeads) {
      expect(circuit.edge(prev, `L1H${h}`)).toBeGreaterThan(0.05);
      expect(circuit.edge(`L1H${h}`, 'logits')).toBeGreaterThan(0.05);
    }
    expect(circuit.edge(prev, 'logits')).toBeUndefined();
  });
});
