/**
 * `--ep webgpu` / `--ep cuda`: where the provider runs, `cache` gives torch's activations on it;
 * where it does not, the command exits 4 with the install hint on one line. Missing providers skip
 * (with the reason in the test name) unless MECHINT_REQUIRE_<EP>=1.
 */
import { join } from 'node:path';
import { Backend, type ExecutionProvider, type Tensor } from '@mechint/core';
import { backendOrReason, standInForMissing } from '../../../tools/providers.js';
import { EXIT_CODES } from '../src/index.js';
import { errorLine, fixture, mechint, readNpzFile, temporaryFolder, writeNpzFile } from './helpers.js';

const { dir, remove } = temporaryFolder();
afterAll(remove);
const reference = readNpzFile(fixture('gpt2l.reference.npz'));
writeNpzFile(join(dir, 'prompt.npz'), { tokens: reference['input.tokens']! });

function maxAbsDiff(a: Tensor, b: Tensor): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  return x.reduce((worst, v, i) => Math.max(worst, Math.abs(v - y[i]!)), 0);
}

const missing: Partial<Record<ExecutionProvider, string>> = {};
for (const ep of ['webgpu', 'cuda'] as const) {
  const backend = await backendOrReason(() => Backend.create({ ep }));
  if (typeof backend === 'string') {
    missing[ep] = backend;
    standInForMissing(ep, `mechint --ep ${ep}`, backend);
    continue;
  }
  await backend.dispose();
  it(`caches torch's activations with --ep ${ep}`, async () => {
    const ran = await mechint(['cache', fixture('gpt2l.onnx'), '--inputs', 'prompt.npz', '--hooks', 'blocks.*.attn.pattern', '--out', `${ep}.npz`, '--ep', ep, '--json'], dir);
    expect(ran.code).toBe(0);
    expect((JSON.parse(ran.stdout) as { ep: string }).ep).toBe(ep);
    const acts = readNpzFile(join(dir, `${ep}.npz`));
    for (const l of [0, 1]) expect(maxAbsDiff(acts[`blocks.${l}.attn.pattern`]!, reference[`act.blocks.${l}.attn.pattern`]!)).toBeLessThan(1e-3);
  });
}

const absent = (Object.keys(missing) as ExecutionProvider[])[0];
if (absent === undefined) it.skip('SKIPPED the unavailable-provider exit code: every provider runs here', () => undefined);
else {
  it(`exits ${EXIT_CODES.epUnavailable} with one line when --ep ${absent} is unavailable`, async () => {
    const ran = await mechint(['cache', fixture('gpt2l.onnx'), '--inputs', 'prompt.npz', '--out', 'never.npz', '--ep', absent], dir);
    expect(ran.code).toBe(EXIT_CODES.epUnavailable);
    expect(errorLine(ran, 'EP_UNAVAILABLE')).toContain(`${absent}:`);
  });
}
