/**
 * Line-plot spec: one or more series over a shared x axis (training curves, fractal scaling fits).
 */
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, SCHEMA, titleOf } from './common.js';

type LayerItem = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];

/** One series of {@link linePlotSpec}. */
export interface LineSeries {
  readonly name: string;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  /** `'line'` (default), `'point'` (measurements) or `'line+point'`. */
  readonly mark?: 'line' | 'point' | 'line+point';
  /** Dashed line (a fit, a reference). */
  readonly dashed?: boolean;
}

/** Input of {@link linePlotSpec}. */
export interface LinePlotData {
  readonly series: readonly LineSeries[];
  readonly xTitle?: string;
  readonly yTitle?: string;
  readonly title?: string;
  /** Logarithmic axes. */
  readonly logX?: boolean;
  readonly logY?: boolean;
  readonly width?: number;
  readonly height?: number;
}

/**
 * A Vega-Lite line plot; series are coloured and named in the legend, points with a non-finite
 * coordinate (or a non-positive one on a log axis) are left out.
 *
 * @example
 * ```ts
 * import { linePlotSpec, renderSvg } from '@mechint/cli';
 * const svg = await renderSvg(linePlotSpec({ series: [{ name: 'loss', x: [0, 1, 2], y: [1, 0.5, 0.3] }], xTitle: 'step' }));
 * ```
 */
export function linePlotSpec(data: LinePlotData): TopLevelSpec {
  const keep = (x: number, y: number) => Number.isFinite(x) && Number.isFinite(y) && (!data.logX || x > 0) && (!data.logY || y > 0);
  const rows = data.series.flatMap((s, order) =>
    Array.from({ length: Math.min(s.x.length, s.y.length) }, (_, i) => ({ series: s.name, order, x: s.x[i]!, y: s.y[i]! })).filter((r) => keep(r.x, r.y)),
  );
  const names = data.series.map((s) => s.name);
  const axis = (title: string | undefined, log: boolean | undefined) => ({
    type: 'quantitative' as const,
    title: title ?? '',
    scale: log ? { type: 'log' as const } : { zero: false },
  });
  const encoding = {
    x: { field: 'x', ...axis(data.xTitle, data.logX) },
    y: { field: 'y', ...axis(data.yTitle, data.logY) },
    color: { field: 'series', type: 'nominal' as const, title: null, sort: names, scale: { domain: names } },
  };
  const layer = data.series.flatMap((s) => {
    const filter = { filter: { field: 'series', equal: s.name } };
    const mark = s.mark ?? 'line';
    const parts: LayerItem[] = [];
    if (mark !== 'point') parts.push({ transform: [filter], mark: { type: 'line', strokeWidth: 2, ...(s.dashed ? { strokeDash: [6, 4] } : {}) }, encoding });
    if (mark !== 'line') parts.push({ transform: [filter], mark: { type: 'point', filled: true, size: 40 }, encoding });
    return parts;
  });
  return {
    $schema: SCHEMA,
    ...titleOf(data.title),
    config: CONFIG,
    width: data.width ?? 420,
    height: data.height ?? 260,
    data: { values: rows },
    layer,
  };
}
