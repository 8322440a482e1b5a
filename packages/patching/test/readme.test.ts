import { runExample, tsBlocks } from '../../../tools/run-example.js';

/** The README's quick start is code users paste: it must run as written and print what its comments say. */
const blocks = tsBlocks(new URL('../README.md', import.meta.url));

describe('README', () => {
  it('has one quick start block', () => {
    expect(blocks).toHaveLength(1);
  });

  it('quick start runs and prints what its comments say', async () => {
    const printed = await runExample(blocks[0]!, { packageName: '@mechint/patching', entry: '../../src/index.js', generated: new URL('./.generated/', import.meta.url), name: 'readme-block-0' });
    expect(printed).toEqual([[[2, 4], true], [true]]);
  });
});
