import { runExample, tsBlocks } from '../../../tools/run-example.js';

/** The README's quick start is code users paste: it must run as written and print what its comments say. */
const blocks = tsBlocks(new URL('../README.md', import.meta.url));

describe('README', () => {
  it('has one quick start block', () => {
    expect(blocks).toHaveLength(1);
  });

  it('quick start runs and prints what its comments say', async () => {
    const printed = await runExample(blocks[0]!, { packageName: '@mechint/sae', entry: '../../src/index.js', generated: new URL('./.generated/', import.meta.url), name: 'readme-block-0' });
    expect(printed[0]).toEqual([40, [256, 64]]);
    expect(printed[1]).toEqual([8, true]);
    expect(printed[2]).toEqual([true]);
    expect(printed[3]).toEqual(['blocks.0.hook_resid_post']);
  }, 60_000);
});
