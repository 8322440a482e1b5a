import { jest } from '@jest/globals';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * The README's quick start is code users paste: it must run as written (only the package import is
 * pointed at the source here) and print what its comments say (closed forms: H, 2 − H, 2H − 1,
 * Kantelhardt's h(2) for a = 0.75, the (2, 2)-flower's dimension 2).
 */
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('README', () => {
  it('quick start runs and prints what its comments say', async () => {
    expect(blocks).toHaveLength(1);
    const dir = new URL('./.generated/', import.meta.url);
    mkdirSync(dir, { recursive: true });
    const file = new URL('readme-block-0.ts', dir);
    writeFileSync(file, blocks[0]!.replace("from '@mechint/fractals'", "from '../../src/index.js'"));
    const printed: unknown[][] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args));
    try {
      await import(file.pathname);
    } finally {
      log.mockRestore();
    }
    expect(printed).toEqual([['0.8'], ['1.2'], ['0.6'], ['0.84'], ['2.00'], [['0.3', '0.7']]]);
  });
});
