/**
 * @mechint/fractals: temporal, multifractal and graph fractal analysis, fractal stimuli,
 * differentiable fractal priors and streaming probes.
 */
export type { Signal } from './math/signal.js';
export { Rng } from './math/random.js';
export type { FitMethod } from './math/regression.js';
export { higuchiFD, type HiguchiOptions } from './temporal/higuchi.js';
export { katzFD } from './temporal/katz.js';
export { petrosianFD } from './temporal/petrosian.js';
export { dfa, type DfaOptions, type DfaResult } from './temporal/dfa.js';
export { hurstRS, expectedRS, type HurstOptions, type HurstResult } from './temporal/hurst.js';
export { spectralSlope, type SpectralSlopeOptions, type SpectralSlopeResult } from './temporal/spectral-slope.js';
export { logarithmicScales, logmidScales } from './temporal/scales.js';
export { mfdfa, singularitySpectrum, type MfdfaOptions, type MfdfaResult } from './multifractal/mfdfa.js';
export { boxCoveringDimension, type BoxCoveringOptions, type BoxCoveringResult } from './graph/box-covering.js';
export { toAdjacency, type EdgeListGraph, type GraphInput, type WeightGraph } from './graph/graph-input.js';
export { largestComponent, MAX_BOX_COVERING_NODES } from './graph/distances.js';
export { uvFlower } from './graph/flower.js';
export { fgn, fbm, type StimulusOptions } from './stimuli/fgn.js';
export { coloredNoise } from './stimuli/colored-noise.js';
export { binomialCascade, randomCascade, type RandomCascadeOptions } from './stimuli/cascade.js';
export type { BatchEngine } from './batch/rows.js';
export { HiguchiFractalDimension, type HiguchiBatchOptions } from './batch/higuchi-batch.js';
export { DFA, type DfaBatchOptions, type DfaBatchResult } from './batch/dfa-batch.js';
export { SpectralPrior, type SpectralPriorOptions } from './priors/spectral-prior.js';
export { HiguchiPrior, type HiguchiPriorOptions } from './priors/higuchi-prior.js';
export { FractalProbe, type FractalMetric, type FractalObservation, type FractalProbeOptions } from './probe/fractal-probe.js';
export type { RunningSummary } from './probe/running-stats.js';
