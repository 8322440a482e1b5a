/**
 * `ActivationCache`: the activations one run recorded, by hook-point name.
 */
import { MechintError } from '../errors.js';
import { writeNpz, type WriteNpzOptions } from '../io/npz.js';
import { allocate } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import type { HookPoint } from './hook-points.js';
import { resolveHook } from './selectors.js';

/**
 * Activations recorded by `HookedModel.runWithCache`, addressable by every name of their hook
 * point (raw value name, module name or alias).
 *
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * const model = await HookedModel.load('packages/core/test/fixtures/gpt2l.onnx');
 * const tokens = Tensor.from([[0n, 3n, 4n, 5n, 3n, 4n, 5n]]);
 * const { cache } = await model.runWithCache({ tokens }, { hooks: /hook_resid_pre$/ });
 * cache.keys();                                        // ['blocks.0.hook_resid_pre', 'blocks.1.hook_resid_pre']
 * cache.stack(/hook_resid_pre$/).shape;                // [2, 1, 7, 64]
 * ```
 */
export class ActivationCache {
  readonly #values: ReadonlyMap<string, Tensor>;
  readonly #table: readonly HookPoint[];
  readonly #selected: readonly HookPoint[];

  /** @param values tensors by ONNX value name; `selected` are the hook points asked for. */
  constructor(values: ReadonlyMap<string, Tensor>, table: readonly HookPoint[], selected: readonly HookPoint[]) {
    this.#values = values;
    this.#table = table;
    this.#selected = selected;
  }

  /** Names of the hook points this cache was asked to record, in table order. */
  keys(): string[] {
    return this.#selected.map((h) => h.name);
  }

  /** True when `name` resolves to a recorded activation. */
  has(name: string): boolean {
    const hook = this.#table.find((h) => h.name === name);
    return hook !== undefined && this.#values.has(hook.value);
  }

  /**
   * The activation under any name of its hook point. Throws `UNKNOWN_HOOK` for a name the model
   * does not have, `INVALID_ARGUMENT` for one that was not recorded in this run.
   */
  get(name: string): Tensor {
    const hook = resolveHook(this.#table, name);
    const tensor = this.#values.get(hook.value);
    if (tensor === undefined) {
      throw new MechintError('INVALID_ARGUMENT', `'${name}' was not recorded in this run; include it in runWithCache's hooks.`, { details: { name } });
    }
    return tensor;
  }

  /**
   * The activations of `names` (or of the recorded names matching a regular expression, in
   * natural order so `blocks.10` follows `blocks.9`) stacked along a new first axis.
   * Throws `SHAPE_MISMATCH` when their shapes differ.
   */
  stack(names: RegExp | readonly string[]): Tensor {
    const list = Array.isArray(names) ? (names as readonly string[]) : this.keys().filter((k) => (names as RegExp).test(k)).sort(naturalOrder);
    if (list.length === 0) throw new MechintError('INVALID_ARGUMENT', 'stack() matched no recorded activation; check cache.keys().');
    const tensors = list.map((n) => this.get(n));
    const first = tensors[0]!;
    for (const [i, t] of tensors.entries()) {
      if (t.dtype !== first.dtype || t.shape.join() !== first.shape.join()) {
        throw new MechintError('SHAPE_MISMATCH', `Cannot stack '${list[i]}' [${t.shape.join(', ')}] ${t.dtype} onto '${list[0]}' [${first.shape.join(', ')}] ${first.dtype}.`);
      }
    }
    const out = allocate(first.dtype, first.size * tensors.length);
    tensors.forEach((t, i) => (out as Float32Array).set(t.data as Float32Array, i * first.size));
    return new Tensor(first.dtype, out, [tensors.length, ...first.shape]);
  }

  /** The recorded activations as an `.npz` archive keyed by hook-point name. */
  toNpz(options: WriteNpzOptions = {}): Uint8Array {
    return writeNpz(Object.fromEntries(this.keys().map((k) => [k, this.get(k)])), options);
  }
}

function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
