import { readFileSync } from 'node:fs';
import { runExample, tsBlocks } from '../../../tools/run-example.js';

/** The README's blocks are code users paste: they must run as written (only the package import is pointed at the source) and print what their comments say. */
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = tsBlocks(new URL('../README.md', import.meta.url));

/** Runs README block `index` and returns what it printed. */
const runBlock = (index: number) =>
  runExample(blocks[index]!, { packageName: '@mechint/spiking', entry: '../../src/index.js', generated: new URL('./.generated/', import.meta.url), name: `readme-block-${index}` });

describe('README', () => {
  it('has the quick start and the training block', () => {
    expect(blocks).toHaveLength(2);
  });

  it('quick start runs and prints what its comments say', async () => {
    const printed = await runBlock(0);
    const [low, high] = printed[0]![0] as [number, number];
    // The closed form 1000 / (τ ln(I / (I − θ))), within 1% (whole spikes in a 2 s window, Euler at dt = 0.01 ms).
    expect(Math.abs(low / (1000 / (10 * Math.log(1.5 / 0.5))) - 1)).toBeLessThan(0.01);
    expect(Math.abs(high / (1000 / (10 * Math.log(3 / 2))) - 1)).toBeLessThan(0.01);
    expect(readme).toContain(`console.log(firingRates(spikes, { dt: 0.01 }).toArray().map(Math.round)); // [${low}, ${high}]`);
    expect(printed[1]![0]).toBeCloseTo(0, 9);
    expect(printed[2]![0]).toEqual([[[1]], [[0]], [[1]]]);
  });

  it('training block prints the step and the surrogate gradient of the hand-derived BPTT', async () => {
    const printed = await runBlock(1);
    expect(printed[0]![0]).toEqual([[[1]], [[0]], [[1]]]);
    // I = 1.2 each step, β = 0.5, θ = 1: U − θ = 0.2, −0.2, 0.6; σ = 1 / (1 + 25|U − θ|)²;
    // ∂/∂U₃ = σ₃, ∂/∂U₂ = (1 − ∂/∂U₃)σ₂ + β ∂/∂U₃, ∂/∂U₁ = (1 − ∂/∂U₂)σ₁ + β ∂/∂U₂; ∂/∂w = Σ ∂/∂U_t (x = 1).
    const s = (x: number) => 1 / (1 + 25 * Math.abs(x)) ** 2;
    const d3 = s(0.6);
    const d2 = (1 - d3) * s(-0.2) + 0.5 * d3;
    const d1 = (1 - d2) * s(0.2) + 0.5 * d2;
    expect(printed[1]![0]).toBeCloseTo(d1 + d2 + d3, 4);
    expect(readme).toContain(`// ${(d1 + d2 + d3).toFixed(4)} = d(spike count) / d weight`);
  });
});
