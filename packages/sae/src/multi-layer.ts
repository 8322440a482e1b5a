/**
 * `MultiLayerSAETrainer`: one SAE per hook point, all trained from the same forward passes.
 */
import { MechintError, type HookedModel, type Tensor } from '@mechint/core';
import { ActivationStore, type ActivationStoreOptions, type Feeds } from './activation-store.js';
import type { SparseAutoencoderOptions } from './config.js';
import { SparseAutoencoder } from './sparse-autoencoder.js';
import { SAETrainer, type SAETrainerOptions, type TrainProgress, type TrainResult } from './trainer.js';

/** Options of {@link MultiLayerSAETrainer}. */
export interface MultiLayerSAETrainerOptions extends Omit<SparseAutoencoderOptions, 'dIn' | 'hookName'> {
  model: HookedModel;
  /** One SAE per hook; each SAE's dIn is its hook's width. */
  hooks: readonly string[];
  /** Training options shared by every SAE. */
  trainer?: SAETrainerOptions;
  /** Shuffle-buffer options of the shared {@link ActivationStore}. */
  store?: Omit<ActivationStoreOptions, 'hooks' | 'dataset'>;
}

/**
 * Trains one SAE per hook from shared forward passes: a single {@link ActivationStore} records
 * every hook in one run per dataset item and hands each trainer its hook's rows.
 *
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { MultiLayerSAETrainer } from '@mechint/sae';
 * const model = await HookedModel.load('packages/core/test/fixtures/gpt2l.onnx');
 * const multi = new MultiLayerSAETrainer({ model, hooks: ['blocks.0.hook_resid_post', 'blocks.1.hook_resid_post'], dSae: 128, architecture: 'topk', k: 8, trainer: { batchSize: 64 } });
 * const dataset = Array.from({ length: 8 }, () => ({ tokens: Tensor.from([Array.from({ length: 16 }, (_, i) => BigInt(i % 24))]) }));
 * await multi.train(dataset, { steps: 2 });
 * multi.saes['blocks.1.hook_resid_post']!.W_dec.shape; // [128, 64]
 * ```
 */
export class MultiLayerSAETrainer {
  /** The SAEs by hook name. */
  readonly saes: Readonly<Record<string, SparseAutoencoder>>;
  readonly #options: MultiLayerSAETrainerOptions;

  constructor(options: MultiLayerSAETrainerOptions) {
    if (options?.hooks === undefined || options.hooks.length === 0) throw new MechintError('INVALID_ARGUMENT', 'Name at least one hook.');
    const { model, hooks } = options;
    const saeOptions: Omit<SparseAutoencoderOptions, 'dIn' | 'hookName'> = { ...options };
    for (const key of ['model', 'hooks', 'trainer', 'store']) delete (saeOptions as Record<string, unknown>)[key];
    const saes: Record<string, SparseAutoencoder> = {};
    for (const hook of hooks) {
      const point = model.hookPoint(hook);
      const width = point.shape?.[point.shape.length - 1];
      if (typeof width !== 'number') throw new MechintError('SHAPE_MISMATCH', `The width of hook '${hook}' is unknown; load the model with probing on.`);
      saes[hook] = new SparseAutoencoder({ ...saeOptions, dIn: width, hookName: hook });
    }
    this.saes = saes;
    this.#options = options;
  }

  /** Trains every SAE for `steps` steps on activations of `dataset`. */
  async train(dataset: Iterable<Feeds> | AsyncIterable<Feeds>, options: { steps: number; signal?: AbortSignal; onProgress?: (hook: string, progress: TrainProgress) => void }): Promise<Record<string, TrainResult>> {
    const hooks = Object.keys(this.saes);
    const store = new ActivationStore(this.#options.model, { ...this.#options.store, hooks, dataset });
    const source = store[Symbol.asyncIterator]();
    const queues = new Map(hooks.map((h) => [h, [] as Tensor<'float32'>[]]));
    let finished = false;
    let pulling: Promise<void> | undefined;
    const pull = (): Promise<void> =>
      (pulling ??= source.next().then((step) => {
        pulling = undefined;
        if (step.done === true) finished = true;
        else for (const h of hooks) queues.get(h)!.push(step.value[h]!);
      }));
    const stream = async function* (hook: string): AsyncIterable<Tensor<'float32'>> {
      const queue = queues.get(hook)!;
      for (;;) {
        while (queue.length === 0 && !finished) await pull();
        const next = queue.shift();
        if (next === undefined) return;
        yield next;
      }
    };
    const results = await Promise.all(
      hooks.map((h) =>
        new SAETrainer(this.saes[h]!, { ...this.#options.trainer, backend: this.#options.model.backend }).train(stream(h), {
          steps: options.steps,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
          ...(options.onProgress === undefined ? {} : { onProgress: (p: TrainProgress) => options.onProgress!(h, p) }),
        }),
      ),
    );
    return Object.fromEntries(hooks.map((h, i) => [h, results[i]!]));
  }
}
