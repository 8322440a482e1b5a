/**
 * The Node side of `test/browser.test.ts`: bundles `page.ts` with the browser entry point of
 * `@mechint/core` (esbuild, `browser` export condition, in memory), serves it with
 * onnxruntime-web's wasm files and the fixtures from 127.0.0.1, and opens it in headless Chromium
 * (playwright-core driving the system's Chromium; nothing is downloaded).
 */
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Page } from 'playwright-core';

/** The Chromium the tests drive: `MECHINT_CHROMIUM`, else Debian's package. */
export const CHROMIUM_PATH = process.env['MECHINT_CHROMIUM'] ?? '/usr/bin/chromium';

/**
 * Flags for headless Chromium without a GPU: WebGPU on SwiftShader (Vulkan on the CPU), no
 * sandbox (tests may run as root), no background traffic (there is no network).
 */
const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu-sandbox',
  '--use-angle=swiftshader',
  '--enable-features=Vulkan',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const here = new URL('./', import.meta.url).pathname;
const fixtures = new URL('../fixtures/', import.meta.url).pathname;
const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
};

/** `page.ts` bundled for browsers. */
export interface PageBundle {
  /** The bundled script. */
  readonly code: Uint8Array;
  /** Absolute paths of the source files that contributed code to the bundle. */
  readonly inputs: readonly string[];
}

/** Bundles `page.ts` and what it imports as one ES module, as an app's bundler would. */
export async function bundlePage(): Promise<PageBundle> {
  const result = await build({
    entryPoints: [join(here, 'page.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['browser'],
    target: 'es2022',
    outfile: 'page.js',
    write: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: here,
  });
  const [output] = Object.values(result.metafile.outputs);
  const inputs = Object.entries(output?.inputs ?? {}).filter(([, use]) => use.bytesInOutput > 0);
  return { code: result.outputFiles[0]!.contents, inputs: inputs.map(([file]) => resolve(here, file)) };
}

/** The harness page, open in Chromium. */
export interface HarnessPage {
  /** The page, with `window.mechint` ready. */
  readonly page: Page;
  /** The WebGPU adapter's architecture, or why the page has none. */
  readonly webgpu: { architecture: string } | { missing: string };
  /** Uncaught errors and console errors the page reported and nobody took yet. */
  readonly errors: string[];
  /** Closes the browser and stops the server; safe to call more than once. */
  close(): Promise<void>;
}

/**
 * Serves `bundle` with its page and opens it in Chromium. Whatever it started is stopped again
 * when a later step fails.
 */
export async function openHarnessPage(bundle: PageBundle): Promise<HarnessPage> {
  const cleanups: Array<() => Promise<void>> = [];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const server = await serve(routes(bundle));
    cleanups.push(() => stop(server));
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 60_000 });
    cleanups.push(() => browser.close());

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`);
    });
    const crashed = new Promise<never>((_, reject) => page.once('pageerror', reject));
    crashed.catch(() => undefined); // it matters only while the page starts
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await Promise.race([page.waitForFunction(() => window.mechint !== undefined, undefined, { timeout: 30_000 }), crashed]).catch((cause: unknown) => {
      throw new Error(`The harness page did not start: ${(cause as Error).message}`, { cause });
    });
    const webgpu = await page.evaluate(() => window.mechint!.webgpuAdapter());
    return { page, webgpu, errors, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** URL path → content or file: the page, its bundle, onnxruntime-web's wasm builds, the fixtures. */
function routes(bundle: PageBundle): Map<string, Uint8Array | string> {
  const table = new Map<string, Uint8Array | string>([
    ['/', join(here, 'index.html')],
    ['/page.js', bundle.code],
  ]);
  for (const file of readdirSync(ortDist)) {
    if (/^ort-wasm-.*\.(wasm|mjs)$/.test(file)) table.set(`/ort/${file}`, join(ortDist, file));
  }
  for (const model of ['tiny_mlp', 'cnn']) {
    for (const file of [`${model}.onnx`, `${model}.reference.npz`]) table.set(`/fixtures/${file}`, join(fixtures, file));
  }
  return table;
}

/**
 * An HTTP server on 127.0.0.1 (a random port) serving `table`. 127.0.0.1 is a secure context,
 * so WebGPU is exposed. No COOP / COEP headers: the page is not cross-origin isolated, so
 * onnxruntime-web runs its wasm single-threaded, its default on such pages.
 */
async function serve(table: ReadonlyMap<string, Uint8Array | string>): Promise<Server> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const content = table.get(path);
    if (content === undefined) {
      response.writeHead(404).end();
      return;
    }
    const type = CONTENT_TYPES[extname(typeof content === 'string' ? content : path)] ?? 'application/octet-stream';
    const size = typeof content === 'string' ? statSync(content).size : content.byteLength;
    response.writeHead(200, { 'content-type': type, 'content-length': size, 'cache-control': 'no-store' });
    if (typeof content === 'string') createReadStream(content).pipe(response);
    else response.end(content);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return server;
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
