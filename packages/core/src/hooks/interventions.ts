/**
 * Declarative interventions, compiled into the graph: the selected elements of a hook's value
 * are replaced inside the same session call (`Where(mask, replacement, value)`), with the
 * replacement values and the selected indices fed as extra inputs — so one compiled variant
 * serves every value and every index of the same kind of request.
 */
import { create } from '@bufbuild/protobuf';
import { MechintError } from '../errors.js';
import { ValueInfoProtoSchema, type TypeProto } from '../onnx/gen/onnx_pb.js';
import type { ModelIR } from '../onnx/model.js';
import { tensorType, type Dim } from '../onnx/types.js';
import { onnxTypeOf } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import type { HookAxes, HookPoint } from './hook-points.js';
import { resolveHook } from './selectors.js';
import { Splicer, spliceOpset } from './splicer.js';
import { subgraphChain } from './subgraphs.js';

/**
 * What an intervention does to the selected elements `x`:
 * `zero` → 0; `mean`, `set`, `patch` → `value`; `add` → `x + scale·value`; `scale` → `scale·x`.
 * (`mean` and `patch` are `set` with intent: a mean activation, another run's cached activation.)
 */
export type InterventionOp = 'zero' | 'mean' | 'set' | 'add' | 'scale' | 'patch';

/**
 * Indices along one axis: the same list for every batch item, or one list per batch item
 * (`[[11], [12], [13]]`: item 0 at 11, item 1 at 12, …). Negative indices count from the end.
 */
export type IndexSelection = readonly number[] | readonly (readonly number[])[];

/**
 * One edit of one hook point's value. Without selections it applies to the whole tensor;
 * `positions`, `heads`, `features`, `channels` and `batch` narrow it (their intersection).
 *
 * @example
 * ```ts
 * import type { Intervention } from '@mechint/core';
 * const ablate: Intervention = { hook: 'blocks.1.attn.z', op: 'zero', heads: [2] };
 * ```
 */
export interface Intervention {
  /** Hook-point name (see `HookedModel.hookPoints`). */
  hook: string;
  /** What to do to the selected elements (see {@link InterventionOp}). */
  op: InterventionOp;
  /** The replacement (`mean`, `set`, `patch`) or addend (`add`); broadcasts against the whole value. */
  value?: Tensor;
  /** Multiplier: of `value` for `add` (default 1), of the activation for `scale` (required). */
  scale?: number;
  /** Indices on the position axis (query positions for attention patterns). */
  positions?: IndexSelection;
  /** Indices on the head axis (attention patterns and `z`). */
  heads?: IndexSelection;
  /**
   * Indices on the last axis of transformer hooks (features, d_model, d_head, key positions).
   * NCHW feature maps (`[batch, C, H, W]`) have no feature axis — their last is the width — and
   * refuse it: select `channels` there.
   */
  features?: IndexSelection;
  /** Indices on the channel axis of NCHW feature maps (`[batch, C, H, W]`: axis 1). */
  channels?: IndexSelection;
  /** Batch items to edit. */
  batch?: readonly number[];
}

type Role = 'position' | 'head' | 'feature' | 'channel' | 'batch';
const SELECTIONS: readonly { key: 'positions' | 'heads' | 'features' | 'channels' | 'batch'; role: Role }[] = [
  { key: 'batch', role: 'batch' },
  { key: 'positions', role: 'position' },
  { key: 'heads', role: 'head' },
  { key: 'features', role: 'feature' },
  { key: 'channels', role: 'channel' },
];

/** One checked intervention, ready to compile and feed. */
interface Planned {
  hook: HookPoint;
  op: InterventionOp;
  axes: { role: Role; axis: number; perItem: boolean; indices: Tensor<'int64'> }[];
  value: Tensor | undefined;
  scale: number | undefined;
}

/** A compiled plan: the structure key of the variant and the feeds it needs. */
export interface InterventionPlan {
  readonly key: string;
  readonly feeds: Record<string, Tensor>;
  apply(model: ModelIR): void;
}

const PREFIX = '__mechint_iv';
const INT32 = 6n;

/**
 * Checks `interventions` against the hook table and the run's dims (`dims`: symbolic dim → size
 * from the feeds), before anything runs. Throws `UNKNOWN_HOOK`, `INVALID_ARGUMENT`,
 * `DTYPE_MISMATCH` or `SHAPE_MISMATCH` with what to change.
 */
export function planInterventions(table: readonly HookPoint[], interventions: readonly Intervention[], dims: ReadonlyMap<string, number>): InterventionPlan {
  const planned = interventions.map((iv, k) => plan(table, iv, k, dims));
  const feeds: Record<string, Tensor> = {};
  const parts: string[] = [];
  planned.forEach((p, k) => {
    const selected = p.axes.map((a) => `${a.role}${a.perItem ? '*' : ''}`).join('+');
    parts.push(`${p.hook.value}:${p.op}:${selected}:${p.value?.rank ?? '-'}`);
    if (p.value !== undefined) feeds[`${PREFIX}${k}_value`] = p.value;
    if (p.op === 'add' || p.op === 'scale') feeds[`${PREFIX}${k}_scale`] = scalarOf(p.hook, p.scale ?? 1);
    for (const a of p.axes) feeds[`${PREFIX}${k}_${a.role}`] = a.indices;
  });
  return { key: parts.join('|'), feeds, apply: (model) => planned.forEach((p, k) => splice(model, p, k)) };
}

function plan(table: readonly HookPoint[], iv: Intervention, k: number, dims: ReadonlyMap<string, number>): Planned {
  const hook = resolveHook(table, iv.hook);
  const where = `intervention ${k} ('${iv.op}' on '${iv.hook}')`;
  if (!['zero', 'mean', 'set', 'add', 'scale', 'patch'].includes(iv.op)) {
    throw new MechintError('INVALID_ARGUMENT', `${where}: unknown op; use zero, mean, set, add, scale or patch.`);
  }
  if (hook.op === undefined) throw new MechintError('INVALID_ARGUMENT', `${where}: '${iv.hook}' is a graph input; edit the feed instead.`);
  if (hook.dtype === undefined || hook.shape === undefined) {
    throw new MechintError('INVALID_ARGUMENT', `${where}: the shape of '${iv.hook}' is unknown (the probe run could not reach it), so it cannot be edited.`);
  }
  const shape = hook.shape.map((d) => resolveDim(d, dims));
  const needsValue = iv.op === 'mean' || iv.op === 'set' || iv.op === 'add' || iv.op === 'patch';
  if (needsValue !== (iv.value !== undefined)) {
    throw new MechintError('INVALID_ARGUMENT', needsValue ? `${where}: give the value to use.` : `${where}: takes no value; did you mean 'set'?`);
  }
  if (iv.op === 'scale' && iv.scale === undefined) throw new MechintError('INVALID_ARGUMENT', `${where}: give the factor as scale.`);
  if (iv.scale !== undefined && !Number.isFinite(iv.scale)) throw new MechintError('INVALID_ARGUMENT', `${where}: scale must be a finite number.`);
  if (iv.value !== undefined) checkValue(where, hook, iv.value, shape);
  const axes = SELECTIONS.flatMap(({ key, role }) => {
    const selection = iv[key];
    if (selection === undefined) return [];
    const axis = axisFor(hook.axes, role);
    if (axis === undefined) {
      throw new MechintError('INVALID_ARGUMENT', `${where}: '${iv.hook}' has no ${role} axis${missingAxisHint(role, hook.axes)}; its axes: ${describeAxes(hook.axes)}.`);
    }
    const selected = indicesFor(where, key, selection, shape[axis], role === 'batch' ? undefined : batchSize(hook, shape));
    if (selected.perItem && hook.axes.batch !== 0) {
      throw new MechintError('INVALID_ARGUMENT', `${where}: per-item ${key} need a batch axis first; '${iv.hook}' has axes ${describeAxes(hook.axes)}.`);
    }
    return [{ role, axis, ...selected }];
  });
  return { hook, op: iv.op, axes, value: iv.value, scale: iv.scale };
}

function checkValue(where: string, hook: HookPoint, value: Tensor, shape: readonly (number | undefined)[]): void {
  if (value.dtype !== hook.dtype) {
    throw new MechintError('DTYPE_MISMATCH', `${where}: value is ${value.dtype}, the hook holds ${hook.dtype}; convert with value.clone('${hook.dtype}').`);
  }
  const fits = value.rank <= shape.length && value.shape.every((d, i) => {
    const target = shape[shape.length - value.rank + i];
    return d === 1 || target === undefined || d === target;
  });
  if (!fits) {
    throw new MechintError('SHAPE_MISMATCH', `${where}: value of shape [${value.shape.join(', ')}] does not broadcast to the hook's shape [${shape.map((d, i) => d ?? hook.shape![i]).join(', ')}].`, {
      details: { value: value.shape, hook: shape },
    });
  }
}

function indicesFor(where: string, key: string, selection: IndexSelection, size: number | undefined, batch: number | undefined): { perItem: boolean; indices: Tensor<'int64'> } {
  const perItem = selection.length > 0 && Array.isArray(selection[0]);
  const rows = (perItem ? selection : [selection]) as readonly (readonly number[])[];
  if (perItem && batch !== undefined && rows.length !== batch) {
    throw new MechintError('SHAPE_MISMATCH', `${where}: ${key} gives ${rows.length} per-item lists for a batch of ${batch}.`);
  }
  const width = Math.max(1, ...rows.map((r) => r.length));
  const flat = new BigInt64Array(rows.length * width).fill(-1n);
  rows.forEach((row, r) =>
    row.forEach((i, c) => {
      if (!Number.isInteger(i)) throw new MechintError('INVALID_ARGUMENT', `${where}: ${key} must be integers; got ${i}.`);
      const resolved = i < 0 && size !== undefined ? i + size : i;
      if (resolved < 0 || (size !== undefined && resolved >= size)) {
        throw new MechintError('INVALID_ARGUMENT', `${where}: ${key} index ${i} is out of range for an axis of size ${size ?? 'unknown'}.`, { details: { index: i, size } });
      }
      flat[r * width + c] = BigInt(resolved);
    }),
  );
  return { perItem, indices: new Tensor('int64', flat, perItem ? [rows.length, width] : [width]) };
}

function splice(model: ModelIR, p: Planned, k: number): void {
  const graph = p.hook.subgraph === undefined ? model.graph : subgraphChain(model.graph, p.hook.subgraph).at(-1)!;
  const s = new Splicer(graph, spliceOpset(model), `${PREFIX}${k}`);
  const target = p.hook.subgraph?.value ?? p.hook.value;
  const producer = graph.producerOf(target)!;
  const before = s.name('before');
  producer.output = producer.output.map((o) => (o === target ? before : o));
  graph.invalidate();
  const rank = p.hook.shape!.length;
  const input = (suffix: string, type: TypeProto) => {
    const name = `${PREFIX}${k}_${suffix}`;
    model.graph.inputs.push(create(ValueInfoProtoSchema, { name, type }));
    model.graph.invalidate();
    graph.invalidate();
    return name;
  };
  const elem = onnxTypeOf(p.hook.dtype!);
  const shapeOf = s.op('Shape', [before]);
  const masks = p.axes.map((a) => {
    const indices = input(a.role, tensorType('int64', a.perItem ? ['batch', 'n'] : ['n']));
    const dim = s.op('Gather', [shapeOf, s.constant(Tensor.from([BigInt(a.axis)], [1], 'int64'), 'axis')]);
    const row = s.indices(dim);
    const left = a.perItem ? s.unsqueeze(row, [2]) : s.op('Transpose', [row]);
    const right = a.perItem ? s.unsqueeze(indices, [1]) : s.unsqueeze(indices, [0]);
    const hits = s.reduceSum(s.op('Cast', [s.op('Equal', [left, right])], { to: INT32 }), [a.perItem ? 2 : 1]);
    const selected = s.op('Greater', [hits, s.constant(Tensor.from([0], [], 'int32'), 'zero')]);
    const keep = new Set(a.perItem ? [0, a.axis] : [a.axis]);
    return s.unsqueeze(selected, Array.from({ length: rank }, (_, i) => i).filter((i) => !keep.has(i)));
  });
  const mask = masks.length === 0 ? s.constant(Tensor.from([true], [], 'bool'), 'all') : masks.reduce((m, next) => s.op('And', [m, next]));
  const replacement = replacementOf(p, s, before, input, elem);
  s.node('Where', [mask, replacement, before], {}, [target]);
  graph.proto.node = graph.topologicalOrder();
  graph.invalidate();
  model.graph.invalidate();
}

function replacementOf(p: Planned, s: Splicer, before: string, input: (suffix: string, type: TypeProto) => string, elem: number): string {
  const value = () => input('value', tensorType(elem, p.value!.shape.map((_, i) => `value_${i}`)));
  const scale = () => input('scale', tensorType(elem, []));
  switch (p.op) {
    case 'zero':
      return s.constant(scalarOf(p.hook, 0), 'zero');
    case 'add':
      return s.op('Add', [before, s.op('Mul', [value(), scale()])]);
    case 'scale':
      return s.op('Mul', [before, scale()]);
    default:
      return value();
  }
}

function scalarOf(hook: HookPoint, x: number): Tensor {
  const dtype = hook.dtype!;
  if (dtype === 'int64' || dtype === 'uint64') return Tensor.from([BigInt(x)], [], dtype);
  if (dtype === 'float16') throw new MechintError('UNSUPPORTED_DTYPE', `Interventions on float16 hooks are not supported yet ('${hook.name}').`);
  return Tensor.from([x], [], dtype);
}

function missingAxisHint(role: Role, axes: HookAxes): string {
  if (role === 'head') return ' (heads apply to attention patterns and z)';
  if (role === 'feature' && axes.channel !== undefined) return ` (it is an NCHW map [batch, C, H, W], whose last axis is the width, not features: select channels for axis ${axes.channel})`;
  if (role === 'channel') return ' (channels apply to NCHW feature maps [batch, C, H, W] of image models)';
  return '';
}

function axisFor(axes: HookAxes, role: Role): number | undefined {
  return axes[role];
}

function batchSize(hook: HookPoint, shape: readonly (number | undefined)[]): number | undefined {
  return hook.axes.batch === undefined ? undefined : shape[hook.axes.batch];
}

function resolveDim(d: Dim, dims: ReadonlyMap<string, number>): number | undefined {
  return typeof d === 'number' ? d : d === null ? undefined : dims.get(d);
}

function describeAxes(axes: HookAxes): string {
  const entries = Object.entries(axes);
  return entries.length === 0 ? 'none known' : entries.map(([role, axis]) => `${role} ${axis}`).join(', ');
}
