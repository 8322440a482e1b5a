/** The ```ts code blocks of a Markdown file, in order. */
export function tsBlocks(markdown: URL): string[];

/** The ```ts code of every TSDoc `@example` in the `.ts` files of the folder `src`, as [label, code] pairs. */
export function tsdocExamples(src: URL): (readonly [string, string])[];

/** What each `console.log(…); // claim` line of `code` says it prints, in order. */
export function printedClaims(code: string): string[];

/** Where and how {@link runExample} writes the example module. */
export interface ExampleOptions {
  /** The package name the example imports, e.g. `'@mechint/core'`. */
  packageName: string;
  /** What that import is pointed at, relative to `generated`, e.g. `'../../src/index.js'`. */
  entry: string;
  /** The folder the module is written to (git-ignored `test/.generated/`). */
  generated: URL;
  /** The module's file name, without extension. */
  name: string;
}

/** Runs example code from the repository root; returns the argument lists of every console.log. */
export function runExample(code: string, options: ExampleOptions): Promise<unknown[][]>;
