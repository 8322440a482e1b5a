/**
 * `mechint spikes simulate | analyse`: a population of LIF neurons under noisy input, or a
 * recorded spike matrix — firing rates, ISI irregularity, Fano factors and a raster.
 */
import { LeakyIntegrateFireNeuron, fanoFactor, firingRates, isiCV, raster, spikeTimes, synchrony } from '@mechint/spiking';
import { MechintError, Tensor, seededNormal } from '@mechint/core';
import type { Command, ParsedArgs } from '../cli/command.js';
import { numberOption, stringOption } from '../cli/command.js';
import type { CommandContext } from '../cli/context.js';
import { usageError } from '../cli/exit-codes.js';
import { readArray } from '../cli/files.js';
import { rasterSpec } from '../figures/specs/raster.js';
import { renderSvg } from '../figures/render.js';

interface Recording {
  spikes: Tensor;
  dt: number;
  voltages?: Tensor;
}

async function analyse(context: CommandContext, recording: Recording, out: string, window: number, extra: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { spikes, dt } = recording;
  const steps = spikes.shape[0]!;
  const nNeurons = spikes.size / steps;
  const duration = steps * dt;
  const rates = firingRates(spikes, { dt });
  const times = spikeTimes(spikes, { dt });
  const cvs = times.map((t) => (t.length >= 3 ? isiCV(t) : NaN));
  const fano = window * 2 <= duration ? fanoFactor(spikes, { dt, window }) : undefined;
  const { times: at, neurons } = raster(spikes, { dt });
  const files = context.outputs();
  files.addNpy(`${out}/rates.npy`, rates);
  const written = ['rates.npy'];
  if (recording.voltages !== undefined) {
    files.addNpy(`${out}/spikes.npy`, spikes);
    files.addNpy(`${out}/voltages.npy`, recording.voltages);
    written.push('spikes.npy', 'voltages.npy');
  }
  await files.addFigure(`${out}/raster.svg`, await renderSvg(rasterSpec({ times: at, neurons, nNeurons, duration, title: `${at.length} spikes from ${nNeurons} neurons` })));
  written.push('raster.svg');
  const rateValues = Array.from(rates.data as Float32Array);
  const finiteCv = cvs.filter(Number.isFinite);
  const mean = (v: readonly number[]) => (v.length === 0 ? NaN : v.reduce((s, x) => s + x, 0) / v.length);
  const result = {
    ...extra,
    neurons: nNeurons,
    steps,
    dt,
    durationMs: duration,
    spikes: at.length,
    meanRateHz: mean(rateValues),
    ratesHz: rateValues,
    isiCV: cvs,
    meanIsiCV: mean(finiteCv),
    fanoWindowMs: fano === undefined ? undefined : window,
    meanFano: fano === undefined ? undefined : mean(Array.from(fano.data as Float32Array).filter(Number.isFinite)),
    synchrony: recording.voltages === undefined ? undefined : synchrony(recording.voltages.reshape([steps, nNeurons])),
    files: ['results.json', ...written],
  };
  files.addJson(`${out}/results.json`, result);
  files.commit();
  context.say(`${nNeurons} neurons, ${duration} ms: ${at.length} spikes, mean rate ${result.meanRateHz.toFixed(2)} Hz, mean ISI CV ${result.meanIsiCV.toFixed(3)}${result.meanFano === undefined ? '' : `, mean Fano ${result.meanFano.toFixed(3)}`}${result.synchrony === undefined ? '' : `, synchrony ${result.synchrony.toFixed(3)}`}`);
  context.say(`wrote ${result.files.map((f) => `${out}/${f}`).join(', ')}`);
  return result;
}

function simulate(args: ParsedArgs): { recording: Recording; settings: Record<string, number> } {
  const neurons = numberOption(args.values, 'neurons', 50, { integer: true, min: 1, max: 10_000 });
  const duration = numberOption(args.values, 'duration', 1000, { min: Number.MIN_VALUE });
  const dt = numberOption(args.values, 'dt', 0.1, { min: Number.MIN_VALUE });
  const current = numberOption(args.values, 'current', 1.5);
  const noise = numberOption(args.values, 'noise', 3, { min: 0 });
  const spread = numberOption(args.values, 'spread', 0.2, { min: 0 });
  const tau = numberOption(args.values, 'tau', 10, { min: Number.MIN_VALUE });
  const seed = numberOption(args.values, 'seed', 1, { integer: true });
  const steps = Math.round(duration / dt);
  if (steps < 2) throw usageError(`--duration ${duration} at --dt ${dt} gives ${steps} step(s); simulate at least 2.`);
  if (steps * neurons > 50_000_000) throw usageError(`${steps} steps × ${neurons} neurons is too large; shorten --duration or raise --dt.`);
  const normal = seededNormal(seed);
  const bias = Float32Array.from({ length: neurons }, () => current * (1 + spread * normal()));
  const scale = noise / Math.sqrt(dt);
  const input = new Float32Array(steps * neurons);
  for (let i = 0; i < input.length; i++) input[i] = bias[i % neurons]! + scale * normal();
  const lif = new LeakyIntegrateFireNeuron({ nNeurons: neurons, tau, scheme: 'exact' });
  const { spikes, voltages } = lif.run(new Tensor('float32', input, [steps, neurons]), { dt });
  return { recording: { spikes, voltages, dt }, settings: { neurons, duration, dt, current, spread, noise, tau, seed } };
}

/** `mechint spikes`. */
export const spikesCommand: Command = {
  name: 'spikes',
  summary: 'simulate LIF neurons or analyse spike trains: rates, ISI CV, Fano factor, raster',
  help: `Usage: mechint spikes simulate [--neurons 50] [--duration 1000] [--dt 0.1] [--current 1.5]
                              [--spread 0.2] [--noise 3] [--tau 10] [--seed 1] [--out DIR]
       mechint spikes analyse <spikes.npy | file.npz:key> --dt MS [--out DIR]

simulate: LIF neurons (threshold 1, membrane time constant --tau ms, exact integration) driven by a
          constant current (per neuron --current × (1 + --spread × a standard normal draw)) plus
          white noise of density --noise (times in ms).
analyse:  a 0/1 spike matrix [steps, neurons] (or [steps, batch, neurons]) sampled every --dt ms.

  --window MS  Fano factor counting window (default 100 ms)
  --out DIR    results.json, rates.npy, raster.svg (simulate: also spikes.npy, voltages.npy);
               default ./mechint-spikes`,
  options: {
    neurons: { type: 'string' },
    duration: { type: 'string' },
    dt: { type: 'string' },
    current: { type: 'string' },
    noise: { type: 'string' },
    spread: { type: 'string' },
    tau: { type: 'string' },
    seed: { type: 'string' },
    window: { type: 'string' },
    out: { type: 'string' },
  },
  async run(context, args) {
    const [action, ...rest] = args.positionals;
    const out = stringOption(args.values, 'out', 'mechint-spikes');
    const window = numberOption(args.values, 'window', 100, { min: Number.MIN_VALUE });
    if (action === 'simulate') {
      if (rest.length > 0) throw usageError(`mechint spikes simulate takes no file; got ${rest.join(' ')}.`);
      const { recording, settings } = simulate(args);
      return analyse(context, recording, out, window, { mode: 'simulate', settings });
    }
    if (action === 'analyse' || action === 'analyze') {
      if (rest.length !== 1) throw usageError('mechint spikes analyse takes one spike file, e.g. mechint spikes analyse spikes.npy --dt 0.1.');
      const dtText = stringOption(args.values, 'dt');
      if (dtText === undefined) throw usageError('mechint spikes analyse needs --dt, the sampling step in ms, e.g. --dt 0.1.');
      const dt = numberOption(args.values, 'dt', 0.1, { min: Number.MIN_VALUE });
      const { tensor } = readArray(context.cwd, rest[0]!, 'Spike file');
      if (tensor.dtype !== 'float32' && tensor.dtype !== 'float64') {
        throw new MechintError('DTYPE_MISMATCH', `Spike file '${rest[0]}' is ${tensor.dtype}; save the 0/1 matrix as float32 (numpy: s.astype('float32')).`);
      }
      return analyse(context, { spikes: tensor, dt }, out, window, { mode: 'analyse', input: rest[0] });
    }
    throw usageError(`mechint spikes needs an action: 'simulate' or 'analyse'${action === undefined ? '' : `; got '${action}'`}. See mechint spikes --help.`);
  },
};
