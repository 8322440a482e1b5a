/**
 * `ActivationStore`: streams activations of hook points from a `HookedModel` over a dataset,
 * through a shuffle buffer of bounded size, optionally writing each forward pass as `.npy` shards.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MechintError, Tensor, randomPermutation, readNpy, seededRandom, writeNpy, type HookedModel } from '@mechint/core';

/** Feeds of one forward pass (e.g. `{ tokens }`). */
export type Feeds = Readonly<Record<string, Tensor>>;

/** Options of {@link ActivationStore}. */
export interface ActivationStoreOptions {
  /** Hook points to read (SAELens / TransformerLens names such as `blocks.0.hook_resid_post` resolve to the model's aliases). */
  hooks: readonly string[];
  /** The dataset: forward-pass feeds, in order. */
  dataset: Iterable<Feeds> | AsyncIterable<Feeds>;
  /** Rows the shuffle buffer holds per hook (default 16384); half is handed out each time it fills. */
  bufferRows?: number;
  /** Rows per emitted chunk (default 4096). */
  chunkRows?: number;
  /** Seed of the shuffle (default 0). */
  seed?: number;
  /** Write every forward pass's activations to `<cacheDir>/<hook>/shard_<n>.npy`. */
  cacheDir?: string;
  /** Expected width per hook; a hook of another width throws `SHAPE_MISMATCH` before any run. */
  dIn?: Readonly<Record<string, number>>;
}

/**
 * Streams activations: each forward pass records every hook (one `runWithCache`), rows
 * (batch × position) go into a per-hook shuffle buffer, and chunks come out as
 * `Record<hook, Tensor [rows, width]>`. Iterate it, or take one hook's stream with {@link ActivationStore.hook}.
 *
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { ActivationStore } from '@mechint/sae';
 * const model = await HookedModel.load('packages/core/test/fixtures/gpt2l.onnx');
 * const dataset = [{ tokens: Tensor.from([[0n, 3n, 4n, 5n, 3n, 4n, 5n]]) }];
 * const store = new ActivationStore(model, { hooks: ['blocks.0.hook_resid_post'], dataset, bufferRows: 8, chunkRows: 4 });
 * for await (const chunk of store) console.log(chunk['blocks.0.hook_resid_post']!.shape); // [4, 64] …
 * ```
 */
export class ActivationStore implements AsyncIterable<Record<string, Tensor<'float32'>>> {
  readonly model: HookedModel;
  readonly hooks: readonly string[];
  /** Width of each hook's activations (their last dimension). */
  readonly widths: Readonly<Record<string, number>>;
  readonly #options: ActivationStoreOptions;

  constructor(model: HookedModel, options: ActivationStoreOptions) {
    if (options === undefined || !Array.isArray(options.hooks) || options.hooks.length === 0) throw new MechintError('INVALID_ARGUMENT', 'Name at least one hook: { hooks: ["blocks.0.hook_resid_post"] }.');
    const widths: Record<string, number> = {};
    for (const name of options.hooks) {
      const point = model.hookPoint(name);
      const width = point.shape?.[point.shape.length - 1];
      if (typeof width !== 'number') throw new MechintError('SHAPE_MISMATCH', `The width of hook '${name}' is unknown (its last dimension is symbolic); load the model with probing on.`);
      const expected = options.dIn?.[name];
      if (expected !== undefined && expected !== width) {
        throw new MechintError('SHAPE_MISMATCH', `Hook '${name}' has width ${width}, but the SAE expects dIn = ${expected}; pick the hook the SAE was trained on or an SAE with dIn ${width}.`, {
          details: { hook: name, width, dIn: expected },
        });
      }
      widths[name] = width;
    }
    for (const key of ['bufferRows', 'chunkRows'] as const) {
      const v = options[key];
      if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) throw new MechintError('INVALID_ARGUMENT', `${key} must be a positive integer; got ${String(v)}.`);
    }
    this.model = model;
    this.hooks = [...options.hooks];
    this.widths = widths;
    this.#options = options;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Record<string, Tensor<'float32'>>> {
    const capacity = this.#options.bufferRows ?? 16384;
    const chunkRows = this.#options.chunkRows ?? 4096;
    const rand = seededRandom(this.#options.seed ?? 0);
    const buffers = Object.fromEntries(this.hooks.map((h) => [h, [] as Float32Array[]]));
    let rows = 0;
    let shard = 0;
    const emit = function* (this: ActivationStore, count: number): Generator<Record<string, Tensor<'float32'>>> {
      const order = randomPermutation(rows, rand);
      const out: Record<string, Float32Array[]> = {};
      for (const h of this.hooks) {
        const rowsOf = buffers[h]!;
        out[h] = Array.from(order, (i) => rowsOf[i]!);
      }
      for (let start = 0; start < count; start += chunkRows) {
        const end = Math.min(start + chunkRows, count);
        yield Object.fromEntries(this.hooks.map((h) => [h, stack(out[h]!.slice(start, end), this.widths[h]!)]));
      }
      for (const h of this.hooks) buffers[h] = out[h]!.slice(count);
      rows -= count;
    }.bind(this);
    for await (const feeds of this.#options.dataset) {
      const { cache } = await this.model.runWithCache(feeds, { hooks: [...this.hooks] });
      for (const h of this.hooks) {
        const act = cache.get(h);
        const width = this.widths[h]!;
        const f = (act.dtype === 'float32' ? act : act.clone('float32')) as Tensor<'float32'>;
        if (this.#options.cacheDir !== undefined) {
          const dir = join(this.#options.cacheDir, h);
          await mkdir(dir, { recursive: true });
          await writeFile(join(dir, `shard_${String(shard).padStart(6, '0')}.npy`), writeNpy(Tensor.from(f.data, [f.data.length / width, width])));
        }
        for (let r = 0; r < f.data.length / width; r++) buffers[h]!.push(f.data.subarray(r * width, (r + 1) * width));
      }
      rows += cache.get(this.hooks[0]!).data.length / this.widths[this.hooks[0]!]!;
      shard++;
      if (rows >= capacity) yield* emit(Math.floor(rows / 2));
    }
    if (rows > 0) yield* emit(rows);
  }

  /** One hook's activations as a stream of [rows, width] chunks (for `SAETrainer.train`). */
  async *hook(name: string): AsyncIterable<Tensor<'float32'>> {
    if (!this.hooks.includes(name)) throw new MechintError('UNKNOWN_HOOK', `This store reads ${this.hooks.join(', ')}, not '${name}'.`);
    for await (const chunk of this) yield chunk[name]!;
  }
}

/**
 * Reads back the `.npy` shards an {@link ActivationStore} wrote for one hook, in order.
 *
 * @example
 * ```ts
 * import { readShards } from '@mechint/sae';
 * for await (const chunk of readShards('/tmp/acts', 'blocks.0.hook_resid_post')) console.log(chunk.shape);
 * ```
 */
export async function* readShards(cacheDir: string, hook: string): AsyncIterable<Tensor<'float32'>> {
  const dir = join(cacheDir, hook);
  const names = (await readdir(dir)).filter((n) => /^shard_\d+\.npy$/.test(n)).sort();
  for (const name of names) yield readNpy(new Uint8Array(await readFile(join(dir, name)))) as Tensor<'float32'>;
}

function stack(rows: readonly Float32Array[], width: number): Tensor<'float32'> {
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, i) => out.set(r, i * width));
  return Tensor.from(out, [rows.length, width]) as Tensor<'float32'>;
}
