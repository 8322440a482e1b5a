/**
 * Persistence diagram and barcode specs: the pairs of a persistent-homology run, one colour per
 * homology dimension; classes that never die are drawn at an "∞" line above the finite ones.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, SCHEMA, titleOf } from './common.js';

/** Pairs `[birth, death]` by homology dimension (`diagrams[d]`); death may be `Infinity`. */
export interface PersistenceData {
  readonly diagrams: readonly (readonly (readonly [number, number])[])[];
  readonly title?: string;
  /** Bars drawn per dimension in a barcode, longest first (default 60). */
  readonly maxBars?: number;
}

function rowsOf(data: PersistenceData) {
  const finite = data.diagrams.flat().flatMap(([b, d]) => (Number.isFinite(d) ? [b, d] : [b]));
  const top = Math.max(1e-9, ...finite);
  const cap = top * 1.1;
  const rows = data.diagrams.flatMap((pairs, dim) =>
    pairs.map(([birth, death]) => ({ dim: `H${dim}`, birth, death: Number.isFinite(death) ? death : cap, essential: !Number.isFinite(death) })),
  );
  return { rows, cap, dims: data.diagrams.map((_, d) => `H${d}`) };
}

/**
 * A Vega-Lite persistence diagram: birth against death, the diagonal, and essential classes on a
 * dashed "∞" line.
 *
 * @example
 * ```ts
 * import { persistenceDiagramSpec, renderSvg } from '@mechint/cli';
 * const svg = await renderSvg(persistenceDiagramSpec({ diagrams: [[[0, 0.3], [0, Infinity]], [[0.5, 1.7]]] }));
 * ```
 */
export function persistenceDiagramSpec(data: PersistenceData): TopLevelSpec {
  const { rows, cap, dims } = rowsOf(data);
  const domain = [0, cap * 1.02];
  const color = { field: 'dim', type: 'nominal' as const, title: 'dimension', scale: { domain: dims } };
  return {
    $schema: SCHEMA,
    ...titleOf(data.title),
    config: CONFIG,
    width: 320,
    height: 320,
    layer: [
      { data: { values: [{ a: 0, b: 0 }, { a: cap, b: cap }] }, mark: { type: 'line', color: '#999', strokeWidth: 1 }, encoding: { x: { field: 'a', type: 'quantitative', scale: { domain } }, y: { field: 'b', type: 'quantitative', scale: { domain } } } },
      { data: { values: [{ a: 0, b: cap, label: '∞' }, { a: cap, b: cap, label: '' }] }, mark: { type: 'line', color: '#999', strokeDash: [4, 4] }, encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'b', type: 'quantitative' } } },
      { data: { values: [{ a: 0, b: cap, label: '∞' }] }, mark: { type: 'text', align: 'left', dx: 3, dy: -7, color: '#666' }, encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'b', type: 'quantitative' }, text: { field: 'label' } } },
      {
        data: { values: rows },
        mark: { type: 'point', filled: true, size: 45, opacity: 0.8, tooltip: true },
        encoding: {
          x: { field: 'birth', type: 'quantitative', title: 'birth', scale: { domain } },
          y: { field: 'death', type: 'quantitative', title: 'death', scale: { domain } },
          color,
          shape: { field: 'dim', type: 'nominal', title: 'dimension', scale: { domain: dims } },
        },
      },
    ],
  };
}

/**
 * A Vega-Lite barcode: one bar per pair from birth to death, grouped by dimension, longest first;
 * essential classes run to the right edge.
 *
 * @example
 * ```ts
 * import { barcodeSpec, renderSvg } from '@mechint/cli';
 * const svg = await renderSvg(barcodeSpec({ diagrams: [[[0, 0.3], [0, Infinity]], [[0.5, 1.7]]] }));
 * ```
 */
export function barcodeSpec(data: PersistenceData): TopLevelSpec {
  const { rows, cap, dims } = rowsOf(data);
  const maxBars = data.maxBars ?? 60;
  const bars = dims.flatMap((dim) =>
    rows
      .filter((r) => r.dim === dim)
      .sort((a, b) => b.death - b.birth - (a.death - a.birth))
      .slice(0, maxBars),
  );
  const ranked = bars.map((r, i) => ({ ...r, bar: i }));
  return {
    $schema: SCHEMA,
    ...titleOf(data.title),
    config: CONFIG,
    width: 420,
    height: Math.max(60, Math.min(600, ranked.length * 6)),
    data: { values: ranked },
    mark: { type: 'rule', strokeWidth: Math.max(1, Math.min(4, 360 / Math.max(1, ranked.length))), tooltip: true },
    encoding: {
      x: { field: 'birth', type: 'quantitative', title: 'filtration value', scale: { domain: [0, cap] } },
      x2: { field: 'death' },
      y: { field: 'bar', type: 'ordinal', title: null, axis: null, sort: 'ascending' },
      color: { field: 'dim', type: 'nominal', title: 'dimension', scale: { domain: dims } },
    },
  };
}
