/**
 * `mechint topology points.npy`: Vietoris–Rips persistent homology of a point cloud, with its
 * persistence diagram and barcode.
 */
import { ripsPersistence, twoNN } from '@mechint/topology';
import { Tensor } from '@mechint/core';
import type { Command } from '../cli/command.js';
import { numberOption, positionals, stringOption } from '../cli/command.js';
import { samplesOf } from '../cli/arrays.js';
import { readArray } from '../cli/files.js';
import { barcodeSpec, persistenceDiagramSpec } from '../figures/specs/persistence.js';
import { renderSvg } from '../figures/render.js';

/** `mechint topology`. */
export const topologyCommand: Command = {
  name: 'topology',
  summary: 'persistent homology of a point cloud: diagrams, barcodes, intrinsic dimension',
  help: `Usage: mechint topology <points.npy | file.npz:key> [--max-dim 1] [--threshold T] [--out DIR]

The array is a point cloud [points, dimensions] (more axes are flattened into points).

  --max-dim N     highest homology dimension (default 1, as Ripser)
  --threshold T   largest edge length in the filtration (default: the enclosing radius, as Ripser)
  --out DIR       results.json, h<d>.npy ([pairs, 2] birth/death, inf for classes that never die),
                  diagram.svg, barcode.svg; default ./mechint-topology`,
  options: {
    'max-dim': { type: 'string' },
    threshold: { type: 'string' },
    out: { type: 'string' },
  },
  async run(context, args) {
    const [spec] = positionals(args, 'topology', ['points.npy']);
    const maxDim = numberOption(args.values, 'max-dim', 1, { integer: true, min: 0, max: 3 });
    const threshold = numberOption(args.values, 'threshold', Infinity, { min: 0 });
    const out = stringOption(args.values, 'out', 'mechint-topology');
    const points = samplesOf(readArray(context.cwd, spec!, 'Point cloud').tensor, `Point cloud '${spec}'`);
    const task = context.progress('persistence');
    const rips = await ripsPersistence(points, {
      maxDim,
      threshold,
      signal: context.signal,
      onProgress: (p) => task.update(p.done, p.total),
    });
    task.end();
    const dimension = points.shape[0]! >= 3 ? (await twoNN(points)).dimension : undefined;
    const files = context.outputs();
    const written: string[] = [];
    rips.diagrams.forEach((pairs, d) => {
      files.addNpy(`${out}/h${d}.npy`, new Tensor('float64', Float64Array.from(pairs.flat()), [pairs.length, 2]));
      written.push(`h${d}.npy`);
    });
    const title = `Vietoris–Rips persistence of ${spec}`;
    await files.addFigure(`${out}/diagram.svg`, await renderSvg(persistenceDiagramSpec({ diagrams: rips.diagrams, title })));
    await files.addFigure(`${out}/barcode.svg`, await renderSvg(barcodeSpec({ diagrams: rips.diagrams, title })));
    const result = {
      input: spec,
      points: points.shape[0],
      dimensions: points.shape[1],
      maxDim,
      threshold: rips.threshold,
      edges: rips.edges,
      diagrams: rips.diagrams,
      summary: rips.diagrams.map((pairs, d) => ({ dim: d, pairs: pairs.length, essential: pairs.filter(([, death]) => death === Infinity).length, longestFinite: Math.max(0, ...pairs.filter(([, death]) => death !== Infinity).map(([b, death]) => death - b)) })),
      intrinsicDimension: dimension,
      files: ['results.json', ...written, 'diagram.svg', 'barcode.svg'],
    };
    files.addJson(`${out}/results.json`, result);
    files.commit();
    for (const s of result.summary) context.say(`H${s.dim}: ${s.pairs} pairs (${s.essential} never die), longest finite bar ${s.longestFinite.toFixed(4)}`);
    if (dimension !== undefined) context.say(`intrinsic dimension (TwoNN) ${dimension.toFixed(2)}`);
    context.say(`wrote ${result.files.map((f) => `${out}/${f}`).join(', ')}`);
    return result;
  },
};
