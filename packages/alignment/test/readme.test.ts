import { runExample, tsBlocks } from '../../../tools/run-example.js';

/**
 * The README's quick start is code users paste: it must run as written (only the package import is
 * pointed at the source here) and print what its comments say.
 */
const blocks = tsBlocks(new URL('../README.md', import.meta.url));
const runBlock = (code: string, name: string) =>
  runExample(code, { packageName: '@mechint/alignment', entry: '../../src/index.js', generated: new URL('./.generated/', import.meta.url), name });

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
