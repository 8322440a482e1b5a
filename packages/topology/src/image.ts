/**
 * Persistence images: the diagram in (birth, persistence) coordinates, each point a weighted
 * Gaussian, integrated over a grid of pixels.
 */
import { MechintError, Tensor } from '@mechint/core';
import { checkDiagram, splitDiagram, type Diagram } from './diagram.js';

/** Options of {@link persistenceImage}; defaults are persim's `PersistenceImager`. @example `persistenceImage(diagram, { pixelSize: 0.05, sigma: 0.02, n: 1 })` */
export interface ImageOptions {
  /** `[from, to]` of the birth axis. Defaults to [0, 1], as persim. */
  birthRange?: readonly [number, number];
  /** `[from, to]` of the persistence (death − birth) axis. Defaults to [0, 1], as persim. */
  persistenceRange?: readonly [number, number];
  /** Side of a square pixel. Defaults to 0.2, as persim. */
  pixelSize?: number;
  /** Standard deviation of the isotropic Gaussian around each point. Defaults to 1, persim's identity covariance. */
  sigma?: number;
  /** Each point weighs persistence^n (persim's `persistence` weight). Defaults to 1, as persim; 0 weighs all points alike. */
  n?: number;
}

/** A persistence image and its pixel edges. @example `const { image, birthEdges } = persistenceImage(diagram)` */
export interface PersistenceImage {
  /** float64 `[persistence pixels, birth pixels]`: row r covers persistence edges r … r+1. */
  image: Tensor<'float64'>;
  /** Pixel edges along birth, one more than the image's columns. */
  birthEdges: Float64Array;
  /** Pixel edges along persistence, one more than the image's rows. */
  persistenceEdges: Float64Array;
}

/** Φ, the standard normal CDF. */
function normalCdf(x: number): number {
  return x < 0 ? 0.5 * erfc(-x / Math.SQRT2) : 1 - 0.5 * erfc(x / Math.SQRT2);
}

/** erfc(z) for z ≥ 0 to about 1e-13: the Maclaurin series of erf below 2.5, Laplace's continued fraction above. */
function erfc(z: number): number {
  if (z < 2.5) {
    let term = z;
    let sum = z;
    for (let k = 1; k < 80; k++) {
      term *= (-z * z) / k;
      sum += term / (2 * k + 1);
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  let fraction = 0;
  for (let k = 60; k >= 1; k--) fraction = k / 2 / (z + fraction);
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / (z + fraction);
}

function edges(range: readonly [number, number], size: number, what: string): Float64Array {
  const [from, to] = range;
  if (!Number.isFinite(from) || !Number.isFinite(to) || !(to > from)) throw new MechintError('INVALID_ARGUMENT', `persistenceImage: ${what} must be [from, to] with from < to; got [${from}, ${to}].`);
  const count = Math.max(1, Math.ceil((to - from) / size - 1e-9));
  return Float64Array.from({ length: count + 1 }, (_, i) => from + i * size);
}

/**
 * The persistence image of a diagram: each finite pair becomes the point (birth, death − birth)
 * with weight persistence^n, spread as an isotropic Gaussian of standard deviation `sigma`, and
 * the image is the Gaussian mass over each pixel (exact pixel integrals, as persim). Pairs with an
 * infinite death are left out; replace Infinity by a cutoff first to include them.
 *
 * @see H. Adams et al., "Persistence images: a stable vector representation of persistent homology", JMLR 18 (2017).
 * @example
 * ```ts
 * import { persistenceImage } from '@mechint/topology';
 * const { image } = persistenceImage([[0.2, 0.7], [0.4, 0.5]], { sigma: 0.1 });
 * image.shape; // [5, 5]
 * ```
 */
export function persistenceImage(diagram: Diagram, options: ImageOptions = {}): PersistenceImage {
  checkDiagram(diagram, 'persistenceImage');
  const pixelSize = options.pixelSize ?? 0.2;
  const sigma = options.sigma ?? 1;
  const n = options.n ?? 1;
  if (!(pixelSize > 0) || !Number.isFinite(pixelSize)) throw new MechintError('INVALID_ARGUMENT', `persistenceImage: pixelSize must be a positive number; got ${pixelSize}.`);
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new MechintError('INVALID_ARGUMENT', `persistenceImage: sigma must be a positive number; got ${sigma}.`);
  if (!(n >= 0) || !Number.isFinite(n)) throw new MechintError('INVALID_ARGUMENT', `persistenceImage: n must be a number ≥ 0; got ${n}.`);
  const birthEdges = edges(options.birthRange ?? [0, 1], pixelSize, 'birthRange');
  const persistenceEdges = edges(options.persistenceRange ?? [0, 1], pixelSize, 'persistenceRange');
  const columns = birthEdges.length - 1;
  const rows = persistenceEdges.length - 1;
  const data = new Float64Array(rows * columns);
  const cx = new Float64Array(birthEdges.length);
  const cy = new Float64Array(persistenceEdges.length);
  for (const [birth, death] of splitDiagram(diagram).finite) {
    const persistence = death - birth;
    const weight = persistence ** n;
    birthEdges.forEach((e, i) => (cx[i] = normalCdf((e - birth) / sigma)));
    persistenceEdges.forEach((e, i) => (cy[i] = normalCdf((e - persistence) / sigma)));
    for (let r = 0; r < rows; r++) {
      const massY = weight * (cy[r + 1]! - cy[r]!);
      for (let c = 0; c < columns; c++) data[r * columns + c]! += massY * (cx[c + 1]! - cx[c]!);
    }
  }
  return { image: new Tensor('float64', data, [rows, columns]), birthEdges, persistenceEdges };
}
