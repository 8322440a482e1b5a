/**
 * Runs of ACDC hypotheses: the model with some edges sender → receiver input corrupted, several at
 * once, each receiver input seeing the sum of its senders' outputs — the current run's output
 * for a kept edge, the corrupted run's output for a removed one (Conmy et al. 2023). Receivers are
 * evaluated stage by stage (a stage: the receivers of one topological level): for each receiver
 * input with removed edges, one copy of the batch has every sender hook frozen at that mix, and
 * the receiver's read value (e.g. its head's slice of `W_K`'s output) is recorded from it; the
 * next run patches those values in and records the senders of the next stage. Every hypothesis
 * and every receiver of a stage run in the same batched session calls.
 */
import type { HookedModel, Tensor } from '@mechint/core';
import type { CircuitNode } from './circuit.js';
import { compose, type Feeds } from './internal.js';
import type { Metric } from './metrics.js';
import { selectionOf } from './path-patching.js';
import { runPatches, type Edit, type Patch } from './sweep.js';

/** One receiver input: a node and the index of one of its inputs. */
export interface ReceiverInput {
  /** The receiving node. */
  node: CircuitNode;
  /** Which of `node.inputs`. */
  input: number;
  /** The nodes sending into it, latest first (the order ACDC tries them). */
  senders: readonly CircuitNode[];
}

/** An edge's key: sender id, receiver id and input index. */
export function edgeKey(from: string, to: string, input: number): string {
  return `${from}\u0000${to}\u0000${input}`;
}

/** What the runs need: the model, the feeds, the two reference caches and the node layout. */
export interface HypothesisRunner {
  /** The model. */
  model: HookedModel;
  /** The clean feeds: the base of every run. */
  clean: Feeds;
  /** The metric to evaluate. */
  metric: Metric;
  /** Clean-run values of every sender and read hook. */
  cleanValues: ReadonlyMap<string, Tensor>;
  /** Corrupted-run values of every sender hook. */
  corruptedValues: ReadonlyMap<string, Tensor>;
  /** The clean run's metric. */
  cleanMetric: number;
  /** Receiver inputs grouped by stage, earliest stage first. */
  stages: readonly (readonly ReceiverInput[])[];
  /** Sender and read hooks, recorded by every run. */
  hooks: readonly string[];
  /** Patches per session call. */
  batchSize?: number;
  /** Stops between session calls with `ABORTED`. */
  signal?: AbortSignal;
}

/** The metric of each hypothesis (a set of removed edge keys). */
export async function runHypotheses(r: HypothesisRunner, hypotheses: readonly ReadonlySet<string>[]): Promise<number[]> {
  const online = hypotheses.map(() => new Map(r.cleanValues));
  const reads = hypotheses.map(() => new Map<string, Tensor>());
  const metrics = hypotheses.map(() => r.cleanMetric);
  const batching = { ...(r.batchSize === undefined ? {} : { batchSize: r.batchSize }), ...(r.signal === undefined ? {} : { signal: r.signal }) };
  for (const stage of r.stages) {
    const copies: { h: number; rin: ReceiverInput }[] = [];
    const patches: Patch[] = [];
    hypotheses.forEach((removed, h) => {
      for (const rin of stage) {
        const cut = rin.senders.filter((s) => removed.has(edgeKey(s.id, rin.node.id, rin.input)));
        if (cut.length === 0) continue;
        copies.push({ h, rin });
        patches.push(senderEdits(r, online[h]!, rin.senders, cut));
      }
    });
    if (copies.length === 0) continue;
    const readHooks = [...new Set(copies.map((c) => c.rin.node.inputs![c.rin.input]!.hook))];
    const { recorded } = await runPatches(r.model, { feeds: r.clean, patches, record: readHooks, what: 'ACDC', ...batching });
    copies.forEach(({ h, rin }, j) => {
      const input = rin.node.inputs![rin.input]!;
      const base = reads[h]!.get(input.hook) ?? online[h]!.get(input.hook)!;
      reads[h]!.set(input.hook, compose(base, recorded[j]![input.hook]!, r.model.hookPoint(input.hook).axes, selectionOf(input)));
    });
    const touched = [...new Set(copies.map((c) => c.h))];
    const runs = await runPatches(r.model, {
      feeds: r.clean,
      patches: touched.map((h) => [...reads[h]!].map(([hook, source]): Edit => ({ hook, source }))),
      record: r.hooks,
      metric: r.metric,
      what: 'ACDC',
      ...batching,
    });
    touched.forEach((h, j) => {
      for (const hook of r.hooks) online[h]!.set(hook, runs.recorded[j]![hook]!);
      metrics[h] = runs.metrics[j]!;
    });
  }
  return metrics;
}

/** Every sender hook frozen at the current run's value, with the cut senders' elements from the corrupted run. */
function senderEdits(r: HypothesisRunner, online: ReadonlyMap<string, Tensor>, senders: readonly CircuitNode[], cut: readonly CircuitNode[]): Edit[] {
  const hooks = [...new Set(senders.map((s) => s.output!.hook))];
  return hooks.map((hook) => {
    let value = online.get(hook)!;
    for (const s of cut) if (s.output!.hook === hook) value = compose(value, r.corruptedValues.get(hook)!, r.model.hookPoint(hook).axes, selectionOf(s.output!));
    return { hook, source: value };
  });
}
