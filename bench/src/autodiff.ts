/**
 * Reverse-mode gradients on a GPT-2-small-shaped model (12 layers, d_model 768, vocab 50257,
 * random weights): `HookedModel.runWithGrad` of sum(logits · seed) with respect to every parameter
 * and the residual stream entering block 6, against torch's forward + backward of the same sum —
 * same weights, tokens, seed and thread count — and against our own plain forward pass. The
 * tokens and the seed are a 32-bit integer hash of the element index, computed identically here
 * and in tools/bench-models/autodiff_baseline.py; one gradient of each kind is checked against
 * torch's, outside the timed runs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend, HookedModel, readNpz, type Tensor } from '@mechint/core';
import { measure, peakMemoryMiB, runPython, timingOf, type Comparison, gpt2Small } from './harness.js';
import { hashedInputs, relativeError } from './hashed-inputs.js';

const root = new URL('../../', import.meta.url).pathname;
const BATCH = 1;
const SEQ = 128;
const VOCAB = 50257;
const THREADS = 2;
const RESID = 'blocks.6.hook_resid_pre';
const PARAM = 'blocks.0.attn.W_Q.weight';
/** The embedding table, whose gradient comes back as the rows the tokens read. */
const EMBED = 'embed.weight';

interface TorchAutodiffResult {
  torch_version: string;
  forward_ms: number[];
  forward_backward_ms: number[];
  peak_rss_mib: number;
  peak_rss_load_mib: number;
  peak_rss_forward_mib: number;
}

/** Runs the autodiff benchmark and returns its table rows. */
export async function benchmark(runs: number): Promise<Comparison[]> {
  const { onnx: onnxPath, weights: weightsPath } = gpt2Small();
  const backend = await Backend.create({ ep: 'cpu', intraOpNumThreads: THREADS });
  const model = await HookedModel.load(onnxPath, { backend });
  const peakLoad = peakMemoryMiB();
  const { tokens, seed } = hashedInputs(BATCH, SEQ, VOCAB);
  const parameters = model.model.graph.initializers.filter((t) => t.dataType === 1).map((t) => t.name);
  const options = { of: 'logits', wrt: [...parameters, RESID], seed };

  const forward = await measure(() => model.run({ tokens }), { runs });
  const peakForward = peakMemoryMiB();
  const buildStart = performance.now();
  const { grads } = await model.runWithGrad({ tokens }, options);
  const firstCall = performance.now() - buildStart;
  const checked = { [RESID]: grads[RESID]!, [PARAM]: grads[PARAM]!, [EMBED]: grads[EMBED]! };
  const backward = await measure(() => model.runWithGrad({ tokens }, options), { runs });
  const activationOnly = await measure(() => model.runWithGrad({ tokens }, { of: 'logits', wrt: [RESID], seed }), { runs });
  const peak = peakMemoryMiB();
  await model.dispose();

  const dir = mkdtempSync(join(tmpdir(), 'mechint-autodiff-'));
  const gradsPath = join(dir, 'grads.npz');
  try {
    const torch = runPython<TorchAutodiffResult>(join(root, 'tools/bench-models/autodiff_baseline.py'), [weightsPath, String(BATCH), String(SEQ), String(runs), String(THREADS), gradsPath]);
    const reference = readNpz(new Uint8Array(readFileSync(gradsPath)));
    const errors = Object.entries(checked).map(([name, g]) => `${name} ${relativeError(g, reference[name]!).toExponential(1)}`);
    const label = `GPT-2 small, batch ${BATCH} × ${SEQ} tokens, ${THREADS} threads`;
    const mib = (v: number) => `${Math.round(v)} MiB`;
    return [
      {
        benchmark: `forward (plain run), ${label}`,
        ours: forward,
        reference: timingOf(torch.forward_ms),
        referenceName: `torch ${torch.torch_version} forward (no_grad)`,
        note: `peak RSS after load ${mib(peakLoad)} (torch ${mib(torch.peak_rss_load_mib)}), after forward ${mib(peakForward)} (torch ${mib(torch.peak_rss_forward_mib)})`,
      },
      {
        benchmark: `forward + backward, grads of sum(logits · seed) wrt ${parameters.length} parameters + ${RESID}`,
        ours: backward,
        reference: timingOf(torch.forward_backward_ms),
        referenceName: 'torch forward + logits.backward(seed)',
        note: `peak RSS ${mib(peak)} (torch ${mib(torch.peak_rss_mib)}); first call (builds graph + session) ${(firstCall / 1000).toFixed(1)} s; max |ours − torch| / max |torch|: ${errors.join(', ')}`,
      },
      { benchmark: 'forward + backward / forward (ours; goal ≤ 3)', ours: backward, reference: forward, referenceName: '@mechint forward' },
      { benchmark: `forward + backward wrt ${RESID} only (attribution) / forward (ours)`, ours: activationOnly, reference: forward, referenceName: '@mechint forward' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
