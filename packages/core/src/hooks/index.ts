/**
 * Hooks: named activations of exported models, cached, edited in the graph or by JavaScript.
 */
export { HookedModel, type HookedModelOptions, type RunHooksOptions, type RunWithCacheOptions, type RunWithGradOptions } from './hooked-model.js';
export { ActivationCache } from './activation-cache.js';
export type { DimSource, HookAxes, HookKind, HookPoint, ValueMeta } from './hook-points.js';
export type { AttentionReport, AttentionSite, ResidualSite } from './attention.js';
export type { ResidualLayout } from './residual.js';
export type { HookFunction } from './execute.js';
export type { HookSelector } from './selectors.js';
export type { IndexSelection, Intervention, InterventionOp } from './interventions.js';
export { moduleOf, nodeScopes, type ScopeMap } from './scopes.js';
export { unfuse } from './unfuse.js';
export { splitSkipNorms } from './skip-norm.js';
export { splitHeads } from './split-heads.js';
export { fusedAttentionKind, type FusedAttentionKind } from './fused-attention.js';
export { registerModelPathReader } from './model-source.js';
export { plumbSubgraphValue, subgraphValues, type SubgraphLocation, type SubgraphStep, type SubgraphValue } from './subgraphs.js';
export { inlineBranches, type InlineBranchesOptions, type InlinedBranches } from './branch-inlining.js';
