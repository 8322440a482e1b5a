/**
 * Where the demo's model is: a copy shipped inside the published package (`assets/`, filled by
 * `prepack`), or the fixture of `@mechint/core` when running inside the repository.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MechintError } from '@mechint/core';

const CANDIDATES = ['../../assets/gpt2l.onnx', '../../../../packages/core/test/fixtures/gpt2l.onnx'];

/** The path of the bundled 2-layer induction transformer. */
export function demoModelPath(): string {
  for (const candidate of CANDIDATES) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new MechintError('INVALID_FILE', "The demo model gpt2l.onnx is missing from this install; reinstall @mechint/cli (its 'assets' folder ships the model).");
}
