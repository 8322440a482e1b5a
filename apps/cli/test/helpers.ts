/** Running the command line in-process, fixtures, temporary folders. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, readNpz, writeNpz, type Tensor } from '@mechint/core';
import { main } from '../src/index.js';

/** A path under the repository root. */
export const repo = (path: string) => new URL(`../../../${path}`, import.meta.url).pathname;
/** A fixture of @mechint/core. */
export const fixture = (name: string) => repo(`packages/core/test/fixtures/${name}`);

/** What one command printed and returned. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `mechint …argv` in-process with `cwd`, capturing its output. */
export async function mechint(argv: string[], cwd: string): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    cwd,
    stdout: { write: (t) => void (stdout += t), isTTY: false },
    stderr: { write: (t) => void (stderr += t), isTTY: false },
  });
  return { code, stdout, stderr };
}

/** A fresh temporary folder, removed by the returned function. */
export function temporaryFolder(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mechint-cli-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Reads a JSON output. */
export const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
/** Reads a `.npy` output. */
export const readNpyFile = (path: string): Tensor => readNpy(readFileSync(path));
/** Reads an `.npz`. */
export const readNpzFile = (path: string): Record<string, Tensor> => readNpz(readFileSync(path));
/** Writes an `.npz`. */
export const writeNpzFile = (path: string, arrays: Record<string, Tensor>): void => writeFileSync(path, writeNpz(arrays));

/** The one line an error prints, checked to be one line with the code. */
export function errorLine(ran: Ran, code: string): string {
  const lines = ran.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^mechint: error \\[${code}\\] `));
  expect(ran.stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}
