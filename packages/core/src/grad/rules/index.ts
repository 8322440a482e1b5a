/**
 * The gradient-rule registry: one backward rule per operator, keyed by domain and operator type
 * (the default ONNX domain by the bare type, others as `domain:opType`, e.g. `com.microsoft:FastGelu`).
 */
import type { GradRule } from '../context.js';
import { ACTIVATION_RULES } from './activation.js';
import { ATTENTION_RULES } from './attention.js';
import { CONTRIB_RULES, ORT_DEFAULT_DOMAIN_RULES } from './contrib.js';
import { CONV_RULES } from './conv.js';
import { EINSUM_RULES } from './einsum.js';
import { ELEMENTWISE_RULES } from './elementwise.js';
import { HARD_ACTIVATION_RULES } from './hard-activations.js';
import { INDEXING_RULES } from './indexing.js';
import { LINALG_RULES } from './linalg.js';
import { LOSS_RULES } from './loss.js';
import { NORMALIZATION_RULES } from './normalization.js';
import { POOLING_RULES } from './pooling.js';
import { QUANTIZED_CONTRIB_RULES, QUANTIZED_RULES, STRAIGHT_THROUGH_OPS } from './quantized.js';
import { REDUCE_RULES } from './reduce.js';
import { RESIZE_RULES } from './resize.js';
import { SAMPLING_RULES } from './sampling.js';
import { SHAPE_RULES } from './shape.js';
import { SPECTRAL_RULES } from './spectral.js';

/** Operators whose outputs carry no gradient (shapes, indices, comparisons, constants, rounding). */
export const NON_DIFFERENTIABLE = new Set([
  'Shape', 'Size', 'Constant', 'ConstantOfShape', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual',
  'Not', 'And', 'Or', 'Xor', 'ArgMax', 'ArgMin', 'NonZero', 'IsNaN', 'IsInf', 'Floor', 'Ceil', 'Round', 'Sign', 'OneHot',
  'EyeLike', 'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Bernoulli', 'Multinomial',
  'Hardmax', 'BitShift', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'BitwiseNot', 'NonMaxSuppression',
  'BlackmanWindow', 'HammingWindow', 'HannWindow', 'StringNormalizer', 'StringConcat', 'StringSplit', 'RegexFullMatch',
  'TfIdfVectorizer', 'MelWeightMatrix', 'ImageDecoder', 'OptionalHasElement', 'SequenceLength',
]);

/** onnxruntime's contrib domain. */
const MS = 'com.microsoft';

/** The registry key of an operator: the bare type in the default domain (`''` or `ai.onnx`), else `domain:opType`. */
function key(opType: string, domain: string): string {
  return domain === '' || domain === 'ai.onnx' ? opType : `${domain}:${opType}`;
}

const STRAIGHT_THROUGH = new Set([...STRAIGHT_THROUGH_OPS.default, ...STRAIGHT_THROUGH_OPS.contrib.map((op) => key(op, MS))]);

const rules = new Map<string, GradRule>([
  ...Object.entries({ ...ELEMENTWISE_RULES, ...LINALG_RULES, ...SHAPE_RULES, ...REDUCE_RULES, ...CONV_RULES,
    ...ACTIVATION_RULES, ...NORMALIZATION_RULES, ...INDEXING_RULES, ...EINSUM_RULES, ...ATTENTION_RULES, ...POOLING_RULES, ...LOSS_RULES, ...SPECTRAL_RULES, ...SAMPLING_RULES,
    ...HARD_ACTIVATION_RULES, ...RESIZE_RULES, ...QUANTIZED_RULES }),
  ...Object.entries({ ...CONTRIB_RULES, ...QUANTIZED_CONTRIB_RULES }).map(([op, rule]) => [key(op, MS), rule] as const),
]);

/**
 * Registers (or replaces) the backward rule of an operator for every later `gradients` call;
 * for one call only, pass `overrides` instead. `domain` defaults to the default ONNX domain.
 *
 * @example
 * ```ts
 * import { registerGradRule } from '@mechint/core';
 * registerGradRule('Identity', (ctx) => [ctx.grad(0)]);
 * registerGradRule('MyOp', (ctx) => [ctx.grad(0)], 'com.example');
 * ```
 */
export function registerGradRule(opType: string, rule: GradRule, domain = ''): void {
  rules.set(key(opType, domain), rule);
}

/**
 * The registered rule of `opType` in `domain` (default domain when omitted), if any. In the
 * default domain, operators that only onnxruntime registers there (its transformer optimizer
 * writes `SimplifiedLayerNormalization` without a domain) come after the standard ones.
 */
export function gradRule(opType: string, domain = ''): GradRule | undefined {
  const k = key(opType, domain);
  return rules.get(k) ?? (k === opType ? ORT_DEFAULT_DOMAIN_RULES[opType] : undefined);
}

/**
 * Operators of `domain` (default: the standard ONNX domain) that have a registered rule, sorted.
 *
 * @example
 * ```ts
 * import { differentiableOps } from '@mechint/core';
 * console.log(differentiableOps().includes('MatMul')); // true
 * console.log(differentiableOps('com.microsoft').includes('FastGelu')); // true
 * ```
 */
export function differentiableOps(domain = ''): string[] {
  const prefix = key('', domain);
  const quantized = new Set(quantizedOps().map((op) => key(op.opType, op.domain)));
  return [...rules.keys()].filter((k) => !quantized.has(k) && (prefix === '' ? !k.includes(':') : k.startsWith(prefix))).map((k) => k.slice(prefix.length)).sort();
}

/**
 * The operators of quantized graphs that have a rule (listed apart from {@link differentiableOps}),
 * with `straightThrough: true` where the rule treats a rounding step as the identity (these are
 * refused under `quantized: 'refuse'`).
 *
 * @example
 * ```ts
 * import { quantizedOps } from '@mechint/core';
 * console.log(quantizedOps().find((op) => op.opType === 'QuantizeLinear')?.straightThrough); // true
 * ```
 */
export function quantizedOps(): { opType: string; domain: string; straightThrough: boolean }[] {
  const list = (table: Readonly<Record<string, GradRule>>, domain: string) => Object.keys(table).map((opType) => ({ opType, domain, straightThrough: STRAIGHT_THROUGH.has(key(opType, domain)) }));
  return [...list(QUANTIZED_RULES, ''), ...list(QUANTIZED_CONTRIB_RULES, MS)].sort((a, b) => key(a.opType, a.domain).localeCompare(key(b.opType, b.domain)));
}

/** Whether the rule of `opType` in `domain` treats a rounding step as the identity. */
export function isStraightThrough(opType: string, domain = ''): boolean {
  return STRAIGHT_THROUGH.has(key(opType, domain));
}
