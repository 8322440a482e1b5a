/**
 * Gradients of Hugging Face GPT-2 small as torch's dynamo exporter writes it (random weights):
 * building the gradient graph and its session, and `runWithGrad` of sum(logits · seed) with
 * respect to every parameter and the residual stream entering block 6, against torch autograd's
 * forward + backward of the same sum on the same weights, tokens and seed. Two gradients are
 * checked against torch's outside the timed runs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Backend, HookedModel, readNpz } from '@mechint/core';
import { measure, timingOf, type Comparison } from './harness.js';
import { hashedInputs, relativeError } from './hashed-inputs.js';
import { gpt2SmallExports, python } from './real-exports.js';

const root = new URL('../../', import.meta.url).pathname;
const BATCH = 1;
const SEQ = 128;
const VOCAB = 50257;
const THREADS = 2;
const RESID = 'blocks.6.hook_resid_pre';
/** Our parameter name (the dynamo export's initializer) → torch's, for the checked gradients. */
const CHECKED: Record<string, string> = {
  'model.transformer.h.0.attn.c_attn.weight': 'transformer.h.0.attn.c_attn.weight',
  'model.transformer.wpe.weight': 'transformer.wpe.weight',
};

interface TorchGradResult {
  torch: string;
  forward_ms: number[];
  forward_backward_ms: number[];
}

/** Runs the dynamo-export gradient benchmark and returns its table rows. */
export async function benchmark(runs: number): Promise<Comparison[]> {
  const dir = gpt2SmallExports();
  const backend = await Backend.create({ ep: 'cpu', intraOpNumThreads: THREADS });
  const model = await HookedModel.load(join(dir, 'dynamo.onnx'), { backend });
  const { tokens: input_ids, seed } = hashedInputs(BATCH, SEQ, VOCAB);
  const parameters = model.model.graph.initializers.filter((t) => t.dataType === 1 && t.dims.length > 0).map((t) => t.name);
  const options = { of: 'logits', wrt: [...parameters, RESID], seed };

  const forward = await measure(() => model.run({ input_ids }), { runs });
  const buildStart = performance.now();
  const { grads } = await model.runWithGrad({ input_ids }, options);
  const build = performance.now() - buildStart;
  const backward = await measure(() => model.runWithGrad({ input_ids }, options), { runs });
  await model.dispose();

  const scratch = mkdtempSync(join(tmpdir(), 'mechint-real-grad-'));
  try {
    const gradsPath = join(scratch, 'grads.npz');
    const args = [join(root, 'tools/bench-models/real_exports_grad_baseline.py'), join(dir, 'weights.pt'), String(BATCH), String(SEQ), String(runs), String(THREADS), gradsPath];
    const torch = JSON.parse(execFileSync(python(), args, { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').pop()!) as TorchGradResult;
    const reference = readNpz(new Uint8Array(readFileSync(gradsPath)));
    const errors = [`${RESID} ${relativeError(grads[RESID]!, reference['resid']!).toExponential(1)}`];
    for (const [ours, theirs] of Object.entries(CHECKED)) errors.push(`${theirs} ${relativeError(grads[ours]!, reference[theirs]!).toExponential(1)}`);
    const label = `HF GPT-2 small (dynamo export), batch ${BATCH} × ${SEQ}, ${THREADS} threads`;
    return [
      { benchmark: `forward, ${label}`, ours: forward, reference: timingOf(torch.forward_ms), referenceName: `torch ${torch.torch} forward (no_grad)` },
      {
        benchmark: `forward + backward wrt ${parameters.length} parameters + ${RESID}`,
        ours: backward,
        reference: timingOf(torch.forward_backward_ms),
        referenceName: `torch ${torch.torch} forward + logits.backward(seed)`,
        note: `first call (gradient graph + session + run) ${(build / 1000).toFixed(1)} s; max |ours − torch| / max |torch|: ${errors.join(', ')}`,
      },
    ];
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
