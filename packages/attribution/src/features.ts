/**
 * Feature masks: which input elements move together in perturbation methods.
 */
import type { Tensor } from '@mechint/core';
import { broadcastTo, itemSize, ensure, type Inputs } from './internal.js';

/** Feature groups over every attributed input's item: `ids[name][k]` is the feature of element k. */
export interface FeatureGroups {
  ids: Record<string, Int32Array>;
  count: number;
}

/**
 * Groups from Captum-style masks (integer ids broadcasting to an item, `[1, ...]` or `[...]`;
 * ids shared across inputs; default: every element its own feature). `INVALID_ARGUMENT` for an
 * empty mask.
 */
export function featureGroups(inputs: Inputs, names: readonly string[], masks: Readonly<Record<string, Tensor>> | undefined): FeatureGroups {
  const raw: Record<string, Float32Array> = {};
  let offset = 0;
  for (const name of names) {
    const item = inputs[name]!.shape.slice(1);
    const mask = masks?.[name];
    if (mask === undefined) {
      raw[name] = Float32Array.from({ length: itemSize(inputs[name]!) }, (_, k) => offset + k);
      offset += itemSize(inputs[name]!);
      continue;
    }
    ensure(mask.size > 0, `The feature mask of '${name}' is empty; give one integer feature id per element (shape [${item.join(', ')}]).`);
    const shape = mask.rank === item.length + 1 ? mask.shape.slice(1) : mask.shape;
    ensure(mask.rank !== item.length + 1 || mask.shape[0] === 1, `The feature mask of '${name}' must be the same for every item: shape [1, ...] or [...]; got [${mask.shape.join(', ')}].`, 'SHAPE_MISMATCH');
    const values = Array.from(mask.data as ArrayLike<number | bigint>, Number);
    raw[name] = broadcastTo(mask.reshape(shape), item, `Feature mask for '${name}'`);
    offset = Math.max(offset, ...values.map((v) => v + 1));
  }
  const unique = [...new Set(names.flatMap((n) => Array.from(raw[n]!)))].sort((a, b) => a - b);
  ensure(unique.length > 0, 'The feature masks select no feature.');
  const index = new Map(unique.map((v, i) => [v, i]));
  return { ids: Object.fromEntries(names.map((n) => [n, Int32Array.from(raw[n]!, (v) => index.get(v)!)])), count: unique.length };
}
