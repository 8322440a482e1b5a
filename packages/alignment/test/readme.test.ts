import { jest } from '@jest/globals';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * The README's quick start is code users paste: it must run as written (only the package import is
 * pointed at the source here) and print what its comments say.
 */
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

async function runBlock(code: string, name: string): Promise<unknown[][]> {
  const dir = new URL('./.generated/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`${name}.ts`, dir);
  writeFileSync(file, code.replace("from '@mechint/alignment'", "from '../../src/index.js'"));
  const printed: unknown[][] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args));
  try {
    await import(file.pathname);
  } finally {
    log.mockRestore();
  }
  return printed;
}

/** What each `console.log(...); // comment` line promises to print. */
function promised(code: string): string[] {
  return [...code.matchAll(/console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((m) => m[1]!.trim());
}

describe('README', () => {
  it('has one quick start, and it prints what its comments say', async () => {
    expect(blocks).toHaveLength(1);
    const printed = await runBlock(blocks[0]!, 'readme-quick-start');
    expect(printed.map((args) => args.map(String).join(' '))).toEqual(promised(blocks[0]!));
  });
});
