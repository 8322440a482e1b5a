/**
 * `mechint align a.npy b.npy`: how similar two sets of activations (the same stimuli seen by two
 * layers, models or brains) are — CKA, CCA, SVCCA, PWCCA, RSA, Procrustes.
 */
import { cca, cka, procrustes, pwcca, rdm, rsa, squareform, svcca, type Rdm } from '@mechint/alignment';
import { MechintError, Tensor } from '@mechint/core';
import type { Command } from '../cli/command.js';
import { choiceOption, listOption, positionals, stringOption } from '../cli/command.js';
import { samplesOf } from '../cli/arrays.js';
import { usageError } from '../cli/exit-codes.js';
import { readArray } from '../cli/files.js';
import { heatmapSpec } from '../figures/specs/heatmap.js';
import { linePlotSpec } from '../figures/specs/line.js';
import { renderSvg } from '../figures/render.js';

const METHODS = ['cka', 'cca', 'svcca', 'pwcca', 'rsa', 'procrustes'] as const;
type Method = (typeof METHODS)[number];
const RDM_METRICS = ['correlation', 'cosine', 'euclidean', 'sqeuclidean'] as const;
const MAX_RDM_FIGURE = 200;

/** `mechint align`. */
export const alignCommand: Command = {
  name: 'align',
  summary: 'CKA, CCA, SVCCA, PWCCA, RSA and Procrustes between two activation sets',
  help: `Usage: mechint align <a.npy | a.npz:key> <b.npy | b.npz:key> [--methods …] [--out DIR]

Both arrays hold the same stimuli in the same order: [samples, features] (more axes are flattened
into samples). Feature counts may differ.

  --methods LIST   any of ${METHODS.join(', ')} (default: all)
  --rdm-metric M   RSA's dissimilarity: ${RDM_METRICS.join(', ')} (default correlation, as rsatoolbox)
  --out DIR        results.json, cca.npy (canonical correlations), cca.svg, rdm-a.svg / rdm-b.svg
                   (up to ${MAX_RDM_FIGURE} samples); default ./mechint-align`,
  options: {
    methods: { type: 'string', multiple: true },
    'rdm-metric': { type: 'string' },
    out: { type: 'string' },
  },
  async run(context, args) {
    const [specA, specB] = positionals(args, 'align', ['a.npy', 'b.npy']);
    const requested = listOption(args.values, 'methods');
    const unknown = requested.filter((m) => !(METHODS as readonly string[]).includes(m));
    if (unknown.length > 0) throw usageError(`Unknown method(s) ${unknown.join(', ')} for --methods; choose from ${METHODS.join(', ')}.`);
    const methods: Method[] = requested.length === 0 ? [...METHODS] : (requested as Method[]);
    const metric = choiceOption(args.values, 'rdm-metric', RDM_METRICS, 'correlation');
    const out = stringOption(args.values, 'out', 'mechint-align');
    const a = samplesOf(readArray(context.cwd, specA!, 'First activations').tensor, `'${specA}'`);
    const b = samplesOf(readArray(context.cwd, specB!, 'Second activations').tensor, `'${specB}'`);
    if (a.shape[0] !== b.shape[0]) {
      throw new MechintError('SHAPE_MISMATCH', `The two sets must hold the same stimuli: '${specA}' has ${a.shape[0]} samples, '${specB}' ${b.shape[0]}. Cache both on the same inputs.`);
    }
    const scores: Partial<Record<Method, number>> = {};
    const files = context.outputs();
    const written: string[] = [];
    let correlations: Float64Array | undefined;
    let rdms: [Rdm, Rdm] | undefined;
    const task = context.progress('align');
    for (const [i, m] of methods.entries()) {
      task.update(i, methods.length);
      if (m === 'cka') scores.cka = await cka(a, b);
      else if (m === 'cca') {
        correlations = (await cca(a, b)).correlations;
        scores.cca = correlations.reduce((s, v) => s + v, 0) / Math.max(1, correlations.length);
      } else if (m === 'svcca') scores.svcca = await svcca(a, b);
      else if (m === 'pwcca') scores.pwcca = await pwcca(a, b);
      else if (m === 'procrustes') scores.procrustes = (await procrustes(a, b)).disparity;
      else {
        rdms = [await rdm(a, { metric }), await rdm(b, { metric })];
        scores.rsa = rsa(rdms[0], rdms[1]);
      }
    }
    task.end();
    if (correlations !== undefined) {
      files.addNpy(`${out}/cca.npy`, new Tensor('float64', correlations, [correlations.length]));
      files.add(
        `${out}/cca.svg`,
        await renderSvg(linePlotSpec({ title: 'Canonical correlations', series: [{ name: 'ρ', x: Array.from(correlations, (_, i) => i + 1), y: correlations, mark: 'line+point' }], xTitle: 'canonical pair', yTitle: 'correlation' })),
      );
      written.push('cca.npy', 'cca.svg');
    }
    if (rdms !== undefined && a.shape[0]! <= MAX_RDM_FIGURE) {
      for (const [which, r] of [['a', rdms[0]], ['b', rdms[1]]] as const) {
        await files.addFigure(`${out}/rdm-${which}.svg`, await renderSvg(heatmapSpec({ title: `RDM of ${which === 'a' ? specA : specB} (${metric})`, values: squareform(r), rowTitle: 'stimulus', columnTitle: 'stimulus', valueTitle: 'dissimilarity', labels: false })));
        written.push(`rdm-${which}.svg`);
      }
    }
    const result = {
      a: { input: specA, shape: a.shape },
      b: { input: specB, shape: b.shape },
      scores,
      notes: {
        cka: 'linear CKA (Kornblith et al. 2019), 1 = identical up to rotation and scale',
        cca: 'mean canonical correlation',
        svcca: 'SVCCA (Raghu et al. 2017), 99% variance kept',
        pwcca: 'projection-weighted CCA (Morcos et al. 2018)',
        rsa: `Spearman correlation of ${metric} RDMs`,
        procrustes: 'Procrustes disparity (scipy), 0 = identical up to rotation and scale',
      },
      canonicalCorrelations: correlations === undefined ? undefined : Array.from(correlations),
      files: ['results.json', ...written],
    };
    files.addJson(`${out}/results.json`, result);
    files.commit();
    for (const m of methods) context.say(`${m.padEnd(11)} ${scores[m]!.toFixed(4)}`);
    context.say(`wrote ${result.files.map((f) => `${out}/${f}`).join(', ')}`);
    return result;
  },
};
