import { rmSync } from 'node:fs';
import { runExample, tsBlocks } from '../../../tools/run-example.js';

/**
 * The README's examples are code users paste: each ```ts block must run as written (only the
 * package import is pointed at the source here), from the repository root, and print what its
 * comments say.
 */
const generated = new URL('./.generated/', import.meta.url);
const blocks = tsBlocks(new URL('../README.md', import.meta.url));
const runBlock = (code: string, index: number) => runExample(code, { packageName: '@mechint/topology', entry: '../../src/index.js', generated, name: `readme-block-${index}` });

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
