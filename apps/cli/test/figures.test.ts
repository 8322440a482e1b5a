/**
 * The figure specs render to well-formed SVG headless, including awkward data (non-finite values,
 * zeros on a log axis, only essential classes, no spikes).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor, writeNpy } from '@mechint/core';
import { barcodeSpec, findPngConverter, heatmapSpec, linePlotSpec, persistenceDiagramSpec, rasterSpec, renderSvg } from '../src/index.js';
import { mechint, temporaryFolder } from './helpers.js';
import { expectSvg } from './xml.js';

describe('figure specs', () => {
  it('heatmap: sequential and diverging, NaN cells left empty, labels escaped', async () => {
    const svg = await renderSvg(heatmapSpec({ values: [[0.1, NaN], [-0.4, 0.9]], rows: ['a<b', 'c&d'], columns: ['x', 'y'], scale: 'diverging', title: 'Q & A' }));
    expectSvg(svg);
    expect(svg).toContain('a&lt;b');
    expectSvg(await renderSvg(heatmapSpec({ values: Array.from({ length: 50 }, (_, i) => Array.from({ length: 50 }, (_, j) => i * j)) })));
  });

  it('line plot: log axes drop non-positive points; series in the legend', async () => {
    const svg = await renderSvg(linePlotSpec({ series: [{ name: 'loss', x: [0, 1, 2, 3], y: [1, 0.5, 0, 0.2] }, { name: 'fit', x: [1, 3], y: [0.6, 0.2], dashed: true }], logX: true, logY: true, xTitle: 'step' }));
    expectSvg(svg);
    expect(svg).toContain('>loss<');
    expect(svg).toContain('>fit<');
  });

  it('persistence diagram and barcode, with classes that never die', async () => {
    const diagrams = [[[0, 0.5], [0, Infinity]], [[0.7, 1.9]]] as const;
    const diagram = await renderSvg(persistenceDiagramSpec({ diagrams: diagrams.map((d) => d.map(([b, e]) => [b, e] as [number, number])) }));
    expectSvg(diagram);
    expect(diagram).toContain('∞');
    expectSvg(await renderSvg(barcodeSpec({ diagrams: [[[0, Infinity]]] })));
  });

  it('raster, with and without spikes', async () => {
    expectSvg(await renderSvg(rasterSpec({ times: [1, 2, 3], neurons: [0, 1, 0], nNeurons: 2, duration: 5 })));
    expectSvg(await renderSvg(rasterSpec({ times: [], neurons: [], nNeurons: 3, duration: 5 })));
  });
});

describe('--png', () => {
  const converter = findPngConverter();
  if (converter === undefined) {
    it.skip('SKIPPED PNG figures: no rsvg-convert or Chromium on the PATH', () => undefined);
    return;
  }
  const { dir, remove } = temporaryFolder();
  afterAll(remove);

  it(`writes a PNG beside every SVG figure (${converter.program})`, async () => {
    writeFileSync(join(dir, 'square.npy'), writeNpy(Tensor.from([[0, 0], [1, 0], [1, 1], [0, 1]], [4, 2], 'float64')));
    const ran = await mechint(['topology', 'square.npy', '--png', '--out', 'square'], dir);
    expect(ran.code).toBe(0);
    for (const name of ['diagram', 'barcode']) {
      expectSvg(readFileSync(join(dir, `square/${name}.svg`), 'utf8'));
      expect([...readFileSync(join(dir, `square/${name}.png`)).subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    }
  });
});
