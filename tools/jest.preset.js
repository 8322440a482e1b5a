/**
 * Jest settings shared by every package: TypeScript through ts-jest as native ESM, sibling
 * packages resolved from source through the `@mechint/source` export condition, and `.js`
 * suffixes of relative imports mapped back to their `.ts` sources.
 */
import { createDefaultEsmPreset } from 'ts-jest';

/** @param {string} tsconfig path of the package's test tsconfig, relative to the package root. */
export function packageJestConfig(tsconfig = '<rootDir>/test/tsconfig.json') {
  return {
    ...createDefaultEsmPreset({ tsconfig }),
    testEnvironment: new URL('./jest-environment.js', import.meta.url).pathname,
    testEnvironmentOptions: { customExportConditions: ['@mechint/source', 'node', 'node-addons'] },
    moduleNameMapper: {
      '^(\\.{1,2}/.*)\\.js$': '$1',
      '^onnxruntime-node$': new URL('./jest-ort-node.cjs', import.meta.url).pathname,
    },
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    testTimeout: 120_000,
    reporters: ['default', new URL('./jest-summary-reporter.js', import.meta.url).pathname],
  };
}
