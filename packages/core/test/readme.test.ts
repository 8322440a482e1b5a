import { runExample, tsBlocks } from '../../../tools/run-example.js';

/**
 * The README's examples are code users paste: each ```ts block must run as written (only the
 * package import is pointed at the source here), from the repository root, and print what its
 * comments say.
 */
const blocks = tsBlocks(new URL('../README.md', import.meta.url));
const runBlock = (code: string, index: number) =>
  runExample(code, { packageName: '@mechint/core', entry: '../../src/index.node.js', generated: new URL('./.generated/', import.meta.url), name: `readme-block-${index}` });

describe('README examples', () => {
  it('has a quick start, a hooked-model and a gradient example', () => {
    expect(blocks).toHaveLength(3);
  });

  it('quick start runs and prints what its comment says', async () => {
    const [[ep, logits, pattern]] = (await runBlock(blocks[0]!, 0)) as [[string, number[], number[]]];
    expect(['cpu', 'webgpu']).toContain(ep);
    expect(logits).toEqual([1, 9, 24]);
    expect(pattern).toEqual([1, 4, 9, 9]);
  });

  it('hooked-model example runs and prints what its comments say', async () => {
    const printed = await runBlock(blocks[1]!, 1);
    expect(String(printed[0]![0])).toMatch(/^2 attention layer\(s\) recognised \(blocks\.0\.attn, blocks\.1\.attn\)/);
    expect(printed[1]).toEqual([[1, 4, 9, 9], [1, 9, 24]]);
  });

  it('gradient example runs and prints what its comment says', async () => {
    const printed = await runBlock(blocks[2]!, 2);
    expect(printed[0]).toEqual([[1, 9, 64], [24, 64]]);
  });
});
