/**
 * @mechint/topology: persistent homology and manifold geometry of representations.
 */
export { bettiCurve, type Curve } from './betti.js';
export { bottleneckDistance } from './bottleneck.js';
export { curvature, type CurvatureOptions, type CurvatureResult } from './curvature.js';
export type { Diagram, PersistencePair } from './diagram.js';
export type { GridOptions } from './grid.js';
export { persistenceImage, type ImageOptions, type PersistenceImage } from './image.js';
export type { DistanceMatrix, PointCloud } from './inputs.js';
export type { Metric, OnBackend } from './kernels.js';
export { persistenceLandscape, type Landscape, type LandscapeOptions } from './landscape.js';
export { localPCADimension, type LocalPCAOptions, type LocalPCAResult } from './local-pca.js';
export { mleDimension, type MLEOptions, type MLEResult } from './mle.js';
export { nearestNeighbours, type NeighbourOptions, type Neighbours } from './neighbours.js';
export { participationRatio } from './participation.js';
export type { LongRunning, Progress } from './progress.js';
export { ripsPersistence, type Cocycle, type Cycle, type RipsOptions, type RipsResult } from './rips.js';
export { twoNN, type TwoNNOptions, type TwoNNResult } from './twonn.js';
export { wassersteinDistance, type WassersteinOptions } from './wasserstein.js';
