/**
 * `CausalGraph`: components as nodes, causal effects as weighted edges — built from patching
 * results, thresholded and pruned like ACDC (Conmy et al. 2023), exported to JSON and Graphviz DOT.
 */
import { MechintError } from '@mechint/core';
import { ensure } from './internal.js';

/** What a node stands for. */
export type CausalNodeKind = 'input' | 'layer' | 'attention' | 'head' | 'mlp' | 'neuron' | 'component' | 'output';

/** A node: a model component. */
export interface CausalNode {
  /** Unique name (`L0H2`, `MLP1`, `logits`). */
  id: string;
  /** What the node stands for. */
  kind: CausalNodeKind;
  /** Layer index, for drawing. */
  layer?: number;
  /** The node's own effect (e.g. from activation patching), when known. */
  effect?: number;
}

/** A directed edge with its effect on the metric (sign kept; thresholds compare |effect|). */
export interface CausalEdge {
  /** Sender node id. */
  from: string;
  /** Receiver node id. */
  to: string;
  /** The receiver input the edge enters, for receivers with several (a head's `q`, `k`, `v`). */
  via?: string;
  /** The edge's effect on the metric (for path-patched edges: the fraction of the clean–corrupted gap it carries). */
  effect: number;
}

/** The JSON form of a graph. */
export interface CausalGraphJSON {
  /** Every node, once. */
  nodes: CausalNode[];
  /** Edges between listed nodes, each (from, to, via) once. */
  edges: CausalEdge[];
}

/**
 * An immutable typed graph of components and edge effects.
 *
 * @example
 * ```ts
 * import { CausalGraph } from '@mechint/patching';
 * const g = new CausalGraph({
 *   nodes: [{ id: 'embed', kind: 'input' }, { id: 'L0H2', kind: 'head', layer: 0 }, { id: 'L0H1', kind: 'head', layer: 0 }, { id: 'logits', kind: 'output' }],
 *   edges: [{ from: 'embed', to: 'L0H2', effect: 0.9 }, { from: 'L0H2', to: 'logits', effect: 0.8 }, { from: 'embed', to: 'L0H1', effect: 0.01 }],
 * });
 * console.log(g.threshold(0.05).prune().nodes.map((n) => n.id)); // ['embed', 'L0H2', 'logits']
 * ```
 */
export class CausalGraph {
  /** The nodes, in the order given. */
  readonly nodes: readonly CausalNode[];
  /** The edges, in the order given. */
  readonly edges: readonly CausalEdge[];

  constructor(graph: CausalGraphJSON) {
    ensure(Array.isArray(graph?.nodes) && Array.isArray(graph?.edges), 'A causal graph needs { nodes: [...], edges: [...] }.');
    const ids = new Set<string>();
    for (const n of graph.nodes) {
      ensure(typeof n.id === 'string' && n.id.length > 0, `Every node needs a non-empty string id; got ${JSON.stringify(n)}.`);
      ensure(!ids.has(n.id), `Node '${n.id}' appears twice; node ids must be unique.`);
      ids.add(n.id);
    }
    const seen = new Set<string>();
    for (const e of graph.edges) {
      ensure(ids.has(e.from) && ids.has(e.to), `Edge ${e.from} → ${e.to} names a node that is not in the graph; add the node first.`);
      ensure(Number.isFinite(e.effect), `Edge ${e.from} → ${e.to} has effect ${e.effect}; effects must be finite numbers.`);
      ensure(e.via === undefined || typeof e.via === 'string', `Edge ${e.from} → ${e.to} has a via that is not a string.`);
      const key = `${e.from}\u0000${e.to}\u0000${e.via ?? ''}`;
      ensure(!seen.has(key), `Edge ${e.from} → ${e.to}${e.via === undefined ? '' : ` via ${e.via}`} appears twice.`);
      seen.add(key);
    }
    this.nodes = graph.nodes.map((n) => ({ ...n }));
    this.edges = graph.edges.map((e) => ({ ...e }));
  }

  /** A graph read back from {@link CausalGraph.toJSON} (or its parsed JSON text). */
  static fromJSON(json: CausalGraphJSON | string): CausalGraph {
    let parsed: CausalGraphJSON;
    try {
      parsed = typeof json === 'string' ? (JSON.parse(json) as CausalGraphJSON) : json;
    } catch (cause) {
      throw new MechintError('INVALID_ARGUMENT', `Not JSON text of a causal graph: ${(cause as Error).message}.`, { cause });
    }
    return new CausalGraph(parsed);
  }

  /** The node with this id (`INVALID_ARGUMENT` otherwise). */
  node(id: string): CausalNode {
    const n = this.nodes.find((x) => x.id === id);
    if (n === undefined) throw new MechintError('INVALID_ARGUMENT', `No node '${id}'; nodes are ${this.nodes.map((x) => x.id).join(', ')}.`);
    return n;
  }

  /** The effect of edge `from → to` (entering input `via` when given; else the first such edge), or undefined when there is none. */
  edge(from: string, to: string, via?: string): number | undefined {
    return this.edges.find((e) => e.from === from && e.to === to && (via === undefined || e.via === via))?.effect;
  }

  /** The graph with only the edges whose |effect| ≥ `threshold` (every node kept; see {@link CausalGraph.prune}). */
  threshold(threshold: number): CausalGraph {
    ensure(Number.isFinite(threshold) && threshold >= 0, `threshold must be a non-negative number; got ${threshold}.`);
    return new CausalGraph({ nodes: [...this.nodes], edges: this.edges.filter((e) => Math.abs(e.effect) >= threshold) });
  }

  /**
   * The graph without nodes that no longer matter, as ACDC's final cleanup: a node stays when it is
   * an output or reaches one, and is an input or is reached from one (when the graph has inputs).
   */
  prune(): CausalGraph {
    const reach = (starts: readonly string[], next: (id: string) => string[]) => {
      const seen = new Set(starts);
      const stack = [...starts];
      while (stack.length > 0) for (const n of next(stack.pop()!)) if (!seen.has(n)) (seen.add(n), stack.push(n));
      return seen;
    };
    const outputs = this.nodes.filter((n) => n.kind === 'output').map((n) => n.id);
    const inputs = this.nodes.filter((n) => n.kind === 'input').map((n) => n.id);
    const toOutput = reach(outputs, (id) => this.edges.filter((e) => e.to === id).map((e) => e.from));
    const fromInput = inputs.length === 0 ? new Set(this.nodes.map((n) => n.id)) : reach(inputs, (id) => this.edges.filter((e) => e.from === id).map((e) => e.to));
    const keep = new Set(this.nodes.filter((n) => toOutput.has(n.id) && fromInput.has(n.id)).map((n) => n.id));
    return new CausalGraph({ nodes: this.nodes.filter((n) => keep.has(n.id)), edges: this.edges.filter((e) => keep.has(e.from) && keep.has(e.to)) });
  }

  /** Plain data: `{ nodes, edges }` (JSON.stringify it to save). */
  toJSON(): CausalGraphJSON {
    return { nodes: this.nodes.map((n) => ({ ...n })), edges: this.edges.map((e) => ({ ...e })) };
  }

  /**
   * Graphviz DOT text: nodes grouped by layer (inputs first, outputs last), edges labelled with
   * their effect, drawn thicker for larger |effect|, blue when positive and red when negative.
   */
  toDot(options: { name?: string; digits?: number } = {}): string {
    const digits = options.digits ?? 3;
    const quote = (s: string) => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
    const max = Math.max(1e-12, ...this.edges.map((e) => Math.abs(e.effect)));
    const shape: Record<CausalNodeKind, string> = { input: 'invhouse', output: 'house', layer: 'box', attention: 'box', head: 'ellipse', mlp: 'box', neuron: 'circle', component: 'box' };
    const lines = [`digraph ${quote(options.name ?? 'circuit')} {`, '  rankdir=BT;', '  node [fontname="Helvetica"];'];
    const rank = (n: CausalNode) => (n.kind === 'input' ? -1 : n.kind === 'output' ? Number.POSITIVE_INFINITY : (n.layer ?? 0));
    const ranks = [...new Set(this.nodes.map(rank))].sort((a, b) => a - b);
    for (const r of ranks) {
      lines.push('  { rank=same;');
      for (const n of this.nodes.filter((x) => rank(x) === r)) {
        const label = n.effect === undefined ? quote(n.id) : `${quote(n.id).slice(0, -1)}\\n${n.effect.toFixed(digits)}"`;
        lines.push(`    ${quote(n.id)} [shape=${shape[n.kind]}, label=${label}];`);
      }
      lines.push('  }');
    }
    for (const e of this.edges) {
      const width = (0.5 + (4.5 * Math.abs(e.effect)) / max).toFixed(2);
      const label = e.via === undefined ? e.effect.toFixed(digits) : `${e.via} ${e.effect.toFixed(digits)}`;
      lines.push(`  ${quote(e.from)} -> ${quote(e.to)} [label=${quote(label)}, penwidth=${width}, color=${e.effect >= 0 ? 'blue' : 'red'}];`);
    }
    lines.push('}');
    return lines.join('\n');
  }
}
