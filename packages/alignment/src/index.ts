/**
 * @mechint/alignment — representational similarity between models and brains: CCA, SVCCA, PWCCA,
 * CKA (linear, RBF, debiased, minibatch), RDMs and RSA, Procrustes and shape metrics, with
 * permutation tests and bootstrap confidence intervals.
 *
 * @packageDocumentation
 */
export type { Activations } from './input.js';
export type { BackendOption } from './backend.js';
export { cca, type CcaOptions, type CcaResult } from './cca.js';
export { svcca, svccaDetails, type SvccaOptions, type SvccaResult } from './svcca.js';
export { pwcca, type PwccaOptions } from './pwcca.js';
export { cka, ckaDistance, type CkaOptions } from './cka.js';
export { MinibatchCka } from './minibatch-cka.js';
export { rdm, squareform, type Rdm, type RdmMetric, type RdmOptions } from './rdm.js';
export { rsa, type RdmComparison, type RdmLike, type RsaOptions } from './rsa.js';
export { procrustes, type ProcrustesOptions, type ProcrustesResult } from './procrustes.js';
export { shapeDistance, type ShapeDistanceOptions } from './shape-metric.js';
export {
  bootstrap,
  permutationTest,
  rsaPermutationTest,
  type BootstrapOptions,
  type BootstrapResult,
  type PermutationOptions,
  type PermutationResult,
  type Similarity,
} from './stats.js';
export { layerSimilarityMatrix, type LayerCache, type LayerMethod, type LayerSimilarity, type LayerSimilarityOptions } from './layers.js';
