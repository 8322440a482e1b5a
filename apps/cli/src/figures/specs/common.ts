/**
 * What every figure spec shares: the schema, a default size and font, and non-finite values kept
 * out of the data (Vega-Lite cannot place them).
 */
import type { Config } from 'vega-lite';

/** The Vega-Lite schema every spec names. */
export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Shared look: readable fonts, no chart border. */
export const CONFIG: Config = {
  font: 'Helvetica, Arial, sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridOpacity: 0.4 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14, anchor: 'start' },
};

/** A chart title, or nothing. */
export function titleOf(title: string | undefined): { title?: string } {
  return title === undefined ? {} : { title };
}
