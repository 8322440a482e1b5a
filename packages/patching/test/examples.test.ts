import { readFileSync, readdirSync } from 'node:fs';
import { runExample } from '../../../tools/run-example.js';

/** Every TSDoc @example in src/ runs as written and prints what its trailing comment says. */
const src = new URL('../src/', import.meta.url);
const examples = readdirSync(src)
  .filter((f) => f.endsWith('.ts'))
  .flatMap((file) =>
    [...readFileSync(new URL(file, src), 'utf8').matchAll(/@example\n((?:\s*\*.*\n)*?)\s*\*\/|@example\n((?:\s*\*.*\n)+?)\s*\* @/g)].flatMap((m, i) => {
      const body = (m[1] ?? m[2] ?? '').split('\n').map((l) => l.replace(/^\s*\* ?/, '')).join('\n');
      const code = /```ts\n([\s\S]*?)```/.exec(body)?.[1];
      return code === undefined ? [] : [[`${file} #${i}`, code] as const];
    }),
  );

describe('TSDoc examples', () => {
  it('exist for the exported functions', () => {
    expect(examples.length).toBeGreaterThanOrEqual(17);
  });

  it.each(examples)('%s runs and prints what it says', async (name, code) => {
    const printed = await runExample(code, { packageName: '@mechint/patching', entry: '../../src/index.js', generated: new URL('./.generated/', import.meta.url), name: `example-${name.replace(/[^a-z0-9]+/gi, '-')}` });
    const claims = [...code.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]!);
    expect(printed).toHaveLength(claims.length);
    printed.forEach((args, i) => expect(args.map((a) => JSON.stringify(a)).join(' ').replace(/,/g, ', ').replaceAll('"', "'")).toBe(claims[i]!.replace(/,\s*/g, ', ')));
  });
});
