import { printedClaims, runExample, tsdocExamples } from '../../../tools/run-example.js';

/** Every TSDoc @example in src/ runs as written and prints what its trailing comment says. */
const examples = tsdocExamples(new URL('../src/', import.meta.url));

describe('TSDoc examples', () => {
  it('exist for the exported functions', () => {
    expect(examples.length).toBeGreaterThanOrEqual(17);
  });

  it.each(examples)('%s runs and prints what it says', async (name, code) => {
    const printed = await runExample(code, { packageName: '@mechint/patching', entry: '../../src/index.js', generated: new URL('./.generated/', import.meta.url), name: `example-${name.replace(/[^a-z0-9]+/gi, '-')}` });
    const claims = printedClaims(code);
    expect(printed).toHaveLength(claims.length);
    printed.forEach((args, i) => expect(args.map((a) => JSON.stringify(a)).join(' ').replace(/,/g, ', ').replaceAll('"', "'")).toBe(claims[i]!.replace(/,\s*/g, ', ')));
  });
});
