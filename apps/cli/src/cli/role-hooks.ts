/**
 * Default hook points of analyses, found by their role in the model's recognised attention layers
 * (`HookedModel.attention`) rather than by a module path: the per-head attention output `z` and
 * the residual stream before each block, whatever the exporter called the modules.
 */
import { MechintError, type HookedModel, type HookPoint } from '@mechint/core';

/** The roles a default can ask for. */
export type HookRole = 'z' | 'resid_pre';

/**
 * One hook name per recognised attention layer for `role`: the alias with a head axis on each
 * layer's `z`, or the `hook_resid_pre` alias on each layer's residual input. Throws `UNKNOWN_HOOK`
 * saying what was recognised when the model has none, so the user passes `--hooks`.
 *
 * @example
 * ```ts
 * import { HookedModel } from '@mechint/core';
 * import { roleHooks } from './role-hooks.js';
 * const model = await HookedModel.load('packages/core/test/fixtures/gpt_hf.onnx');
 * roleHooks(model, 'z'); // one z hook per attention layer, named after the model's own modules
 * ```
 */
export function roleHooks(model: HookedModel, role: HookRole): string[] {
  const values = model.attention.sites.map((site) => (role === 'z' ? site.z : site.residual?.residPre));
  const names = values.map((value) => (value === undefined ? undefined : nameFor(model.hookPoints, value, role)));
  const found = names.filter((n): n is string => n !== undefined);
  if (found.length === 0 || found.length < names.length) {
    const what = role === 'z' ? "attention layers' per-head outputs (z)" : "blocks' residual inputs (hook_resid_pre)";
    throw new MechintError('UNKNOWN_HOOK', `No default hooks: the model's ${what} were not all recognised (${model.describeAttention()}) Pass --hooks with names from mechint inspect.`, {
      details: { role },
    });
  }
  return found;
}

function nameFor(table: readonly HookPoint[], value: string, role: HookRole): string | undefined {
  const aliases = table.filter((h) => h.value === value && h.kind === 'alias');
  const fits = role === 'z' ? aliases.filter((h) => h.axes.head !== undefined) : aliases.filter((h) => h.name.endsWith('hook_resid_pre'));
  return (fits[0] ?? aliases[0])?.name;
}

/**
 * A layer to suggest for `attribute --layer` on a token model, from the model itself: the first
 * block's residual input when attention layers were recognised, else the first float32 module
 * output (an embedding's, typically), else the first float32 activation; `undefined` if none.
 *
 * @example
 * ```ts
 * import { HookedModel } from '@mechint/core';
 * import { suggestedLayer } from './role-hooks.js';
 * suggestedLayer(await HookedModel.load('packages/core/test/fixtures/gpt2l.onnx')); // 'blocks.0.hook_resid_pre'
 * ```
 */
export function suggestedLayer(model: HookedModel): string | undefined {
  const resid = model.attention.sites[0]?.residual?.residPre;
  if (resid !== undefined) return nameFor(model.hookPoints, resid, 'resid_pre');
  const floats = model.hookPoints.filter((h) => h.data && h.dtype === 'float32' && h.op !== undefined);
  return (floats.find((h) => h.kind === 'module-output') ?? floats[0])?.name;
}
