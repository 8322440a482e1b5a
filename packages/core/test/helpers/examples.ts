/**
 * Runs a TSDoc example of @mechint/core against its source (the import pointed at src/index.node.ts),
 * from the repository root; returns the argument lists of its console.log calls.
 */
import { runExample } from '../../../../tools/run-example.js';

/** Runs the example `code` labelled `name` (its file and position). */
export function runCoreExample(name: string, code: string): Promise<unknown[][]> {
  return runExample(code, { packageName: '@mechint/core', entry: '../../src/index.node.js', generated: new URL('../.generated/', import.meta.url), name: `example-${name.replace(/[^a-z0-9]+/gi, '-')}` });
}
