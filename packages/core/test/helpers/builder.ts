/**
 * Running GraphBuilder graphs in tests, and comparing their results with plain JavaScript.
 */
import { Backend, type ModelIR, type Tensor } from '../../src/index.node.js';
import type { GraphBuilder } from '../../src/builder/index.js';

let backend: Promise<Backend> | undefined;

/** Runs a built model on the CPU provider. */
export async function runModel(model: ModelIR, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  backend ??= Backend.create({ ep: 'cpu' });
  return (await (await backend).session(model)).run(feeds);
}

/** Builds `g` and runs it on the CPU provider. */
export function run(g: GraphBuilder, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  return runModel(g.build(), feeds);
}

/** Asserts elementwise closeness within `tolerance · (1 + |expected|)`, naming the first bad element. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (Math.abs(actual[i]! - e) > tolerance * (1 + Math.abs(e))) throw new Error(`element ${i}: got ${actual[i]}, expected ${e}`);
  }
}
