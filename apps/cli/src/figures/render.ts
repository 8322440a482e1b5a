/**
 * Renders a Vega-Lite spec to SVG in Node, headless (no browser, no canvas).
 */
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { MechintError } from '@mechint/core';

/**
 * The SVG of a Vega-Lite spec, rendered headless.
 *
 * @example
 * ```ts
 * import { heatmapSpec, renderSvg } from '@mechint/cli';
 * const svg = await renderSvg(heatmapSpec({ values: [[1, 2], [3, 4]] }));
 * svg.startsWith('<svg'); // true
 * ```
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  try {
    const compiled = vegaLite.compile(spec, { logger: quietLogger() }).spec;
    const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
    const svg = await view.toSVG();
    view.finalize();
    return svg;
  } catch (cause) {
    throw new MechintError('RUNTIME_ERROR', `Could not render the figure: ${(cause as Error).message}.`, { cause });
  }
}

type CompileLogger = NonNullable<NonNullable<Parameters<typeof vegaLite.compile>[1]>['logger']>;

/** Vega-Lite's warnings (e.g. dropped encodings) stay out of the command's output. */
function quietLogger(): CompileLogger {
  return vega.logger(vega.Error) as unknown as CompileLogger;
}
