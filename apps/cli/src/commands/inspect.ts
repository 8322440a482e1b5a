/**
 * `mechint inspect model.onnx`: what a model is made of and what can be hooked.
 */
import type { Command } from '../cli/command.js';
import { positionals } from '../cli/command.js';
import { loadHookedModel } from '../cli/files.js';
import { describeModel, formatReport, probeProviders, type ModelReport } from './inspect-model.js';

/** `mechint inspect`. */
export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'inputs, outputs, opsets, size, hook points by module, transformer aliases, EPs',
  help: `Usage: mechint inspect <model.onnx> [--json]

Loads the model, names its hook points and reports: inputs and outputs (dtype, shape), opsets,
parameter count, operators, hook points grouped by module, the transformer aliases recognised
(attention patterns, residual stream) and what was not recognised, and which execution providers
start on this machine.`,
  options: {},
  async run(context, args) {
    const [path] = positionals(args, 'inspect', ['model.onnx']);
    const model = await loadHookedModel(context.cwd, path!, context.globals.ep);
    try {
      const report: ModelReport = { ...describeModel(path!, model), executionProviders: await probeProviders() };
      for (const line of formatReport(report)) context.say(line);
      return report;
    } finally {
      await model.dispose();
    }
  },
};
