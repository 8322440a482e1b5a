import { runExample, tsBlocks } from '../../../tools/run-example.js';

/** The README's library block is code users paste: it must run as written and print what its comments say. */
const blocks = tsBlocks(new URL('../README.md', import.meta.url));

describe('README', () => {
  it('has one TypeScript block', () => {
    expect(blocks).toHaveLength(1);
  });

  it('runs and prints what its comments say', async () => {
    const printed = await runExample(blocks[0]!, { packageName: '@mechint/cli', entry: '../../src/index.js', generated: new URL('./.generated/', import.meta.url), name: 'readme-block-0' });
    expect(printed).toEqual([[0], ['https://vega.github.io/schema/vega-lite/v6.json', true]]);
  });
});
