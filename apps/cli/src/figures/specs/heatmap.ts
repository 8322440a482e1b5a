/**
 * Heatmap spec: a matrix of values as coloured cells (patching scores, attention patterns).
 */
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, SCHEMA, titleOf } from './common.js';

/** Input of {@link heatmapSpec}. */
export interface HeatmapData {
  /** `values[row][column]`. */
  readonly values: readonly (readonly number[])[];
  /** Row labels, top to bottom (default `0, 1, …`). */
  readonly rows?: readonly string[];
  /** Column labels, left to right (default `0, 1, …`). */
  readonly columns?: readonly string[];
  readonly rowTitle?: string;
  readonly columnTitle?: string;
  /** Legend title. Defaults to `'value'`. */
  readonly valueTitle?: string;
  readonly title?: string;
  /** `'diverging'` centres a red–blue scale on 0 (signed scores); `'sequential'` (default) runs light to dark. */
  readonly scale?: 'sequential' | 'diverging';
  /** Print each value in its cell (default: when there are at most 64 cells). */
  readonly labels?: boolean;
  /** Pixels per cell (default: fits about 360 px). */
  readonly cellSize?: number;
}

/**
 * A Vega-Lite heatmap, rows top to bottom in the order given.
 *
 * @example
 * ```ts
 * import { heatmapSpec, renderSvg } from '@mechint/cli';
 * const svg = await renderSvg(heatmapSpec({ values: [[0.1, 0.9], [0.4, 0.2]], rowTitle: 'layer', columnTitle: 'head' }));
 * ```
 */
export function heatmapSpec(data: HeatmapData): TopLevelSpec {
  const nRows = data.values.length;
  const nColumns = Math.max(0, ...data.values.map((r) => r.length));
  const rows = data.rows ?? Array.from({ length: nRows }, (_, i) => String(i));
  const columns = data.columns ?? Array.from({ length: nColumns }, (_, j) => String(j));
  const cells = data.values.flatMap((row, i) => row.map((value, j) => ({ row: rows[i] ?? String(i), column: columns[j] ?? String(j), value: Number.isFinite(value) ? value : null })));
  const finite = cells.map((c) => c.value).filter((v): v is number => v !== null);
  const extent = Math.max(1e-12, ...finite.map(Math.abs));
  const cell = data.cellSize ?? Math.max(2, Math.min(48, Math.floor(360 / Math.max(nRows, nColumns, 1))));
  const labels = data.labels ?? nRows * nColumns <= 64;
  const valueTitle = data.valueTitle ?? 'value';
  const color =
    data.scale === 'diverging'
      ? { field: 'value', type: 'quantitative' as const, title: valueTitle, scale: { scheme: 'redblue', domain: [-extent, extent], reverse: true } }
      : { field: 'value', type: 'quantitative' as const, title: valueTitle, scale: { scheme: 'viridis' } };
  const x = { field: 'column', type: 'ordinal' as const, sort: [...columns], title: data.columnTitle ?? '', axis: { labelAngle: nColumns > 12 ? -90 : 0, labelLimit: 240, grid: false, labels: nColumns <= 40, ticks: nColumns <= 40 } };
  const y = { field: 'row', type: 'ordinal' as const, sort: [...rows], title: data.rowTitle ?? '', axis: { labelLimit: 240, grid: false, labels: nRows <= 40, ticks: nRows <= 40 } };
  const threshold = data.scale === 'diverging' ? 0.6 * extent : Math.min(...finite) + 0.5 * (Math.max(...finite) - Math.min(...finite));
  return {
    $schema: SCHEMA,
    ...titleOf(data.title),
    config: CONFIG,
    width: cell * nColumns,
    height: cell * nRows,
    data: { values: cells },
    layer: [
      { mark: { type: 'rect', tooltip: true }, encoding: { x, y, color } },
      ...(labels
        ? [
            {
              mark: { type: 'text' as const, fontSize: Math.max(7, Math.min(11, cell / 3.5)) },
              encoding: {
                x,
                y,
                text: { field: 'value', type: 'quantitative' as const, format: '.2f' },
                color: {
                  condition: { test: data.scale === 'diverging' ? `abs(datum.value) > ${threshold}` : `datum.value < ${threshold}`, value: 'white' },
                  value: 'black',
                },
              },
            },
          ]
        : []),
    ],
  };
}
