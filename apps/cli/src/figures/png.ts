/**
 * SVG → PNG through a converter found on the PATH: `rsvg-convert`, or a headless Chromium / Chrome
 * screenshot. Without one, figures stay SVG only.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { MechintError } from '@mechint/core';

const run = promisify(execFile);

/** A program that turns an SVG file into a PNG file. */
export interface PngConverter {
  readonly program: string;
  args(svg: string, png: string, width: number, height: number): string[];
}

const BROWSER = (program: string): PngConverter => ({
  program,
  args: (svg, png, width, height) => ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--screenshot=${png}`, `--window-size=${width},${height}`, `file://${svg}`],
});
const CANDIDATES: readonly PngConverter[] = [
  { program: 'rsvg-convert', args: (svg, png) => ['-o', png, svg] },
  BROWSER('chromium'),
  BROWSER('chromium-browser'),
  BROWSER('google-chrome'),
];

function onPath(program: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const path = join(dir, program);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      continue;
    }
  }
  return undefined;
}

/**
 * The first converter on the PATH (`rsvg-convert`, `chromium`, `chromium-browser`,
 * `google-chrome`), or `undefined`.
 *
 * @example
 * ```ts
 * import { findPngConverter } from '@mechint/cli';
 * console.log(findPngConverter()?.program ?? 'SVG only');
 * ```
 */
export function findPngConverter(): PngConverter | undefined {
  for (const c of CANDIDATES) {
    const path = onPath(c.program);
    if (path !== undefined) return { program: path, args: c.args };
  }
  return undefined;
}

/**
 * The PNG of `svg`, drawn at the SVG's own size by `converter`.
 *
 * @example
 * ```ts
 * import { findPngConverter, heatmapSpec, renderSvg, svgToPng } from '@mechint/cli';
 * const converter = findPngConverter();
 * if (converter !== undefined) await svgToPng(await renderSvg(heatmapSpec({ values: [[1, 2]] })), converter);
 * ```
 */
export async function svgToPng(svg: string, converter: PngConverter): Promise<Uint8Array> {
  const width = Math.ceil(Number(/^<svg[^>]*\swidth="([\d.]+)"/.exec(svg)?.[1] ?? 800));
  const height = Math.ceil(Number(/^<svg[^>]*\sheight="([\d.]+)"/.exec(svg)?.[1] ?? 600));
  const dir = mkdtempSync(join(tmpdir(), 'mechint-png-'));
  try {
    const svgPath = join(dir, 'figure.svg');
    const pngPath = join(dir, 'figure.png');
    writeFileSync(svgPath, svg);
    await run(converter.program, converter.args(svgPath, pngPath, width, height), { timeout: 60_000 });
    return readFileSync(pngPath);
  } catch (cause) {
    throw new MechintError('RUNTIME_ERROR', `Converting a figure to PNG with ${converter.program} failed (${(cause as Error).message.split('\n')[0]}); run without --png for SVG only.`, { cause });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
