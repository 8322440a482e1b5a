/**
 * The opsets a gradient rule covers: from 13 (gradients upgrade or refuse older models) or the
 * opset that introduced the operator, to the newest opset the rules are checked at.
 */

/**
 * The newest default-domain opset whose operator forms the rules handle.
 *
 * @example
 * ```ts
 * import { NEWEST_GRAD_OPSET } from '@mechint/core';
 * console.log(NEWEST_GRAD_OPSET); // 23
 * ```
 */
export const NEWEST_GRAD_OPSET = 23;

/** The opset that introduced each operator added after opset 13. */
const INTRODUCED: Readonly<Record<string, number>> = {
  Trilu: 14, HardSwish: 14, CastLike: 15, GridSample: 16, DFT: 17, STFT: 17, LayerNormalization: 17, Mish: 18, GroupNormalization: 18, CenterCropPad: 18, Col2Im: 18,
  Gelu: 20, AffineGrid: 20, RMSNormalization: 23, RotaryEmbedding: 23, Attention: 23,
};

/**
 * The opset range `[from, to]` over which the registered rule of `opType` is defined: every
 * signature the operator has in that range (axes as attribute or input, added attributes) is handled.
 *
 * @example
 * ```ts
 * import { gradRuleOpsets } from '@mechint/core';
 * console.log(gradRuleOpsets('GroupNormalization')); // [18, 23]
 * ```
 */
export function gradRuleOpsets(opType: string): readonly [number, number] {
  return [Math.max(13, INTRODUCED[opType] ?? 13), NEWEST_GRAD_OPSET];
}
