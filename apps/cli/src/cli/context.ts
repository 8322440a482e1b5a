/**
 * What every command receives: the parsed global options, output streams, the working directory
 * and progress reporting.
 */
import type { ExecutionProvider } from '@mechint/core';
import type { OutputSet } from './output.js';
import type { Progress } from './progress.js';

/** The global options of every command. */
export interface GlobalOptions {
  /** `--ep`: the execution provider. Defaults to `'cpu'`. */
  readonly ep: ExecutionProvider;
  /** `--json`: print the result as JSON on stdout instead of text. */
  readonly json: boolean;
  /** `--quiet`: print nothing but errors (and `--json` output). */
  readonly quiet: boolean;
  /** `--debug`: print stack traces with errors. */
  readonly debug: boolean;
  /** `--png`: also write every figure as PNG, where a converter (rsvg-convert, Chromium) is installed. */
  readonly png: boolean;
}

/** A text stream as commands use it. */
export interface TextSink {
  write(text: string): void;
  readonly isTTY: boolean;
}

/** What a command runs with. */
export interface CommandContext {
  readonly globals: GlobalOptions;
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Relative paths are resolved against this folder. */
  readonly cwd: string;
  readonly progress: Progress;
  /** Aborted on Ctrl-C. */
  readonly signal: AbortSignal;
  /** Prints a line of text output (suppressed by `--quiet` and `--json`). */
  say(line: string): void;
  /** A new set of output files, written together at the end (with PNG figures under `--png`). */
  outputs(): OutputSet;
}
