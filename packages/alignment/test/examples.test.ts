import { jest } from '@jest/globals';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Every public export's TSDoc `@example` runs as written (its package import pointed at the
 * source) and prints what its `// comment` says.
 */
const src = new URL('../src/', import.meta.url);
const examples = readdirSync(src)
  .filter((f) => f.endsWith('.ts'))
  .flatMap((file) =>
    [...readFileSync(new URL(file, src), 'utf8').matchAll(/@example\n \* ```ts\n([\s\S]*?) \* ```/g)]
      .map((m) => m[1]!.replace(/^ \*( |$)/gm, ''))
      .filter((code) => code.includes("from '@mechint/alignment'"))
      .map((code, i) => ({ name: `${file.replace('.ts', '')}-${i}`, code })),
  );

/** The printed form each example's comment promises: strings quoted, arrays as JSON. */
function format(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(format).join(', ')}]`;
  return String(value);
}

describe('TSDoc examples', () => {
  it('covers the public API', () => {
    expect(examples.length).toBeGreaterThanOrEqual(16);
  });

  for (const { name, code } of examples) {
    it(name, async () => {
      const dir = new URL('./.generated/', import.meta.url);
      mkdirSync(dir, { recursive: true });
      const file = new URL(`example-${name}.ts`, dir);
      writeFileSync(file, code.replace("from '@mechint/alignment'", "from '../../src/index.js'"));
      const printed: string[] = [];
      const log = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.map(format).join(' ')));
      try {
        await import(file.pathname);
      } finally {
        log.mockRestore();
      }
      const promised = [...code.matchAll(/console\.log\([\s\S]*?\);\s*\/\/ (.*)$/gm)].map((m) => m[1]!.trim());
      expect(printed.slice(0, promised.length)).toEqual(promised);
    });
  }
});
