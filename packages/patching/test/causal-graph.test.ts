import { Tensor } from '@mechint/core';
import { CausalGraph, comparePatching, type PatchingResult } from '../src/index.js';
import { codeOf } from './helpers.js';

const graph = new CausalGraph({
  nodes: [
    { id: 'embed', kind: 'input' },
    { id: 'L0H2', kind: 'head', layer: 0, effect: 0.93 },
    { id: 'L0H1', kind: 'head', layer: 0 },
    { id: 'L1H0', kind: 'head', layer: 1 },
    { id: 'MLP1', kind: 'mlp', layer: 1 },
    { id: 'logits', kind: 'output' },
  ],
  edges: [
    { from: 'embed', to: 'L0H2', effect: 0.9 },
    { from: 'L0H2', to: 'L1H0', effect: 0.2 },
    { from: 'L1H0', to: 'logits', effect: -0.3 },
    { from: 'embed', to: 'L0H1', effect: 0.01 },
    { from: 'L0H1', to: 'logits', effect: 0.5 },
    { from: 'embed', to: 'MLP1', effect: 0.4 },
  ],
});

describe('CausalGraph', () => {
  it('thresholds edges by |effect| and prunes nodes off every input → output path', () => {
    const t = graph.threshold(0.1);
    expect(t.edges.map((e) => `${e.from}>${e.to}`)).toEqual(['embed>L0H2', 'L0H2>L1H0', 'L1H0>logits', 'L0H1>logits', 'embed>MLP1']);
    expect(t.nodes).toHaveLength(6);
    const p = t.prune();
    // L0H1 lost its input edge, MLP1 reaches no output
    expect(p.nodes.map((n) => n.id)).toEqual(['embed', 'L0H2', 'L1H0', 'logits']);
    expect(p.edges.map((e) => e.effect)).toEqual([0.9, 0.2, -0.3]);
    expect(p.edge('L1H0', 'logits')).toBe(-0.3);
    expect(p.edge('embed', 'MLP1')).toBeUndefined();
    expect(graph.prune().nodes.map((n) => n.id)).toEqual(['embed', 'L0H2', 'L0H1', 'L1H0', 'logits']);
  });

  it('tells apart edges entering different inputs of one receiver (via)', async () => {
    const g = new CausalGraph({
      nodes: [{ id: 'L0H2', kind: 'head', layer: 0 }, { id: 'L1H0', kind: 'head', layer: 1 }],
      edges: [{ from: 'L0H2', to: 'L1H0', via: 'k', effect: 0.2 }, { from: 'L0H2', to: 'L1H0', via: 'q', effect: 0.04 }],
    });
    expect(g.edge('L0H2', 'L1H0', 'k')).toBe(0.2);
    expect(g.edge('L0H2', 'L1H0', 'q')).toBe(0.04);
    expect(g.edge('L0H2', 'L1H0', 'v')).toBeUndefined();
    expect(g.edge('L0H2', 'L1H0')).toBe(0.2);
    expect(g.toDot().split('\n').filter((l) => l.includes('->'))).toEqual([
      '  "L0H2" -> "L1H0" [label="k 0.200", penwidth=5.00, color=blue];',
      '  "L0H2" -> "L1H0" [label="q 0.040", penwidth=1.40, color=blue];',
    ]);
    expect(CausalGraph.fromJSON(JSON.stringify(g)).toJSON()).toEqual(g.toJSON());
    const twice = { nodes: g.toJSON().nodes, edges: [g.edges[0]!, { ...g.edges[0]!, effect: 1 }] };
    expect(await codeOf(Promise.resolve().then(() => new CausalGraph(twice)))).toBe('INVALID_ARGUMENT');
  });

  it('round-trips through JSON', () => {
    const text = JSON.stringify(graph);
    const back = CausalGraph.fromJSON(text);
    expect(back.toJSON()).toEqual(graph.toJSON());
    expect(back.node('L0H2')).toEqual({ id: 'L0H2', kind: 'head', layer: 0, effect: 0.93 });
  });

  it('writes Graphviz DOT', () => {
    const dot = graph.threshold(0.1).prune().toDot({ name: 'induction', digits: 2 });
    expect(dot.split('\n')).toEqual([
      'digraph "induction" {',
      '  rankdir=BT;',
      '  node [fontname="Helvetica"];',
      '  { rank=same;',
      '    "embed" [shape=invhouse, label="embed"];',
      '  }',
      '  { rank=same;',
      '    "L0H2" [shape=ellipse, label="L0H2\\n0.93"];',
      '  }',
      '  { rank=same;',
      '    "L1H0" [shape=ellipse, label="L1H0"];',
      '  }',
      '  { rank=same;',
      '    "logits" [shape=house, label="logits"];',
      '  }',
      '  "embed" -> "L0H2" [label="0.90", penwidth=5.00, color=blue];',
      '  "L0H2" -> "L1H0" [label="0.20", penwidth=1.50, color=blue];',
      '  "L1H0" -> "logits" [label="-0.30", penwidth=2.00, color=red];',
      '}',
    ]);
  });

  it('rejects malformed graphs with coded errors', async () => {
    const bad = (g: unknown) => codeOf(Promise.resolve().then(() => new CausalGraph(g as never)));
    expect(await bad({ nodes: [{ id: 'a', kind: 'head' }], edges: [{ from: 'a', to: 'b', effect: 1 }] })).toBe('INVALID_ARGUMENT');
    expect(await bad({ nodes: [{ id: 'a', kind: 'head' }, { id: 'a', kind: 'mlp' }], edges: [] })).toBe('INVALID_ARGUMENT');
    expect(await bad({ nodes: [{ id: 'a', kind: 'head' }], edges: [{ from: 'a', to: 'a', effect: Number.NaN }] })).toBe('INVALID_ARGUMENT');
    expect(await bad({ nodes: [] })).toBe('INVALID_ARGUMENT');
    expect(await codeOf(Promise.resolve().then(() => CausalGraph.fromJSON('{nodes'))).then((c) => c)).toBe('INVALID_ARGUMENT');
    expect(await codeOf(Promise.resolve().then(() => graph.threshold(-1)))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(Promise.resolve().then(() => graph.node('L9H9')))).toBe('INVALID_ARGUMENT');
  });
});

describe('comparePatching', () => {
  const result = (v: number[]): PatchingResult => ({
    scores: new Tensor('float64', Float64Array.from(v), [v.length]),
    normalized: new Tensor('float64', Float64Array.from(v), [v.length]),
    axes: [{ name: 'hook', labels: v.map((_, i) => `h${i}`) }],
    clean: 1,
    corrupted: 0,
  });

  it('correlation, errors, signs and top-k overlap by hand', () => {
    const c = comparePatching(result([0, 1, 2, -1]), result([0, 2, 4, -2]), { top: 2 });
    expect(c.correlation).toBeCloseTo(1, 12);
    expect(c.maxAbsError).toBe(2);
    expect(c.meanAbsError).toBe(1);
    expect(c.signAgreement).toBe(1);
    expect(c.topOverlap).toBe(2);
    const d = comparePatching(result([1, 0, 0.5]), result([0, 1, 0.5]), { top: 1 });
    expect(d.correlation).toBeCloseTo(-1, 12);
    expect(d.signAgreement).toBeCloseTo(1 / 3, 12);
    expect(d.topOverlap).toBe(0);
  });

  it('refuses results of different sweeps', async () => {
    expect(await codeOf(Promise.resolve().then(() => comparePatching(result([1, 2]), result([1, 2, 3]))))).toBe('SHAPE_MISMATCH');
  });
});
