/**
 * Runs documentation code as tests: the ```ts blocks of a README (and any other example text) are
 * written as modules next to the test, with the package's import pointed at its source, and run
 * from the repository root; what they print with console.log comes back for the test to check.
 */
import { jest } from '@jest/globals';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';

const repositoryRoot = new URL('../', import.meta.url).pathname;

/** The ```ts code blocks of a Markdown file, in order. */
export function tsBlocks(markdown) {
  return [...readFileSync(markdown, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/**
 * The ```ts code of every TSDoc `@example` in the `.ts` files of the folder `src`, as
 * `[label, code]` pairs (label: file name and the example's index in it).
 */
export function tsdocExamples(src) {
  return readdirSync(src)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((file) =>
      [...readFileSync(new URL(file, src), 'utf8').matchAll(/@example\n((?:\s*\*.*\n)*?)\s*\*\/|@example\n((?:\s*\*.*\n)+?)\s*\* @/g)].flatMap((m, i) => {
        const body = (m[1] ?? m[2] ?? '').split('\n').map((l) => l.replace(/^\s*\* ?/, '')).join('\n');
        const code = /```ts\n([\s\S]*?)```/.exec(body)?.[1];
        return code === undefined ? [] : [[`${file} #${i}`, code]];
      }),
    );
}

/** What each `console.log(…); // claim` line of `code` says it prints, in order. */
export function printedClaims(code) {
  return [...code.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]);
}

/**
 * Runs `code` as an ES module. `from '<packageName>'` is rewritten to `entry` (a path relative to
 * `generated`, the folder the module is written to); returns the argument lists of every console.log.
 */
export async function runExample(code, { packageName, entry, generated, name }) {
  mkdirSync(generated, { recursive: true });
  const file = new URL(`${name}.ts`, generated);
  writeFileSync(file, code.replaceAll(`from '${packageName}'`, `from '${entry}'`));
  const printed = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...args) => void printed.push(args));
  const cwd = process.cwd();
  process.chdir(repositoryRoot);
  try {
    await import(file.pathname);
  } finally {
    process.chdir(cwd);
    log.mockRestore();
  }
  return printed;
}
