/**
 * Progress for long work: a redrawn bar on a terminal, plain lines otherwise, nothing with
 * `--quiet`. Nothing is shown for work that ends within a second.
 */

/** Where progress is written: a stream's `write` and whether it is a terminal. */
export interface ProgressSink {
  write(text: string): void;
  readonly isTTY: boolean;
}

/** Reports the progress of one task. */
export interface ProgressTask {
  /** `done` of `total` units finished. */
  update(done: number, total: number): void;
  /** The task ended (erases the bar on a terminal). */
  end(): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Show nothing (`--quiet`). */
  quiet: boolean;
  /** Milliseconds before anything is shown. Defaults to 1000. */
  delayMs?: number;
  /** Milliseconds between plain lines. Defaults to 1000. */
  lineIntervalMs?: number;
  /** The clock (for tests). Defaults to `Date.now`. */
  now?: () => number;
}

/** Starts progress tasks. */
export type Progress = (label: string) => ProgressTask;

const WIDTH = 28;

/**
 * A progress reporter writing to `sink`.
 *
 * @example
 * ```ts
 * import { createProgress } from '@mechint/cli';
 * const task = createProgress({ write: (t) => process.stderr.write(t), isTTY: false }, { quiet: false })('training');
 * task.update(10, 100);
 * task.end();
 * ```
 */
export function createProgress(sink: ProgressSink, options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const delay = options.delayMs ?? 1000;
  const interval = options.lineIntervalMs ?? 1000;
  return (label) => {
    const start = now();
    let last = -Infinity;
    let drawn = false;
    return {
      update(done, total) {
        if (options.quiet) return;
        const t = now();
        if (t - start < delay) return;
        const fraction = total > 0 ? Math.min(1, done / total) : 0;
        const percent = `${Math.round(fraction * 100)}%`.padStart(4);
        if (sink.isTTY) {
          const filled = Math.round(fraction * WIDTH);
          sink.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${percent} ${done}/${total}`);
          drawn = true;
        } else if (t - last >= interval || done === total) {
          sink.write(`${label}: ${done}/${total} (${percent.trim()})\n`);
          last = t;
        }
      },
      end() {
        if (drawn) sink.write('\r\x1b[2K');
        drawn = false;
      },
    };
  };
}
