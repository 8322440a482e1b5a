/**
 * Reverse-mode automatic differentiation of ONNX graphs.
 */
export { GRAD_SEED_INPUT, gradients, type GradientGraph, type GradientsOptions, type RowGradient } from './gradients.js';
export { denseFromRows } from './dense-rows.js';
export { GradContext, type GradRule } from './context.js';
export { NON_DIFFERENTIABLE, differentiableOps, quantizedOps, registerGradRule } from './rules/index.js';
export { NEWEST_GRAD_OPSET, gradRuleOpsets } from './rules/opsets.js';
export { unrollRecurrent } from './unroll.js';
export { modelParameters, torchParameterAlias, type Parameter, type TorchParameterAlias } from './parameters.js';
