/**
 * Progress reports and cancellation for long computations: a callback with what is being done and
 * how far along it is, an `AbortSignal` checked between chunks of work, and a yield to the event
 * loop now and then so that a timer or an input handler can abort a synchronous-looking loop.
 */
import { MechintError } from '@mechint/core';

/**
 * One progress report: the phase, the homology dimension it concerns (where one does) and how far
 * along it is.
 *
 * @example
 * ```ts
 * import type { Progress } from '@mechint/topology';
 * const log = (p: Progress) => console.log(`${p.phase} H${p.dim ?? ''}: ${p.done}/${p.total}`);
 * ```
 */
export interface Progress {
  /** `'distances'`: pairwise distances; `'H0'`: connected components; `'assemble'`: listing the simplices of `dim`; `'reduce'`: reducing the coboundary columns of `dim`; `'cycles'`: representative cycles of `dim`; `'neighbours'`: nearest neighbours. */
  phase: 'distances' | 'H0' | 'assemble' | 'reduce' | 'cycles' | 'neighbours';
  /** The homology dimension of the phase, where it has one. */
  dim?: number;
  /** Units of work done so far (rows, edges, columns). */
  done: number;
  /** Units of work in this phase. */
  total: number;
}

/**
 * Options shared by every long computation of this package.
 *
 * @example
 * ```ts
 * import type { LongRunning } from '@mechint/topology';
 * const controller = new AbortController();
 * const options: LongRunning = { signal: controller.signal, onProgress: (p) => console.log(p.phase, p.done) };
 * ```
 */
export interface LongRunning {
  /** Called with a {@link Progress} report at the start and end of each phase and about every 50 ms in between. */
  onProgress?: (progress: Progress) => void;
  /** Aborts the computation: it throws `MechintError` (`ABORTED`) at the next check. */
  signal?: AbortSignal;
}

const REPORT_EVERY_MS = 50;

/** @internal Reports progress, checks the abort signal and yields to the event loop about every 50 ms. */
export class Ticker {
  readonly #options: LongRunning;
  #last = performance.now();

  constructor(options: LongRunning) {
    this.#options = options;
    this.check();
  }

  /** Throws when the signal has fired. */
  check(): void {
    const signal = this.#options.signal;
    if (signal?.aborted === true) {
      throw new MechintError('ABORTED', 'The computation was aborted through its AbortSignal; start it again with a fresh signal to rerun it.', {
        cause: signal.reason,
      });
    }
  }

  /** Reports `progress` now (phase boundaries). */
  report(progress: Progress): void {
    this.#options.onProgress?.(progress);
    this.check();
  }

  /** True when a report is due; call {@link Ticker.tick} then. Cheap enough for inner loops. */
  due(): boolean {
    return performance.now() - this.#last >= REPORT_EVERY_MS;
  }

  /** Reports `progress`, lets other tasks run, and throws if the signal fired meanwhile. */
  async tick(progress: Progress): Promise<void> {
    this.#last = performance.now();
    this.#options.onProgress?.(progress);
    this.check();
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    this.check();
  }
}
