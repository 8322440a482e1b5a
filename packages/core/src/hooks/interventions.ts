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
import { evaluateDim } from '../onnx/sym-dim.js';
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

/** One selection on one axis; `sized` when the axis size was known when planning. */
interface PlannedAxis {
  role: Role;
  axis: number;
  perItem: boolean;
  indices: Tensor<'int64'>;
  /** The axis size, when known before the run; else negative indices are resolved in the graph. */
  size: number | undefined;
  /** The indices as given (for the run-time range check). */
  given: readonly number[];
  key: string;
}

/** One checked intervention, ready to compile and feed. */
interface Planned {
  hook: HookPoint;
  op: InterventionOp;
  axes: PlannedAxis[];
  value: Tensor | undefined;
  scale: number | undefined;
  /** Whether something could not be checked before the run: the edit then reads its value's real shape. */
  runtimeCheck: boolean;
  where: string;
}

/**
 * A check after the run: `value` is a `Shape` output of the edited activation, `hookValue` the
 * activation (to find the stage that computes it), `verify` throws when the real shape shows an
 * index out of range or a value that does not broadcast.
 */
export interface RuntimeShapeCheck {
  readonly value: string;
  readonly hookValue: string;
  verify(shape: readonly number[]): void;
}

/** A compiled plan: the structure key of the variant, the feeds it needs and the checks after the run. */
export interface InterventionPlan {
  readonly key: string;
  readonly feeds: Record<string, Tensor>;
  readonly checks: readonly RuntimeShapeCheck[];
  apply(model: ModelIR): void;
}

const PREFIX = '__mechint_iv';
const INT32 = 6n;
/** Fills ragged per-item index lists; matches no position, even after negative indices are resolved. */
const PAD = -(2n ** 62n);

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
    const selected = p.axes.map((a) => `${a.role}${a.perItem ? '*' : ''}${a.size === undefined ? '~' : ''}`).join('+');
    parts.push(`${p.hook.value}:${p.op}:${selected}:${p.value?.rank ?? '-'}${p.runtimeCheck ? ':checked' : ''}`);
    if (p.value !== undefined) feeds[`${PREFIX}${k}_value`] = p.value;
    if (p.op === 'add' || p.op === 'scale') feeds[`${PREFIX}${k}_scale`] = scalarOf(p.hook, p.scale ?? 1);
    for (const a of p.axes) feeds[`${PREFIX}${k}_${a.role}`] = a.indices;
  });
  const checks = planned.flatMap((p, k) => (p.runtimeCheck ? [{ value: shapeOutput(k), hookValue: p.hook.value, verify: (shape: readonly number[]) => verifyAtRunTime(p, shape) }] : []));
  return { key: parts.join('|'), feeds, checks, apply: (model) => planned.forEach((p, k) => splice(model, p, k)) };
}

function shapeOutput(k: number): string {
  return `${PREFIX}${k}_shape`;
}

/** What could not be checked before the run, checked against the activation's real shape. */
function verifyAtRunTime(p: Planned, shape: readonly number[]): void {
  const real = `'${p.hook.name}' has shape [${shape.join(', ')}] in this run`;
  if (p.hook.shape !== undefined && shape.length !== p.hook.shape.length) {
    throw new MechintError('SHAPE_MISMATCH', `${p.where}: ${real}, not of rank ${p.hook.shape.length} as its type says; the edit was not applied as asked. Report this model: its declared types are wrong.`);
  }
  for (const a of p.axes) {
    const size = shape[a.axis]!;
    const bad = a.given.find((i) => i >= size || i < -size);
    if (bad !== undefined) {
      throw new MechintError('INVALID_ARGUMENT', `${p.where}: ${a.key} index ${bad} is out of range: ${real} (size ${size} on its ${a.role} axis ${a.axis}); nothing was edited there. Use indices below ${size}.`, {
        details: { index: bad, size, shape: [...shape] },
      });
    }
    if (a.perItem && p.hook.axes.batch !== undefined && a.indices.shape[0] !== shape[p.hook.axes.batch]) {
      throw new MechintError('SHAPE_MISMATCH', `${p.where}: ${a.key} gives ${a.indices.shape[0]} per-item lists; ${real} (batch ${shape[p.hook.axes.batch]}).`);
    }
  }
  const value = p.value;
  if (value !== undefined) {
    const fits = value.rank <= shape.length && value.shape.every((d, i) => d === 1 || d === shape[shape.length - value.rank + i]);
    if (!fits) throw new MechintError('SHAPE_MISMATCH', `${p.where}: value of shape [${value.shape.join(', ')}] does not broadcast to ${real}.`, { details: { value: value.shape, hook: [...shape] } });
  }
}

function plan(table: readonly HookPoint[], iv: Intervention, k: number, dims: ReadonlyMap<string, number>): Planned {
  const hook = resolveHook(table, iv.hook);
  const where = `intervention ${k} ('${iv.op}' on '${iv.hook}')`;
  if (!['zero', 'mean', 'set', 'add', 'scale', 'patch'].includes(iv.op)) {
    throw new MechintError('INVALID_ARGUMENT', `${where}: unknown op; use zero, mean, set, add, scale or patch.`);
  }
  if (hook.op === undefined) throw new MechintError('INVALID_ARGUMENT', `${where}: '${iv.hook}' is a graph input; edit the feed instead.`);
  if (hook.dtype === undefined) {
    throw new MechintError('INVALID_ARGUMENT', `${where}: the element type of '${iv.hook}' is unknown (neither the file, static inference nor the probe tell it); pass exampleInputs to HookedModel.load.`);
  }
  // Only dims the file or static inference vouch for are checked now; the rest at run time.
  const shape = (hook.shape ?? []).map((d, i) => (hook.dimSources?.[i] === 'probe' ? undefined : resolveDim(d, dims)));
  const selects = SELECTIONS.some(({ key }) => iv[key] !== undefined);
  if (hook.shape === undefined && selects) {
    throw new MechintError('INVALID_ARGUMENT', `${where}: the rank of '${iv.hook}' is unknown (neither the file, static inference nor the probe tell it), so its axes cannot be selected; edit the whole value, or pass exampleInputs to HookedModel.load.`);
  }
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
    return [{ role, axis, key, size: shape[axis], ...selected }];
  });
  // Values inside If / Loop / Scan bodies are measured on this call's feeds before planning.
  const unresolved = hook.subgraph === undefined && (hook.shape === undefined || shape.some((d) => d === undefined));
  const runtimeCheck = unresolved && (axes.length > 0 || iv.value !== undefined);
  return { hook, op: iv.op, axes, value: iv.value, scale: iv.scale, runtimeCheck, where };
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

function indicesFor(where: string, key: string, selection: IndexSelection, size: number | undefined, batch: number | undefined): { perItem: boolean; indices: Tensor<'int64'>; given: number[] } {
  const perItem = selection.length > 0 && Array.isArray(selection[0]);
  const rows = (perItem ? selection : [selection]) as readonly (readonly number[])[];
  if (perItem && batch !== undefined && rows.length !== batch) {
    throw new MechintError('SHAPE_MISMATCH', `${where}: ${key} gives ${rows.length} per-item lists for a batch of ${batch}.`);
  }
  const width = Math.max(1, ...rows.map((r) => r.length));
  const flat = new BigInt64Array(rows.length * width).fill(PAD);
  rows.forEach((row, r) =>
    row.forEach((i, c) => {
      if (!Number.isInteger(i)) throw new MechintError('INVALID_ARGUMENT', `${where}: ${key} must be integers; got ${i}.`);
      const resolved = i < 0 && size !== undefined ? i + size : i;
      if ((size !== undefined && (resolved < 0 || resolved >= size)) || i < Number.MIN_SAFE_INTEGER) {
        throw new MechintError('INVALID_ARGUMENT', `${where}: ${key} index ${i} is out of range for an axis of size ${size}.`, { details: { index: i, size } });
      }
      flat[r * width + c] = BigInt(resolved);
    }),
  );
  return { perItem, indices: new Tensor('int64', flat, perItem ? [rows.length, width] : [width]), given: rows.flat() };
}

function splice(model: ModelIR, p: Planned, k: number): void {
  const graph = p.hook.subgraph === undefined ? model.graph : subgraphChain(model.graph, p.hook.subgraph).at(-1)!;
  const s = new Splicer(graph, spliceOpset(model), `${PREFIX}${k}`);
  const target = p.hook.subgraph?.value ?? p.hook.value;
  const producer = graph.producerOf(target)!;
  const before = s.name('before');
  producer.output = producer.output.map((o) => (o === target ? before : o));
  graph.invalidate();
  const rank = p.hook.shape?.length ?? 0;
  const input = (suffix: string, type: TypeProto) => {
    const name = `${PREFIX}${k}_${suffix}`;
    model.graph.inputs.push(create(ValueInfoProtoSchema, { name, type }));
    model.graph.invalidate();
    graph.invalidate();
    return name;
  };
  const elem = onnxTypeOf(p.hook.dtype!);
  const shapeOf = p.runtimeCheck ? s.node('Shape', [before], {}, [shapeOutput(k)])[0]! : s.op('Shape', [before]);
  const masks = p.axes.map((a) => {
    const given = input(a.role, tensorType('int64', a.perItem ? ['batch', 'n'] : ['n']));
    const dim = s.op('Gather', [shapeOf, s.constant(Tensor.from([BigInt(a.axis)], [1], 'int64'), 'axis')]);
    const indices = a.size === undefined ? fromEnd(s, given, dim) : given;
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

/** `i + dim` where `-dim <= i < 0`, else `i`: negative indices resolved against the run's size. */
function fromEnd(s: Splicer, indices: string, dim: string): string {
  const zero = s.constant(Tensor.from([0n], [], 'int64'), 'zero');
  const negative = s.op('Less', [indices, zero]);
  const inRange = s.op('Not', [s.op('Less', [indices, s.op('Neg', [dim])])]);
  return s.op('Where', [s.op('And', [negative, inRange]), s.op('Add', [indices, dim]), indices]);
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
  return evaluateDim(d, dims);
}

function describeAxes(axes: HookAxes): string {
  const entries = Object.entries(axes);
  return entries.length === 0 ? 'none known' : entries.map(([role, axis]) => `${role} ${axis}`).join(', ');
}
