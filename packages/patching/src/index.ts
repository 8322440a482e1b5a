/**
 * @mechint/patching — causal interventions on ONNX models, as TransformerLens users run them:
 * activation patching, path patching, attribution patching, ablation studies and causal graphs,
 * with every sweep batched into few onnxruntime session calls.
 */
export type { Feeds, ProgressOptions, ElementSelection } from './internal.js';
export { logitOf, logitDiff, probOf, crossEntropy, accuracy, klDivergence, type Metric, type Outputs, type PerItem, type LogitMetricOptions, type TokenMetricOptions, type KlDivergenceOptions } from './metrics.js';
export type { PatchingResult, ResultAxis } from './result.js';
export { activationPatching, type ActivationPatchingOptions, type Granularity, type Direction } from './activation-patching.js';
export { attributionPatching, comparePatching, type AttributionPatchingOptions, type PatchingComparison } from './attribution-patching.js';
export { componentName, type Component } from './components.js';
export { pathPatching, type PathPatchingOptions } from './path-patching.js';
export { ablate, type AblateOptions, type AblationOptions, type AblationMethod, type AblationTarget, type AblationResult } from './ablation.js';
export { hierarchicalAblation, summarize, type HierarchicalAblationOptions, type AblationStudy, type AblationEntry, type LayerHooks } from './hierarchical-ablation.js';
export { CausalGraph, type CausalNode, type CausalEdge, type CausalNodeKind, type CausalGraphJSON } from './causal-graph.js';
export { causalGraph, transformerNodes, type CausalGraphOptions, type CircuitNode } from './circuit.js';
export { acdc, type AcdcOptions, type AcdcResult, type AcdcDecision } from './acdc.js';
