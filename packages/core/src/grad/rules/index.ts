/**
 * The gradient-rule registry: one backward rule per operator of the default ONNX domain.
 */
import type { GradRule } from '../context.js';
import { ACTIVATION_RULES } from './activation.js';
import { ATTENTION_RULES } from './attention.js';
import { CONV_RULES } from './conv.js';
import { EINSUM_RULES } from './einsum.js';
import { ELEMENTWISE_RULES } from './elementwise.js';
import { HARD_ACTIVATION_RULES } from './hard-activations.js';
import { INDEXING_RULES } from './indexing.js';
import { LINALG_RULES } from './linalg.js';
import { LOSS_RULES } from './loss.js';
import { NORMALIZATION_RULES } from './normalization.js';
import { POOLING_RULES } from './pooling.js';
import { REDUCE_RULES } from './reduce.js';
import { RESIZE_RULES } from './resize.js';
import { SAMPLING_RULES } from './sampling.js';
import { SHAPE_RULES } from './shape.js';
import { SPECTRAL_RULES } from './spectral.js';

/** Operators whose outputs carry no gradient (shapes, indices, comparisons, constants, rounding). */
export const NON_DIFFERENTIABLE = new Set([
  'Shape', 'Size', 'Constant', 'ConstantOfShape', 'Range', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual',
  'Not', 'And', 'Or', 'Xor', 'ArgMax', 'ArgMin', 'NonZero', 'IsNaN', 'IsInf', 'Floor', 'Ceil', 'Round', 'Sign', 'OneHot',
  'EyeLike', 'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Bernoulli', 'Multinomial',
  'Hardmax', 'BitShift', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'BitwiseNot', 'NonMaxSuppression',
  'BlackmanWindow', 'HammingWindow', 'HannWindow', 'StringNormalizer', 'StringConcat', 'StringSplit', 'RegexFullMatch',
  'TfIdfVectorizer', 'MelWeightMatrix', 'ImageDecoder', 'OptionalHasElement', 'SequenceLength',
]);

const rules = new Map<string, GradRule>(Object.entries({ ...ELEMENTWISE_RULES, ...LINALG_RULES, ...SHAPE_RULES, ...REDUCE_RULES, ...CONV_RULES,
  ...ACTIVATION_RULES, ...NORMALIZATION_RULES, ...INDEXING_RULES, ...EINSUM_RULES, ...ATTENTION_RULES, ...POOLING_RULES, ...LOSS_RULES, ...SPECTRAL_RULES, ...SAMPLING_RULES,
  ...HARD_ACTIVATION_RULES, ...RESIZE_RULES }));

/**
 * Registers (or replaces) the backward rule of an operator for every later `gradients` call;
 * for one call only, pass `overrides` instead.
 *
 * @example
 * ```ts
 * import { registerGradRule } from '@mechint/core';
 * registerGradRule('Identity', (ctx) => [ctx.grad(0)]);
 * ```
 */
export function registerGradRule(opType: string, rule: GradRule): void {
  rules.set(opType, rule);
}

/** The registered rule of `opType`, if any. */
export function gradRule(opType: string): GradRule | undefined {
  return rules.get(opType);
}

/** Operators that have a registered rule, sorted. */
export function differentiableOps(): string[] {
  return [...rules.keys()].sort();
}
