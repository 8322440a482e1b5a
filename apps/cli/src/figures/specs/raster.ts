/**
 * Spike-raster spec: one tick per spike, time against neuron.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, SCHEMA, titleOf } from './common.js';

/** Input of {@link rasterSpec}: spike `times` (ms) and the index of the neuron of each. */
export interface RasterData {
  readonly times: ArrayLike<number>;
  readonly neurons: ArrayLike<number>;
  /** Number of neurons (rows). */
  readonly nNeurons: number;
  /** Length of the recording in ms (the x axis). */
  readonly duration: number;
  readonly title?: string;
}

/**
 * A Vega-Lite spike raster.
 *
 * @example
 * ```ts
 * import { rasterSpec, renderSvg } from '@mechint/cli';
 * const svg = await renderSvg(rasterSpec({ times: [1, 4, 2], neurons: [0, 0, 1], nNeurons: 2, duration: 5 }));
 * ```
 */
export function rasterSpec(data: RasterData): TopLevelSpec {
  const values = Array.from({ length: Math.min(data.times.length, data.neurons.length) }, (_, i) => ({ t: data.times[i]!, neuron: data.neurons[i]! }));
  const height = Math.max(80, Math.min(500, data.nNeurons * 6));
  return {
    $schema: SCHEMA,
    ...titleOf(data.title),
    config: CONFIG,
    width: 480,
    height,
    data: { values },
    mark: { type: 'tick', orient: 'vertical', thickness: 1, size: Math.max(2, Math.min(10, (height / Math.max(1, data.nNeurons)) * 0.8)), color: '#222' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'time (ms)', scale: { domain: [0, data.duration] } },
      y: { field: 'neuron', type: 'quantitative', title: 'neuron', scale: { domain: [-0.5, data.nNeurons - 0.5], nice: false }, axis: { tickMinStep: 1, format: 'd' } },
    },
  };
}
