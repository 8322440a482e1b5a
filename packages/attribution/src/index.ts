/**
 * @mechint/attribution — Captum's attribution methods, with Captum's definitions and defaults, for
 * any exported ONNX model loaded as a `HookedModel`.
 */
export type { Target, Baseline, AttributionOptions, BatchingOptions, Inputs } from './internal.js';
export { saliency, inputXGradient, type Attributions, type SaliencyOptions } from './gradient.js';
export { integratedGradients, approximation, type IntegratedGradientsOptions, type IntegrationMethod, type AttributionsWithDelta } from './integrated-gradients.js';
export { deepLift, deepLiftShap, deepLiftRules, type DeepLiftOptions, type DeepLiftShapOptions } from './deeplift.js';
export { featureAblation, occlusion, kernelShap, type FeatureAblationOptions, type OcclusionOptions, type KernelShapOptions } from './perturbation.js';
export { smoothGrad, gradientShap, type SmoothGradOptions, type GradientShapOptions, type NoiseTunnelType } from './sampling.js';
export { layerActivation, layerIntegratedGradients, layerConductance, type LayerActivationOptions, type LayerIntegratedGradientsOptions, type LayerConductanceOptions } from './layer.js';
