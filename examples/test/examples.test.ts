/**
 * Runs every tutorial as a user would (`tsx --conditions=@mechint/source <file>`) and checks what it
 * prints against facts known without running the code: closed forms, and the fixture model's
 * metadata (`packages/core/test/fixtures/gpt2l.meta.json`, written by the Python generator).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const examples = new URL('../', import.meta.url).pathname;
const tsx = new URL('../node_modules/.bin/tsx', import.meta.url).pathname;
const meta = JSON.parse(readFileSync(new URL('../../packages/core/test/fixtures/gpt2l.meta.json', import.meta.url), 'utf8')) as {
  architecture: { d_model: number; n_heads: number; d_head: number };
  head_scores: Record<'blocks.0' | 'blocks.1', { previous_token: number[]; induction: number[] }>;
  training: { held_out_accuracy_by_L: Record<string, number> };
};

/** Runs one tutorial; returns its standard output (a failing script fails the test with its stderr). */
async function run(file: string): Promise<string> {
  const { stdout } = await promisify(execFile)(tsx, ['--conditions=@mechint/source', file], { cwd: examples, maxBuffer: 1 << 24 });
  return stdout;
}

/** The numbers of the first line matching `pattern` after its match's start. */
function numbersOf(output: string, pattern: RegExp): number[] {
  const line = output.split('\n').find((l) => pattern.test(l));
  if (line === undefined) throw new Error(`no line matches ${pattern}:\n${output}`);
  return [...line.slice(line.search(pattern)).matchAll(/-?\d+(?:\.\d+)?/g)].map((m) => Number(m[0]));
}

/** Every head of layer 1: the fixture's metadata scores all four as induction heads (0.72–0.85; layer 0's ≤ 0.11). */
const layer1Heads = Array.from({ length: meta.architecture.n_heads }, (_, h) => `1.${h}`);

describe('tutorials', () => {
  it('fractal-analysis: estimators agree with the closed forms; the embedding keeps the stimulus', async () => {
    const out = await run('fractal-analysis.ts');
    for (const H of [0.3, 0.5, 0.7, 0.9]) {
      const [h, alpha, , rs, fd, , beta] = numbersOf(out, new RegExp(`^  ${H.toFixed(1)}   `));
      expect(h).toBe(H);
      expect(Math.abs(alpha! - H)).toBeLessThan(0.05); // DFA of fGn: α = H
      expect(Math.abs(fd! - (2 - H))).toBeLessThan(0.05); // Higuchi of fBm: FD = 2 − H
      expect(Math.abs(beta! - (2 * H - 1))).toBeLessThan(0.1); // spectrum of fGn: β = 2H − 1
      expect(rs).toBeGreaterThan(0);
    }
    expect(Math.abs(numbersOf(out, /slope α = /)[0]! - 0.7)).toBeLessThan(0.05);
    for (const H of [0.3, 0.5, 0.9]) {
      const [, tokenAlpha] = numbersOf(out, new RegExp(`H = ${H.toFixed(1)}: the token stream`));
      // Ranking keeps the order of the samples, so the token stream keeps the noise's exponent.
      expect(Math.abs(tokenAlpha! - H)).toBeLessThan(0.08);
      const block = out.slice(out.indexOf(`H = ${H.toFixed(1)}: the token stream`));
      const [, features, readout, r] = numbersOf(block, /blocks\.0\.hook_resid_pre/); // [0 (the layer), …]
      // At layer 0 the last position holds embed[token] + a constant: 23 distinct vectors in 64
      // dimensions, so the token is exactly linearly decodable (r = 1) and an affine image of the
      // token stream has the same DFA exponent.
      expect(r).toBe(1);
      expect(Math.abs(readout! - tokenAlpha!)).toBeLessThanOrEqual(0.011);
      expect(features).toBeGreaterThan(0);
    }
  });

  it('causal-interventions: what each edit does to induction accuracy', async () => {
    const out = await run('causal-interventions.ts');
    const [cleanAccuracy, cleanLogProb] = numbersOf(out, /clean prompts/);
    expect(cleanAccuracy).toBeGreaterThanOrEqual(meta.training.held_out_accuracy_by_L['10']! - 0.01);
    // Fresh tokens cannot be predicted from the context: about chance.
    expect(numbersOf(out, /corrupted prompts/)[0]).toBeLessThan(0.2);
    // One attention layer cannot implement induction (Olsson et al. 2022): without layer 1's heads it fails.
    expect(numbersOf(out, /zero all of layer 1/)[1]).toBeLessThan(0.3);
    // Everything after block 1's input is a function of it: patching it at every position gives the clean run.
    const [, patchedAccuracy, patchedLogProb] = numbersOf(out, /patch blocks\.1\.hook_resid_pre/);
    expect(patchedAccuracy).toBe(cleanAccuracy);
    expect(patchedLogProb).toBeCloseTo(cleanLogProb!, 2);
    // Steering by 0 is no edit.
    expect(numbersOf(out, /α = 0 /)[3]).toBe(cleanAccuracy);
  });

  it("biophysical-constraints: LIF rates, Dale's law and STDP as the closed forms say", async () => {
    const out = await run('biophysical-constraints.ts');
    for (const I of [1.1, 1.5, 2, 3, 5]) {
      const [, measured] = numbersOf(out, new RegExp(`I = ${I.toFixed(1)} `));
      const theory = 1000 / (10 * Math.log(I / (I - 1)));
      expect(Math.abs(measured! - theory) / theory).toBeLessThan(0.02);
    }
    // A symmetric random matrix has the wrong sign in half its entries, and keeps √½ of its norm.
    const [zeroed, kept] = numbersOf(out, /entries set to zero/);
    expect(Math.abs(zeroed! - 50)).toBeLessThan(1.5);
    expect(Math.abs(kept! - 100 * Math.SQRT1_2)).toBeLessThan(1.5);
    expect(numbersOf(out, /^  Dale's law +mixed-sign/).slice(0, 2)).toEqual([0, 500]);
    expect(numbersOf(out, /^  scattered signs +mixed-sign/)[0]).toBeGreaterThan(400);
    // DalesLinear keeps the signs by construction; the task is learnable (spiking's own training test).
    const after = numbersOf(out, /after: +held-out accuracy/);
    expect(after[0]).toBeGreaterThanOrEqual(0.9);
    expect(after[1]).toBe(0);
    for (const dt of [-40, -20, -10, -5, 5, 10, 20, 40]) {
      const [, dw, theory] = numbersOf(out, new RegExp(`Δt = +${dt} ms`));
      const expected = dt > 0 ? 0.01 * Math.exp(-dt / 20) : -0.0105 * Math.exp(dt / 20);
      expect(Math.abs(dw! - expected)).toBeLessThan(2e-5);
      expect(theory).toBeCloseTo(expected, 5);
    }
  });

  it('circuit-discovery: the induction heads are in layer 1, the previous-token head is the fixture\'s', async () => {
    const out = await run('circuit-discovery.ts');
    const expectedPrev = meta.head_scores['blocks.0'].previous_token.indexOf(Math.max(...meta.head_scores['blocks.0'].previous_token));
    expect(out).toContain(`heads that carry the answer (score > 0.2): ${layer1Heads.join(', ')}`);
    expect(out).toContain(`previous-token head: 0.${expectedPrev} `);
    expect(out).toContain(`induction heads: ${layer1Heads.join(', ')} `);
    // Induction heads compose with the previous-token head (K-composition, Olsson et al. 2022).
    expect(out).toContain(`the layer-0 head the induction heads read from (causal graph): 0.${expectedPrev}\n`);
    // Induction needs the previous-token head: ablating it alone must hurt.
    const necessary = /heads necessary on their own: ([\d., ]*);/.exec(out)![1]!.split(', ');
    expect(necessary).toContain(`0.${expectedPrev}`);
    // The attention scores match the generator's (on its own two prompts) within sampling error.
    const block = out.slice(out.indexOf('3. Attention scores'));
    const previous = block.slice(0, block.indexOf('induction ('));
    const induction = block.slice(block.indexOf('induction ('));
    for (const layer of [0, 1] as const) {
      const scores = meta.head_scores[`blocks.${layer}`];
      numbersOf(previous, new RegExp(`layer ${layer}:`)).slice(1).forEach((v, h) => expect(Math.abs(v - scores.previous_token[h]!)).toBeLessThan(0.05));
      numbersOf(induction, new RegExp(`layer ${layer}:`)).slice(1).forEach((v, h) => expect(Math.abs(v - scores.induction[h]!)).toBeLessThan(0.05));
    }
  });

  it('end-to-end: hooks, cache, attribution, CKA and topology agree with the model card', async () => {
    const out = await run('end-to-end.ts');
    const { d_model: d, n_heads: heads, d_head: dHead } = meta.architecture;
    expect(out).toContain(`blocks.1.hook_resid_pre    [batch, pos, ${d}] float32`);
    expect(out).toContain(`blocks.1.attn.z            [batch, pos, ${heads}, ${dHead}] float32`);
    expect(out).toContain(`induction heads (score > 0.5): ${layer1Heads.join(', ')}`);
    // Induction copies the token after the first occurrence: position q + 1 − L.
    const [attributed, copied] = numbersOf(out, /most-attributed earlier position/);
    expect(attributed).toBe(copied);
    // CKA of a layer with itself is 1.
    const rows = out.split('\n').filter((l) => /^ {3}\[\d\] blocks/.test(l));
    expect(rows).toHaveLength(5);
    rows.forEach((row, i) => expect(numbersOf(row, /\] blocks/).slice(-5)[i]).toBe(1));
  });
});
