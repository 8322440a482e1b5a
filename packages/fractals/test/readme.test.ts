import { runExample, tsBlocks } from '../../../tools/run-example.js';

/**
 * The README's quick start is code users paste: it must run as written (only the package import is
 * pointed at the source here) and print what its comments say (closed forms: H, 2 − H, 2H − 1,
 * Kantelhardt's h(2) for a = 0.75, the (2, 2)-flower's dimension 2).
 */
const blocks = tsBlocks(new URL('../README.md', import.meta.url));

describe('README', () => {
  it('quick start runs and prints what its comments say', async () => {
    expect(blocks).toHaveLength(1);
    const printed = await runExample(blocks[0]!, { packageName: '@mechint/fractals', entry: '../../src/index.js', generated: new URL('./.generated/', import.meta.url), name: 'readme-block-0' });
    expect(printed).toEqual([['0.8'], ['1.2'], ['0.6'], ['0.84'], ['2.00'], [['0.3', '0.7']]]);
  });
});
