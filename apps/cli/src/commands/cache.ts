/**
 * `mechint cache model.onnx --inputs in.npz --hooks 'blocks.*.output' --out acts.npz`.
 */
import { extname } from 'node:path';
import { writeNpz, writeSafetensors, type Tensor } from '@mechint/core';
import type { Command } from '../cli/command.js';
import { listOption, positionals, requiredOption } from '../cli/command.js';
import { usageError } from '../cli/exit-codes.js';
import { readFeeds } from '../cli/feeds.js';
import { loadHookedModel } from '../cli/files.js';
import { hookSelectors } from '../cli/hooks.js';

/** `mechint cache`. */
export const cacheCommand: Command = {
  name: 'cache',
  summary: 'run a model on inputs and save the activations of chosen hook points',
  help: `Usage: mechint cache <model.onnx> --inputs in.npz --hooks PATTERN [--hooks …] --out acts.npz

  --inputs FILE   .npz / .safetensors with one array per model input, under its name
  --hooks PATTERN hook point names or globs: '*' within a dotted part, '**' across parts
                  (e.g. 'blocks.*.output', 'blocks.*.attn.pattern', '**.hook_resid_pre');
                  repeat or separate with commas. Default: every module and alias hook point.
  --out FILE      .npz or .safetensors; the activations under their hook names

'mechint inspect <model>' lists the hook points.`,
  options: {
    inputs: { type: 'string' },
    hooks: { type: 'string', multiple: true },
    out: { type: 'string' },
  },
  async run(context, args) {
    const [path] = positionals(args, 'cache', ['model.onnx']);
    const inputs = requiredOption(args.values, 'inputs', 'cache', 'in.npz');
    const out = requiredOption(args.values, 'out', 'cache', 'acts.npz');
    const format = extname(out).toLowerCase();
    if (format !== '.npz' && format !== '.safetensors') throw usageError(`--out must end in .npz or .safetensors; got '${out}'.`);
    const patterns = listOption(args.values, 'hooks');
    const model = await loadHookedModel(context.cwd, path!, context.globals.ep);
    try {
      const feeds = readFeeds(context.cwd, inputs, model);
      const selectors = patterns.length === 0 ? undefined : hookSelectors(patterns, model.hookPoints);
      const { cache } = await model.runWithCache(feeds, selectors === undefined ? {} : { hooks: selectors });
      const names = cache.keys();
      const arrays: Record<string, Tensor> = Object.fromEntries(names.map((n) => [n, cache.get(n)]));
      const files = context.outputs();
      files.add(out, format === '.npz' ? writeNpz(arrays, { compress: true }) : writeSafetensors(arrays));
      files.commit();
      const hooks = names.map((name) => ({ name, dtype: arrays[name]!.dtype, shape: arrays[name]!.shape }));
      context.say(`cached ${hooks.length} activation(s) on ${model.backend.ep}:`);
      for (const h of hooks) context.say(`  ${h.name.padEnd(32)} ${h.dtype} [${h.shape.join(', ')}]`);
      context.say(`wrote ${out}`);
      return { model: path, inputs, out, ep: model.backend.ep, hooks };
    } finally {
      await model.dispose();
    }
  },
};
