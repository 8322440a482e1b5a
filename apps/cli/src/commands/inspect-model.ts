/**
 * What `mechint inspect` reports about a model: its interface, size, hook points by module, the
 * transformer structure recognised, and the execution providers available here.
 */
import { Backend, MechintError, ortBinding, type Dim, type HookedModel } from '@mechint/core';

/** A graph input or output. */
export interface TensorSignature {
  readonly name: string;
  readonly dtype: string | undefined;
  readonly shape: readonly Dim[] | undefined;
}

/** The report of `mechint inspect`. */
export interface ModelReport {
  readonly file: string;
  readonly producer: string;
  readonly irVersion: number;
  readonly opsets: readonly { domain: string; version: number }[];
  readonly inputs: readonly TensorSignature[];
  readonly outputs: readonly TensorSignature[];
  /** Elements of floating-point initializers (the weights). */
  readonly parameters: number;
  /** Elements of other initializers (boolean masks, integer tables). */
  readonly otherInitializers: number;
  readonly nodes: number;
  readonly operators: Readonly<Record<string, number>>;
  /** Module hook points (`<module>.input` / `.output`), grouped by module path. */
  readonly modules: readonly { module: string; hooks: readonly string[] }[];
  /** Transformer aliases recognised (`blocks.0.attn.pattern`, `blocks.0.hook_resid_pre`, …) and the ONNX value each reads. */
  readonly aliases: readonly { name: string; value: string; shape: readonly Dim[] | undefined }[];
  readonly rawValues: number;
  readonly attention: {
    readonly summary: string;
    readonly recognised: readonly string[];
    readonly residualAliases: number;
    readonly fused: readonly string[];
    readonly unmatchedSoftmax: readonly string[];
  };
  readonly executionProviders: readonly { ep: string; available: boolean; reason?: string }[];
}

/** ONNX element types of trainable weights: FLOAT, FLOAT16, DOUBLE, BFLOAT16 (masks and indices are not parameters). */
const FLOAT_TYPES = new Set([1, 10, 11, 16]);

const MODULE_HOOK = /^(.*)\.(input|output)(\.\d+)?$/;

/** Whether each execution provider the platform offers starts here. */
export async function probeProviders(): Promise<ModelReport['executionProviders']> {
  const found: { ep: string; available: boolean; reason?: string }[] = [];
  for (const ep of ortBinding().providers) {
    try {
      const backend = await Backend.create({ ep });
      await backend.dispose();
      found.push({ ep, available: true });
    } catch (cause) {
      const message = MechintError.isInstance(cause) ? cause.message.split('\n')[1] ?? cause.message : String(cause);
      found.push({ ep, available: false, reason: message.replace(/^\w+: /, '').split(/\. |: /)[0]! });
    }
  }
  return found;
}

/** Builds the report for a loaded model. */
export function describeModel(file: string, model: HookedModel): Omit<ModelReport, 'executionProviders'> {
  const { graph, proto } = model.model;
  const signature = (name: string): TensorSignature => {
    const hook = model.hookPoints.find((h) => h.name === name);
    const declared = model.declaredType(name);
    return { name, dtype: declared?.dtype ?? hook?.dtype, shape: declared?.shape ?? hook?.shape };
  };
  const operators: Record<string, number> = {};
  for (const node of graph.nodes) operators[node.opType] = (operators[node.opType] ?? 0) + 1;
  const size = (t: (typeof graph.initializers)[number]) => t.dims.reduce((p, d) => p * Number(d), 1);
  const parameters = graph.initializers.filter((t) => FLOAT_TYPES.has(t.dataType)).reduce((n, t) => n + size(t), 0);
  const otherInitializers = graph.initializers.filter((t) => !FLOAT_TYPES.has(t.dataType)).reduce((n, t) => n + size(t), 0);
  const modules = new Map<string, string[]>();
  for (const hook of model.hookPoints) {
    if (hook.kind !== 'module-input' && hook.kind !== 'module-output') continue;
    const module = MODULE_HOOK.exec(hook.name)?.[1] ?? hook.name;
    modules.set(module, [...(modules.get(module) ?? []), hook.name]);
  }
  const { sites, fused, unmatchedSoftmax } = model.attention;
  return {
    file,
    producer: [proto.producerName, proto.producerVersion].filter((s) => s !== '').join(' ') || 'unknown',
    irVersion: model.model.irVersion,
    opsets: proto.opsetImport.map((o) => ({ domain: o.domain === '' ? 'ai.onnx' : o.domain, version: Number(o.version) })),
    inputs: graph.feedNames.map(signature),
    outputs: graph.outputs.map((o) => signature(o.name)),
    parameters,
    otherInitializers,
    nodes: graph.nodes.length,
    operators: Object.fromEntries(Object.entries(operators).sort((a, b) => b[1] - a[1])),
    modules: [...modules].map(([module, hooks]) => ({ module, hooks })),
    aliases: model.hookPoints.filter((h) => h.kind === 'alias').map((h) => ({ name: h.name, value: h.value, shape: h.shape })),
    rawValues: model.hookPoints.filter((h) => h.kind === 'value').length,
    attention: {
      summary: model.describeAttention(),
      recognised: sites.map((s) => s.module ?? `layer ${s.layer}`),
      residualAliases: sites.filter((s) => s.residual !== undefined).length,
      fused,
      unmatchedSoftmax,
    },
  };
}

function shapeText(shape: readonly Dim[] | undefined): string {
  return shape === undefined ? '?' : `[${shape.map((d) => d ?? '?').join(', ')}]`;
}

/** The report as text for a terminal. */
export function formatReport(report: ModelReport): string[] {
  const lines = [
    `model        ${report.file}`,
    `producer     ${report.producer} (IR ${report.irVersion}; opsets ${report.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')})`,
    `size         ${report.parameters.toLocaleString('en')} parameters${report.otherInitializers > 0 ? ` (+ ${report.otherInitializers.toLocaleString('en')} non-float constants)` : ''}, ${report.nodes} nodes`,
    `operators    ${Object.entries(report.operators).map(([op, n]) => `${op}×${n}`).join(' ')}`,
    'inputs',
    ...report.inputs.map((t) => `  ${t.name.padEnd(24)} ${t.dtype ?? '?'} ${shapeText(t.shape)}`),
    'outputs',
    ...report.outputs.map((t) => `  ${t.name.padEnd(24)} ${t.dtype ?? '?'} ${shapeText(t.shape)}`),
    `attention    ${report.attention.summary}`,
  ];
  if (report.attention.fused.length > 0) lines.push(`  not recognised (fused kernels): ${report.attention.fused.join(', ')}`);
  if (report.attention.unmatchedSoftmax.length > 0) lines.push(`  not recognised (Softmax outside q·kᵀ → softmax → ·v): ${report.attention.unmatchedSoftmax.join(', ')}`);
  if (report.aliases.length > 0) {
    lines.push(`aliases      ${report.aliases.length} transformer hook names`);
    for (const a of report.aliases) lines.push(`  ${a.name.padEnd(32)} ${shapeText(a.shape).padEnd(22)} ${a.value}`);
  } else {
    lines.push('aliases      none recognised (no attention of the form q·kᵀ → softmax → ·v); use module or raw value names');
  }
  lines.push(`hook points  ${report.modules.length} modules, ${report.rawValues} raw ONNX values`);
  for (const m of report.modules) lines.push(`  ${m.module.padEnd(28)} ${m.hooks.map((h) => h.slice(m.module.length + 1)).join(' ')}`);
  lines.push(`providers    ${report.executionProviders.map((e) => (e.available ? `${e.ep} ✓` : `${e.ep} ✗ (${e.reason ?? 'unavailable'})`)).join('  ')}`);
  return lines;
}
