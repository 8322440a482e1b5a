/**
 * `@mechint/spiking`: spiking neurons (LIF, Izhikevich, Hodgkin–Huxley, AdEx, QIF), synapses and
 * recurrent populations, Dale's law, STDP and short-term plasticity, surrogate gradients,
 * spiking layers as ONNX graphs, and spike-train analysis.
 *
 * @packageDocumentation
 */
export { LeakyIntegrateFireNeuron, type LifConvention, type LifOptions, type LifScheme, type NeuronRun, type ResetMode, type RunOptions } from './lif.js';
export { IZHIKEVICH_PRESETS, IzhikevichNeuron, type IzhikevichOptions, type IzhikevichParameters, type IzhikevichPreset, type IzhikevichRun } from './izhikevich.js';
export { HodgkinHuxleyNeuron, type HodgkinHuxleyOptions, type HodgkinHuxleyRun, type HodgkinHuxleyScheme } from './hodgkin-huxley.js';
export { AdExNeuron, type AdExOptions, type AdExRun } from './adex.js';
export { QuadraticIFNeuron, type QuadraticIFOptions } from './qif.js';
export { ExponentialSynapse, type ExponentialSynapseOptions, type SynapseKind, type SynapseRun, type SynapseRunOptions } from './synapse.js';
export { randomConnectivity, sparseFromDense, type RandomConnectivityOptions, type SparseConnectivity } from './sparse.js';
export { RecurrentLIFNetwork, type RecurrentLIFNetworkOptions, type RecurrentRun } from './network.js';
export { DalesLinear, applyDalesLaw, dalesSigns, type DalesLinearOptions, type DalesRectifier, type DalesSignsOptions } from './dales.js';
export { PairSTDP, TripletSTDP, type PairSTDPOptions, type PlasticityRun, type PlasticityRunOptions, type TripletSTDPOptions } from './stdp.js';
export { TsodyksMarkram, type TsodyksMarkramOptions, type TsodyksMarkramRun } from './short-term.js';
export {
  arctan,
  fastSigmoid,
  sigmoid,
  straightThrough,
  surrogateOverrides,
  triangular,
  type ArctanOptions,
  type FastSigmoidOptions,
  type SigmoidOptions,
  type SurrogateGradient,
  type TriangularOptions,
} from './surrogate.js';
export { buildSpikingLayer, emitLeaky, type EmitLeakyOptions, type LeakyGraph, type SpikingLayerOptions } from './graph-layer.js';
export {
  fanoFactor,
  firingRates,
  interSpikeIntervals,
  isiCV,
  isiHistogram,
  raster,
  spikeTimes,
  synchrony,
  type FanoFactorOptions,
  type IsiHistogram,
  type IsiHistogramOptions,
  type Raster,
  type SpikeTrainOptions,
} from './analysis.js';
export { seededNormal, seededRandom } from '@mechint/core';
