import { existsSync } from 'node:fs';
import type { RunReport } from './browser/page.js';
import { CHROMIUM_PATH, bundlePage, openHarnessPage } from './browser/harness.js';

/**
 * The browser entry point of @mechint/core, bundled for the browser and run in headless Chromium
 * on onnxruntime-web: the fixture models must match their torch references to 1e-4 (relative) on
 * the wasm provider and on WebGPU (SwiftShader where there is no GPU), with the npz references
 * read in the page. Without Chromium, or without a WebGPU adapter, the tests concerned are skipped
 * with the reason in their names, unless MECHINT_REQUIRE_BROWSER=1 / MECHINT_REQUIRE_WEBGPU=1
 * make that a failure.
 */
const TOLERANCE = 1e-4;

function demanded(what: 'BROWSER' | 'WEBGPU'): boolean {
  return process.env[`MECHINT_REQUIRE_${what}`] === '1';
}

function skipOrFail(what: 'BROWSER' | 'WEBGPU', reason: string): void {
  if (demanded(what)) {
    it(`is available (MECHINT_REQUIRE_${what}=1)`, () => {
      throw new Error(`required here but unavailable: ${reason}`);
    });
  } else {
    // Skipped only where the provider is missing here; the test name carries the reason.
    it.skip(`SKIPPED, ${reason}`, () => undefined);
  }
}

/** Every value of `report` has its reference's shape and is within {@link TOLERANCE} of it. */
function expectMatchesTorch(report: RunReport, values: readonly string[]): void {
  const deviations = Object.entries(report.deviations);
  expect(deviations.map(([value]) => value).sort()).toEqual([...values].sort());
  expect(Object.fromEntries(deviations.map(([value, d]) => [value, d.shape]))).toEqual(Object.fromEntries(deviations.map(([value, d]) => [value, d.referenceShape])));
  expect(deviations.filter(([, d]) => !(d.maxRelativeError <= TOLERANCE))).toEqual([]);
}

const bundle = await bundlePage();

describe('@mechint/core bundled for browsers (esbuild, browser condition)', () => {
  it('includes onnxruntime-web, which the browser entry point registers (a side effect bundlers must keep)', () => {
    expect(bundle.inputs).toContain(new URL('../src/index.browser.ts', import.meta.url).pathname);
    expect(bundle.inputs.filter((file) => file.endsWith('/onnxruntime-web/dist/ort.bundle.min.mjs'))).toHaveLength(1);
  });
});

if (!existsSync(CHROMIUM_PATH)) {
  describe('@mechint/core in a browser', () => {
    skipOrFail('BROWSER', `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set MECHINT_CHROMIUM)`);
  });
} else {
  const harness = await openHarnessPage(bundle);
  afterAll(() => harness.close());
  const { page, webgpu } = harness;

  describe('@mechint/core in a browser (headless Chromium, onnxruntime-web)', () => {
    afterEach(() => {
      expect(harness.errors.splice(0)).toEqual([]);
    });

    describe('on the wasm provider', () => {
      it('runs tiny_mlp and matches torch', async () => {
        const report = await page.evaluate(() => window.mechint!.runFixture('tiny_mlp', 'wasm'));
        expect(report.ep).toBe('wasm');
        expectMatchesTorch(report, ['probs']);
      });

      it('runs the CNN and matches torch', async () => {
        const report = await page.evaluate(() => window.mechint!.runFixture('cnn', 'wasm'));
        expectMatchesTorch(report, ['logits']);
      });

      it('returns an intermediate value made an output with graph.addOutput', async () => {
        const report = await page.evaluate(() => window.mechint!.runWithExposedActivation('wasm'));
        expectMatchesTorch(report, ['probs', '/relu/Relu_output_0']);
      });
    });

    it('has no CUDA provider: Backend.create rejects with EP_UNAVAILABLE', async () => {
      expect(await page.evaluate(() => window.mechint!.createError('cuda'))).toBe('EP_UNAVAILABLE');
    });

    if ('missing' in webgpu) {
      describe('on the WebGPU provider', () => {
        skipOrFail('WEBGPU', `Chromium has no WebGPU adapter: ${webgpu.missing}`);
      });
    } else {
      describe(`on the WebGPU provider (${webgpu.architecture} adapter)`, () => {
        it.each(['tiny_mlp', 'cnn'] as const)('runs %s and matches torch', async (model) => {
          const report = await page.evaluate((name) => window.mechint!.runFixture(name, 'webgpu'), model);
          expect(report.ep).toBe('webgpu');
          expectMatchesTorch(report, [model === 'tiny_mlp' ? 'probs' : 'logits']);
        });
      });
    }
  });
}
