/**
 * Curvature of a sampled manifold: the second fundamental form fitted by local quadratic
 * regression in each neighbourhood, computed from the neighbourhood's Gram matrix alone.
 */
import { MechintError } from '@mechint/core';
import { readPoints, type PointCloud } from './inputs.js';
import { centreGram, offsetGram, solve, symmetricEigen } from './linalg.js';
import { neighboursOf, type NeighbourOptions } from './neighbours.js';

/** Options of {@link curvature}. @example `await curvature(points, { dim: 2, k: 20 })` */
export interface CurvatureOptions extends NeighbourOptions {
  /** The manifold's intrinsic dimension m (estimate it with {@link twoNN} or {@link localPCADimension}). */
  dim: number;
  /** Neighbours per point; needs more than 1 + m + m(m+1)/2. Defaults to 20. */
  k?: number;
}

/** What {@link curvature} returns. @example `const { mean } = await curvature(points, { dim: 2 }); mean.scalarCurvature` */
export interface CurvatureResult {
  /** |H| at each point: the length of the mean curvature vector (1/R on a sphere or circle of radius R). */
  meanCurvature: Float64Array;
  /** The scalar curvature at each point, by the Gauss equation (2/R² on a 2-sphere; 0 on a curve or a flat piece). */
  scalarCurvature: Float64Array;
  /** Means over the points. */
  mean: { meanCurvature: number; scalarCurvature: number };
}

/**
 * Estimates curvature at every point of a sample of an m-dimensional manifold: local PCA gives
 * the tangent space, the offsets of the k nearest neighbours are regressed on 1, the tangent
 * coordinates u and their products uₐu_b, and the quadratic coefficients give the second
 * fundamental form II(eₐ, e_b) = H_ab (vectors normal to the manifold). Reported: the mean
 * curvature |Σₐ H_aa| / m and the scalar curvature Σ_{a≠b} (⟨H_aa, H_bb⟩ − |H_ab|²). Every
 * inner product is taken through the k × k Gram matrix of the offsets, so the cost does not grow
 * with the ambient dimension.
 *
 * @see E. Aamari, C. Levrard, "Nonasymptotic rates for manifold, tangent space and curvature estimation", Ann. Statist. 47 (2019).
 * @example
 * ```ts
 * import { curvature } from '@mechint/topology';
 * const circle = Array.from({ length: 100 }, (_, i) => [2 * Math.cos((2 * Math.PI * i) / 100), 2 * Math.sin((2 * Math.PI * i) / 100)]);
 * const { mean } = await curvature(circle, { dim: 1, k: 8 });
 * mean.meanCurvature; // ≈ 0.5 = 1 / radius
 * ```
 */
export async function curvature(points: PointCloud, options: CurvatureOptions): Promise<CurvatureResult> {
  const m = options.dim;
  const k = options.k ?? 20;
  if (!Number.isInteger(m) || m < 1) throw new MechintError('INVALID_ARGUMENT', `dim must be the manifold's intrinsic dimension, a positive integer; got ${m}.`);
  const q = 1 + m + (m * (m + 1)) / 2;
  if (!Number.isInteger(k) || k <= q) throw new MechintError('INVALID_ARGUMENT', `k = ${k} neighbours cannot fit a quadratic in ${m} dimensions; pass k > ${q}.`);
  const checked = readPoints(points, k + 1);
  if (m >= checked.dim) throw new MechintError('INVALID_ARGUMENT', `dim = ${m} leaves no normal direction in R^${checked.dim}; a manifold of dimension m needs points in more than m dimensions.`);
  const { indices } = await neighboursOf(checked, k, options);
  const meanCurvature = new Float64Array(checked.n);
  const scalarCurvature = new Float64Array(checked.n);
  for (let i = 0; i < checked.n; i++) {
    const form = secondFundamentalForm(checked.data, checked.dim, i, indices.data, k, m, q);
    meanCurvature[i] = form.mean;
    scalarCurvature[i] = form.scalar;
  }
  const average = (x: Float64Array) => x.reduce((s, v) => s + v, 0) / x.length;
  return { meanCurvature, scalarCurvature, mean: { meanCurvature: average(meanCurvature), scalarCurvature: average(scalarCurvature) } };
}

function secondFundamentalForm(data: Float64Array, dim: number, base: number, neighbours: Int32Array, k: number, m: number, q: number): { mean: number; scalar: number } {
  const gram = offsetGram(data, dim, base, neighbours, base * k, k);
  const { values, vectors } = symmetricEigen(centreGram(gram, k), k);
  // Tangent coordinates of the offsets: u_ja = (G v_a)_j / √λ_a (v_a ⟂ 1 for a centred Gram).
  const u = new Float64Array(k * m);
  for (let a = 0; a < m; a++) {
    const scale = 1 / Math.sqrt(Math.max(values[a]!, 1e-300));
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let l = 0; l < k; l++) s += gram[j * k + l]! * vectors[l * k + a]!;
      u[j * m + a] = s * scale;
    }
  }
  // Design matrix [1, u_a, u_a u_b (a ≤ b)] and its normal equations.
  const design = new Float64Array(k * q);
  const quadratic: [number, number][] = [];
  for (let a = 0; a < m; a++) for (let b = a; b < m; b++) quadratic.push([a, b]);
  for (let j = 0; j < k; j++) {
    design[j * q] = 1;
    for (let a = 0; a < m; a++) design[j * q + 1 + a] = u[j * m + a]!;
    quadratic.forEach(([a, b], c) => (design[j * q + 1 + m + c] = u[j * m + a]! * u[j * m + b]!));
  }
  const normal = new Float64Array(q * q);
  for (let r = 0; r < q; r++) for (let c = 0; c < q; c++) for (let j = 0; j < k; j++) normal[r * q + c]! += design[j * q + r]! * design[j * q + c]!;
  const transposed = new Float64Array(q * k);
  for (let j = 0; j < k; j++) for (let r = 0; r < q; r++) transposed[r * k + j] = design[j * q + r]!;
  const projector = solve(normal, transposed, q, k);
  if (projector === undefined) return { mean: NaN, scalar: NaN };
  // Residual Gram R Rᵀ = G − U Uᵀ (the offsets minus their tangent parts), then the Gram of the fitted coefficient vectors.
  const residual = gram.slice();
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let a = 0; a < m; a++) residual[i * k + j]! -= u[i * m + a]! * u[j * m + a]!;
  const coefficientGram = (r: number, s: number): number => {
    let total = 0;
    for (let i = 0; i < k; i++) {
      let inner = 0;
      for (let j = 0; j < k; j++) inner += residual[i * k + j]! * projector[s * k + j]!;
      total += projector[r * k + i]! * inner;
    }
    return total;
  };
  const slot = (a: number, b: number) => 1 + m + quadratic.findIndex(([x, y]) => x === Math.min(a, b) && y === Math.max(a, b));
  // H_aa = 2 c_aa, H_ab = c_ab (a ≠ b).
  let meanSquared = 0;
  let scalar = 0;
  for (let a = 0; a < m; a++) {
    for (let b = 0; b < m; b++) {
      const haHb = 4 * coefficientGram(slot(a, a), slot(b, b));
      meanSquared += haHb;
      if (a !== b) scalar += haHb - coefficientGram(slot(a, b), slot(a, b));
    }
  }
  return { mean: Math.sqrt(Math.max(0, meanSquared)) / m, scalar };
}
