/**
 * @mechint/cli — the `mechint` command line as a library: `main(argv)` runs it in-process, and the
 * figure specs (Vega-Lite) it renders can drive other viewers.
 *
 * @packageDocumentation
 */
export { main, type MainIO } from './cli/run.js';
export { EXIT_CODES, exitCodeOf, usageError, type ExitCode } from './cli/exit-codes.js';
export { createProgress, type Progress, type ProgressOptions, type ProgressSink, type ProgressTask } from './cli/progress.js';
export type { CommandContext, GlobalOptions, TextSink } from './cli/context.js';
export { heatmapSpec, type HeatmapData } from './figures/specs/heatmap.js';
export { linePlotSpec, type LinePlotData, type LineSeries } from './figures/specs/line.js';
export { barcodeSpec, persistenceDiagramSpec, type PersistenceData } from './figures/specs/persistence.js';
export { rasterSpec, type RasterData } from './figures/specs/raster.js';
export { renderSvg } from './figures/render.js';
export { findPngConverter, svgToPng, type PngConverter } from './figures/png.js';
