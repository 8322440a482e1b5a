import { jest } from '@jest/globals';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * The README's quick start is code users paste: it must run as written (only the package import
 * is pointed at the source here), from the repository root.
 */
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const quickStart = /## Quick start[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];

describe('README quick start', () => {
  it('is present', () => {
    expect(quickStart).toContain("from '@mechint/core'");
  });

  it('runs and prints what its comment says', async () => {
    const dir = new URL('./.generated/', import.meta.url);
    mkdirSync(dir, { recursive: true });
    const file = new URL('readme-quick-start.ts', dir);
    writeFileSync(file, quickStart!.replace("from '@mechint/core'", "from '../../src/index.node.js'"));
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
    const [ep, logits, pattern] = printed[0]!;
    expect(['cpu', 'webgpu']).toContain(ep);
    expect(logits).toEqual([1, 9, 24]);
    expect(pattern).toEqual([1, 4, 9, 9]);
  });
});
