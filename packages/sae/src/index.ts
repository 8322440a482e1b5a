/**
 * @mechint/sae — sparse autoencoders trained on onnxruntime (standard, TopK, BatchTopK, JumpReLU,
 * Matryoshka), SAELens-compatible files, metrics, and feature tools spliced into a HookedModel.
 *
 * @packageDocumentation
 */
export {
  ARCHITECTURES,
  NORMALIZE_ACTIVATIONS,
  checkNormalizeActivations,
  resolveConfig,
  runTimeNormalization,
  type Architecture,
  type NormalizeActivations,
  type SaeConfig,
  type SparseAutoencoderOptions,
} from './config.js';
export { SparseAutoencoder, checkParameters, type SaeDecodeOptions, type SaeParameters, type SaeRunOptions } from './sparse-autoencoder.js';
export { LAYER_NORM_EPS, meanRowNorm, normScalingFactor, runTimeNormalizationOps, type RunTimeNormalization } from './normalization.js';
export { buildTrainingGraph, paramNames, paramShape, type ParamName, type TrainingGraph, type TrainingGraphOptions } from './training-graph.js';
export { buildInferenceGraph, inferenceKey, type InferenceKind } from './inference-graph.js';
export { SAETrainer, type SAETrainerOptions, type TrainOptions, type TrainProgress, type TrainResult } from './trainer.js';
export { checkActivations, type ActivationSource } from './batches.js';
export { latestCheckpoint, readCheckpoint, type TrainerState } from './checkpoint.js';
export { saeToFiles, saeFromFiles, saveSae, loadSae, SAE_CFG_FILENAME, SAE_WEIGHTS_FILENAME, SPARSITY_FILENAME, type SaeFiles } from './files.js';
export { geometricMedian, columnMean } from './init.js';
export { ActivationStore, readShards, type ActivationStoreOptions, type Feeds } from './activation-store.js';
export { MultiLayerSAETrainer, type MultiLayerSAETrainerOptions } from './multi-layer.js';
export { evaluateSae, type EvaluateOptions, type SaeMetrics } from './metrics.js';
export {
  ceLossRecovered,
  clampFeatureHook,
  featureActivations,
  saeHook,
  spliceHook,
  steeringIntervention,
  topActivatingExamples,
  type CeLossOptions,
  type CeLossRecovered,
  type FeatureExample,
} from './splice.js';
export { resampleDead, type ResampleTarget } from './resample.js';
