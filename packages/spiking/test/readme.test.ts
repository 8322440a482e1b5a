import { jest } from '@jest/globals';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

/** The README's quick start is code users paste: it must run as written (only the package import is pointed at the source) and print what its comments say. */
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('README', () => {
  it('quick start runs and prints what its comments say', async () => {
    expect(blocks).toHaveLength(1);
    const dir = new URL('./.generated/', import.meta.url);
    mkdirSync(dir, { recursive: true });
    const file = new URL('readme-block-0.ts', dir);
    writeFileSync(file, blocks[0]!.replace("from '@mechint/spiking'", "from '../../src/index.js'"));
    const printed: unknown[][] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args));
    try {
      await import(file.pathname);
    } finally {
      log.mockRestore();
    }
    const [low, high] = printed[0]![0] as [number, number];
    // The closed form 1000 / (τ ln(I / (I − θ))), within 1% (whole spikes in a 2 s window, Euler at dt = 0.01 ms).
    expect(Math.abs(low / (1000 / (10 * Math.log(1.5 / 0.5))) - 1)).toBeLessThan(0.01);
    expect(Math.abs(high / (1000 / (10 * Math.log(3 / 2))) - 1)).toBeLessThan(0.01);
    expect(readme).toContain(`console.log(firingRates(spikes, { dt: 0.01 }).toArray().map(Math.round)); // [${low}, ${high}]`);
    expect(printed[1]![0]).toBeCloseTo(0, 9);
    expect(printed[2]![0]).toEqual([[[1]], [[0]], [[1]]]);
  });
});
