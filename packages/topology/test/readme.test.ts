import { jest } from '@jest/globals';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/**
 * The README's examples are code users paste: each ```ts block must run as written (only the
 * package import is pointed at the source here), from the repository root, and print what its
 * comments say.
 */
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const generated = new URL('./.generated/', import.meta.url);
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

async function runBlock(code: string, index: number): Promise<unknown[][]> {
  mkdirSync(generated, { recursive: true });
  const file = new URL(`readme-block-${index}.ts`, generated);
  writeFileSync(file, code.replace("from '@mechint/topology'", "from '../../src/index.js'"));
  const printed: unknown[][] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args));
  const cwd = process.cwd();
  process.chdir(new URL('../../../', import.meta.url).pathname);
  try {
    await import(file.pathname);
  } finally {
    process.chdir(cwd);
    log.mockRestore();
  }
  return printed;
}

describe('README examples', () => {
  afterAll(() => rmSync(generated, { recursive: true, force: true }));

  it('has a quick start', () => {
    expect(blocks).toHaveLength(1);
  });

  it('quick start runs and prints what its comments say', async () => {
    const printed = await runBlock(blocks[0]!, 0);
    expect(printed).toEqual([[1, [0, Infinity]], [true], [1]]);
  });
});
