/**
 * A one-step model for device-resident runs: `next = state + step`, plus `total = Σ next` as a host
 * output. After k runs from a zero state, `next = k · step` (closed form).
 */
import { GraphBuilder, type ModelIR } from '../../src/index.node.js';

export function accumulator(size: number): ModelIR {
  const g = new GraphBuilder({ name: 'accumulator' });
  const state = g.input('state', 'float32', [size]);
  const step = g.input('step', 'float32', [size]);
  const next = g.add(state, step);
  g.output(next, 'next');
  g.output(g.reduceSum(next, { keepdims: false }), 'total');
  return g.build();
}
