/**
 * 10 000 LIF neurons with sparse recurrent connectivity (p = 0.01, 80 % excitatory) for 1 000
 * steps: @mechint/spiking's event-driven RecurrentLIFNetwork against the same update stepped by a
 * PyTorch loop with a sparse CSR matrix–vector product (tools/spiking/bench_reference.py), on the
 * same network and input, spikes and voltages recorded by both, in one run; and against the same
 * event-driven algorithm written in torch (index_add_ of the fired neurons' synapses).
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor, writeNpz } from '@mechint/core';
import { RecurrentLIFNetwork, randomConnectivity, seededRandom } from '@mechint/spiking';
import { measure, peakMemoryMiB, runPython, timingOf, type Comparison } from './harness.js';

const root = new URL('../../', import.meta.url).pathname;
const N = 10_000;
const STEPS = 1_000;
const DT = 0.5;
const TAU = 20;
const TAU_S = 5;

interface TorchResult {
  ms: number[];
  spikes: number;
  peak_mib: number;
}

/** Runs the spiking benchmark and returns its table rows. */
export async function benchmark(runs: number): Promise<Comparison[]> {
  const connectivity = randomConnectivity({ nPre: N, nPost: N, p: 0.01, weight: (j) => (j < 0.8 * N ? 0.02 : -0.08), seed: 1 });
  const rand = seededRandom(2);
  const drive = Float32Array.from({ length: N }, () => 0.9 + 0.3 * rand());
  const currentData = new Float32Array(STEPS * N);
  for (let t = 0; t < STEPS; t++) currentData.set(drive, t * N);
  const current = new Tensor('float32', currentData, [STEPS, N]);
  const net = new RecurrentLIFNetwork({ connectivity, neuron: { tau: TAU }, synapseTau: TAU_S });
  let last: Float32Array = new Float32Array(0);
  const ours = await measure(
    () => {
      last = net.run(current, { dt: DT }).spikes.data;
    },
    { runs },
  );
  const spikes = last.reduce((a, b) => a + b, 0);
  const oursPeak = peakMemoryMiB();

  const file = join(tmpdir(), `mechint-spiking-bench-${process.pid}.npz`);
  writeFileSync(
    file,
    writeNpz({
      offsets: new Tensor('int32', connectivity.offsets, [N + 1]),
      targets: new Tensor('int32', connectivity.targets, [connectivity.targets.length]),
      weights: new Tensor('float32', connectivity.weights, [connectivity.weights.length]),
      current: new Tensor('float32', drive, [N]),
      steps: Tensor.from([STEPS], [], 'int32'),
      dt: Tensor.from([DT], [], 'float64'),
      tau: Tensor.from([TAU], [], 'float64'),
      tau_s: Tensor.from([TAU_S], [], 'float64'),
    }),
  );
  const script = join(root, 'tools/spiking/bench_reference.py');
  const csr = runPython<TorchResult>(script, [file, String(runs), '1', 'csr']);
  const event = runPython<TorchResult>(script, [file, String(runs), '1', 'event']);
  const event2 = runPython<TorchResult>(script, [file, String(runs), '2', 'event']);
  const label = `${N} LIF, ${connectivity.targets.length} synapses, ${STEPS} steps`;
  const note = (t: TorchResult) => `peak RSS ours ${oursPeak.toFixed(0)} MiB (whole Node process) / torch ${t.peak_mib.toFixed(0)} MiB; spikes ours ${spikes} / torch ${t.spikes}`;
  return [
    { benchmark: `${label} (ours: 1 thread)`, ours, reference: timingOf(csr.ms), referenceName: 'torch loop, sparse.mm (CSR), 1 thread', note: note(csr) },
    { benchmark: `${label} (ours: 1 thread)`, ours, reference: timingOf(event.ms), referenceName: 'torch loop, event-driven index_add_, 1 thread', note: note(event) },
    { benchmark: `${label} (ours: 1 thread)`, ours, reference: timingOf(event2.ms), referenceName: 'torch loop, event-driven index_add_, 2 threads', note: note(event2) },
  ];
}
