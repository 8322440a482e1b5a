import { runExample, tsBlocks } from '../../../tools/run-example.js';

/** The tutorial's blocks run in order as one script and print what their comments say. */
const blocks = tsBlocks(new URL('../docs/induction-circuit.md', import.meta.url));

describe('docs/induction-circuit.md', () => {
  it('runs and prints what its comments say', async () => {
    expect(blocks).toHaveLength(8);
    const printed = await runExample(blocks.join('\n'), { packageName: '@mechint/patching', entry: '../../src/index.js', generated: new URL('./.generated/', import.meta.url), name: 'tutorial' });
    const lines = printed.map((args) => args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    const comments = blocks.join('\n').split('\n').filter((l) => l.startsWith('// ') && !l.startsWith('// ...')).map((l) => l.slice(3));
    const summary = lines.findIndex((l) => l.startsWith('zero ablation;'));
    expect(summary).toBeGreaterThan(0);
    expect(lines[summary]).toContain('blocks.0.attn head 2');
    const checked = lines.filter((_, i) => i !== summary);
    expect(checked.map((l) => l.replaceAll('"', "'").replaceAll(',', ', ').replaceAll('[', '[ ').replaceAll(']', ' ]').replace(/\s+/g, ' '))).toEqual(comments.map((c) => c.replace(/\s+/g, ' ')));
  });
});
