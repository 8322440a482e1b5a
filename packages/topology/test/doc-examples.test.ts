import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Every `@example` in the sources is code users paste: each must run as written (only the package
 * import is pointed at the source here).
 */
const src = new URL('../src/', import.meta.url);
const generated = new URL('./.generated-examples/', import.meta.url);
const examples = readdirSync(src)
  .filter((file) => file.endsWith('.ts'))
  .flatMap((file) => {
    const text = readFileSync(new URL(file, src), 'utf8');
    return [...text.matchAll(/@example\n\s*\* ```ts\n([\s\S]*?)\n\s*\* ```/g)]
      .map((m) => m[1]!.replace(/^\s*\* ?/gm, ''))
      .map((code, i) => ({ name: `${file} #${i + 1}`, code }));
  });

describe('TSDoc examples', () => {
  afterAll(() => rmSync(generated, { recursive: true, force: true }));

  it('covers the public functions', () => {
    expect(examples.length).toBeGreaterThanOrEqual(19);
  });

  it.each(examples.map((e) => [e.name, e.code] as const))('%s runs', async (name, code) => {
    mkdirSync(generated, { recursive: true });
    const file = new URL(`${name.replace(/[^a-z0-9]+/gi, '-')}.ts`, generated);
    writeFileSync(file, `${code.replace(/from '@mechint\/topology'/g, "from '../../src/index.js'")}\nexport {};\n`);
    await import(file.pathname);
  });
});
