/**
 * `mechint fractal signal.npy`: fractal dimensions and scaling exponents of a signal (or of each
 * row of a matrix), with the DFA and spectral fits as figures.
 */
import { dfa, higuchiFD, hurstRS, katzFD, petrosianFD, spectralSlope } from '@mechint/fractals';
import { Tensor } from '@mechint/core';
import type { Command } from '../cli/command.js';
import { listOption, numberOption, positionals, stringOption } from '../cli/command.js';
import { rowsOf } from '../cli/arrays.js';
import { usageError } from '../cli/exit-codes.js';
import { readArray } from '../cli/files.js';
import { linePlotSpec } from '../figures/specs/line.js';
import { renderSvg } from '../figures/render.js';

const METHODS = ['higuchi', 'katz', 'petrosian', 'dfa', 'hurst', 'spectral'] as const;
type Method = (typeof METHODS)[number];

/** `mechint fractal`. */
export const fractalCommand: Command = {
  name: 'fractal',
  summary: 'Higuchi / Katz / Petrosian dimensions, DFA, Hurst and spectral exponents of signals',
  help: `Usage: mechint fractal <signal.npy | file.npz:key> [--methods …] [--kmax 10] [--dfa-order 1] [--out DIR]

A rank-1 array is one signal; a rank-2 array [rows, samples] is one signal per row.

  --methods LIST  any of ${METHODS.join(', ')} (default: all)
  --kmax N        Higuchi's largest interval (default 10, as antropy)
  --dfa-order N   DFA detrending order (default 1, as nolds)
  --fs HZ         sampling frequency for the spectral slope (default 1)
  --out DIR       results.json, measures.npy [rows, methods], dfa.svg and spectrum.svg
                  (fits of the first row); default ./mechint-fractal`,
  options: {
    methods: { type: 'string', multiple: true },
    kmax: { type: 'string' },
    'dfa-order': { type: 'string' },
    fs: { type: 'string' },
    out: { type: 'string' },
  },
  async run(context, args) {
    const [spec] = positionals(args, 'fractal', ['signal.npy']);
    const requested = listOption(args.values, 'methods');
    const unknown = requested.filter((m) => !(METHODS as readonly string[]).includes(m));
    if (unknown.length > 0) throw usageError(`Unknown method(s) ${unknown.join(', ')} for --methods; choose from ${METHODS.join(', ')}.`);
    const methods: Method[] = requested.length === 0 ? [...METHODS] : (requested as Method[]);
    const kMax = numberOption(args.values, 'kmax', 10, { integer: true, min: 2 });
    const order = numberOption(args.values, 'dfa-order', 1, { integer: true, min: 0, max: 10 });
    const fs = numberOption(args.values, 'fs', 1, { min: Number.MIN_VALUE });
    const out = stringOption(args.values, 'out', 'mechint-fractal');
    const { tensor, key } = readArray(context.cwd, spec!, 'Signal file');
    const rows = rowsOf(tensor, `Signal '${spec}'`);

    const task = context.progress('fractal');
    const perRow = rows.map((row, i) => {
      task.update(i, rows.length);
      const values: Partial<Record<Method, number>> = {};
      const fits: { dfa?: ReturnType<typeof dfa>; spectral?: ReturnType<typeof spectralSlope> } = {};
      for (const m of methods) {
        if (m === 'higuchi') values.higuchi = higuchiFD(row, { kMax });
        else if (m === 'katz') values.katz = katzFD(row);
        else if (m === 'petrosian') values.petrosian = petrosianFD(row);
        else if (m === 'dfa') values.dfa = (fits.dfa = dfa(row, { order })).alpha;
        else if (m === 'hurst') values.hurst = hurstRS(row).h;
        else values.spectral = (fits.spectral = spectralSlope(row, { fs })).beta;
      }
      return { values, fits };
    });
    task.end();

    const files = context.outputs();
    const measures = new Float64Array(rows.length * methods.length);
    perRow.forEach((r, i) => methods.forEach((m, j) => (measures[i * methods.length + j] = r.values[m]!)));
    files.addNpy(`${out}/measures.npy`, new Tensor('float64', measures, [rows.length, methods.length]));
    const first = perRow[0]!.fits;
    const figures: string[] = [];
    if (first.dfa !== undefined) {
      const { scales, fluctuations, alpha, intercept } = first.dfa;
      await files.addFigure(
        `${out}/dfa.svg`,
        await renderSvg(
          linePlotSpec({
            title: `DFA${order}: α = ${alpha.toFixed(3)}`,
            series: [
              { name: 'F(n)', x: scales, y: fluctuations, mark: 'point' },
              { name: `fit, slope ${alpha.toFixed(3)}`, x: scales, y: scales.map((n) => Math.exp(intercept) * n ** alpha), dashed: true },
            ],
            xTitle: 'window size n',
            yTitle: 'fluctuation F(n)',
            logX: true,
            logY: true,
          }),
        ),
      );
      figures.push('dfa.svg');
    }
    if (first.spectral !== undefined) {
      const { freqs, power, beta, intercept } = first.spectral;
      const positive = Array.from(freqs).map((f, i) => [f, power[i]!] as const).filter(([f, p]) => f > 0 && p > 0);
      await files.addFigure(
        `${out}/spectrum.svg`,
        await renderSvg(
          linePlotSpec({
            title: `Power spectrum: β = ${beta.toFixed(3)}`,
            series: [
              { name: 'power', x: positive.map(([f]) => f), y: positive.map(([, p]) => p), mark: 'line' },
              { name: `fit 1/f^${beta.toFixed(2)}`, x: positive.map(([f]) => f), y: positive.map(([f]) => 10 ** intercept * f ** -beta), dashed: true },
            ],
            xTitle: 'frequency',
            yTitle: 'power',
            logX: true,
            logY: true,
          }),
        ),
      );
      figures.push('spectrum.svg');
    }
    const result = {
      input: spec,
      key,
      shape: tensor.shape,
      methods,
      options: { kMax, dfaOrder: order, fs },
      rows: perRow.map((r) => r.values),
      dfa: first.dfa === undefined ? undefined : { alpha: first.dfa.alpha, intercept: first.dfa.intercept, scales: first.dfa.scales, fluctuations: Array.from(first.dfa.fluctuations) },
      spectral: first.spectral === undefined ? undefined : { beta: first.spectral.beta, intercept: first.spectral.intercept },
      files: ['results.json', 'measures.npy', ...figures],
    };
    files.addJson(`${out}/results.json`, result);
    files.commit();
    for (const [i, r] of perRow.entries()) context.say(`${rows.length > 1 ? `row ${i}: ` : ''}${methods.map((m) => `${m} ${r.values[m]!.toFixed(4)}`).join('  ')}`);
    context.say(`wrote ${result.files.map((f) => `${out}/${f}`).join(', ')}`);
    return result;
  },
};
