/**
 * Eigendecomposition of a symmetric tridiagonal matrix by divide and conquer (Cuppen 1981; Gu &
 * Eisenstat 1995; LAPACK's `dstedc`): split by a rank-one tear, solve both halves, merge through
 * the rank-one eigenproblem with deflation. Each merge's O(n³) step, the product of the halves'
 * eigenvectors with the rank-one eigenvectors, runs on onnxruntime for large blocks.
 */
import type { BackendOption } from '../backend.js';
import { matmul } from '../kernels/matmul.js';
import { implicitQl } from './ql.js';
import { rankOneEigen } from './secular.js';

/** Eigenvalues (ascending) and row-major eigenvectors (column `k` for `values[k]`). @internal */
export interface TridiagonalEigen {
  readonly values: Float64Array;
  readonly vectors: Float64Array;
}

/** Block sizes of {@link tridiagonalEigen}. @internal */
export interface DivideConquerBlocking {
  /** Blocks of this order or less run implicit QL. */
  readonly leaf: number;
  /** Merges of this order or more multiply on the backend, smaller ones on the host. */
  readonly backendFrom: number;
}

/**
 * All eigenpairs of the `n × n` symmetric tridiagonal matrix with diagonal `d` and subdiagonal `e`
 * (`e[i]` couples rows `i − 1` and `i`; `e[0]` is ignored). Inputs are not modified.
 *
 * @example
 * ```ts
 * const { values } = await tridiagonalEigen(new Float64Array([2, 2]), new Float64Array([0, 1]), 2, {}); // [1, 3]
 * ```
 * @internal
 */
export async function tridiagonalEigen(d: Float64Array, e: Float64Array, n: number, options: BackendOption, blocking: DivideConquerBlocking = { leaf: 32, backendFrom: 128 }): Promise<TridiagonalEigen> {
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(d[i]!), i > 0 ? Math.abs(e[i]!) : 0);
  if (scale === 0) {
    const vectors = new Float64Array(n * n);
    for (let i = 0; i < n; i++) vectors[i * n + i] = 1;
    return { values: new Float64Array(n), vectors };
  }
  const ds = d.map((x) => x / scale);
  const es = e.map((x) => x / scale);
  es[0] = 0;
  const result = await solve(ds, es, options, blocking);
  for (let i = 0; i < n; i++) result.values[i] = result.values[i]! * scale;
  return result;
}

async function solve(d: Float64Array, e: Float64Array, options: BackendOption, blocking: DivideConquerBlocking): Promise<TridiagonalEigen> {
  const n = d.length;
  if (n <= blocking.leaf) return leaf(d, e);
  const k1 = n >> 1;
  const beta = e[k1]!;
  const rho = Math.abs(beta);
  const sign = beta >= 0 ? 1 : -1;
  // T = diag(T₁ − ρ e_last e_lastᵀ, T₂ − ρ e₁ e₁ᵀ) + ρ v vᵀ with v = [e_last; sign · e₁].
  const d1 = d.slice(0, k1);
  const d2 = d.slice(k1);
  d1[k1 - 1] = d1[k1 - 1]! - rho;
  d2[0] = d2[0]! - rho;
  const e2 = e.slice(k1);
  e2[0] = 0;
  // Concurrent, so that one half's host work overlaps the other's products on the backend.
  const [first, second] = await Promise.all([solve(d1, e.slice(0, k1), options, blocking), solve(d2, e2, options, blocking)]);
  const k2 = n - k1;
  const q = new Float64Array(n * n);
  for (let r = 0; r < k1; r++) q.set(first.vectors.subarray(r * k1, (r + 1) * k1), r * n);
  for (let r = 0; r < k2; r++) q.set(second.vectors.subarray(r * k2, (r + 1) * k2), (k1 + r) * n + k1);
  const poles = new Float64Array(n);
  poles.set(first.values);
  poles.set(second.values, k1);
  const z = new Float64Array(n);
  z.set(first.vectors.subarray((k1 - 1) * k1, k1 * k1));
  for (let j = 0; j < k2; j++) z[k1 + j] = sign * second.vectors[j]!;
  return merge(q, poles, z, rho, n, options, blocking);
}

/** Eigenpairs of a small tridiagonal by implicit QL. */
function leaf(d: Float64Array, e: Float64Array): TridiagonalEigen {
  const n = d.length;
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const values = d.slice();
  implicitQl(v, values, e.slice(), n);
  return sorted(values, v, n);
}

/**
 * Eigenpairs of `Q (D + ρ z zᵀ) Qᵀ` (`Q` row-major `n × n`, orthogonal): deflates weights that
 * are negligible and rotates away one of each pair of nearly equal poles (LAPACK's `dlaed2`),
 * solves the rest with {@link rankOneEigen}, and multiplies their eigenvectors into `Q`.
 */
async function merge(q: Float64Array, poles: Float64Array, z: Float64Array, rho: number, n: number, options: BackendOption, blocking: DivideConquerBlocking): Promise<TridiagonalEigen> {
  let norm = 0;
  for (let j = 0; j < n; j++) norm += z[j]! * z[j]!;
  norm = Math.sqrt(norm);
  if (rho === 0 || norm === 0) return sorted(poles, q, n);
  for (let j = 0; j < n; j++) z[j] = z[j]! / norm;
  rho *= norm * norm;
  const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => poles[a]! - poles[b]! || a - b);
  let largestPole = 0;
  let largestWeight = 0;
  for (let j = 0; j < n; j++) {
    largestPole = Math.max(largestPole, Math.abs(poles[j]!));
    largestWeight = Math.max(largestWeight, Math.abs(z[j]!));
  }
  const tol = 8 * 2 ** -52 * Math.max(largestPole, largestWeight);
  const kept: number[] = [];
  const deflated: number[] = [];
  let previous = -1;
  for (const j of order) {
    if (rho * Math.abs(z[j]!) <= tol) {
      deflated.push(j);
      continue;
    }
    if (previous < 0) {
      previous = j;
      continue;
    }
    const s0 = z[previous]!;
    const c0 = z[j]!;
    const tau = Math.hypot(c0, s0);
    const c = c0 / tau;
    const s = -s0 / tau;
    const gap = poles[j]! - poles[previous]!;
    if (Math.abs(gap * c * s) <= tol) {
      // Rotate z[previous] into z[j]; the pole `previous` leaves with its (rotated) column of Q.
      z[j] = tau;
      z[previous] = 0;
      for (let r = 0; r < n; r++) {
        const x = q[r * n + previous]!;
        const y = q[r * n + j]!;
        q[r * n + previous] = c * x + s * y;
        q[r * n + j] = c * y - s * x;
      }
      const p = poles[previous]!;
      const t = p * c * c + poles[j]! * s * s;
      poles[j] = p * s * s + poles[j]! * c * c;
      poles[previous] = t;
      deflated.push(previous);
    } else {
      kept.push(previous);
    }
    previous = j;
  }
  if (previous >= 0) kept.push(previous);
  const k = kept.length;
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  if (k > 0) {
    const rankOne = rankOneEigen(Float64Array.from(kept, (j) => poles[j]!), Float64Array.from(kept, (j) => z[j]!), rho);
    const qk = new Float64Array(n * k);
    for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) qk[r * k + c] = q[r * n + kept[c]!]!;
    const product = await multiply(qk, rankOne.vectors, n, k, options, blocking);
    for (let c = 0; c < k; c++) values[c] = rankOne.values[c]!;
    for (let r = 0; r < n; r++) vectors.set(product.subarray(r * k, (r + 1) * k), r * n);
  }
  deflated.forEach((j, c) => {
    values[k + c] = poles[j]!;
    for (let r = 0; r < n; r++) vectors[r * n + k + c] = q[r * n + j]!;
  });
  return sorted(values, vectors, n);
}

/** `a · b` for row-major `a` (`n × k`) and `b` (`k × k`): on the backend when large. */
async function multiply(a: Float64Array, b: Float64Array, n: number, k: number, options: BackendOption, blocking: DivideConquerBlocking): Promise<Float64Array> {
  if (k >= blocking.backendFrom) return (await matmul({ data: a, rows: n, cols: k }, { data: b, rows: k, cols: k }, options)).data;
  const c = new Float64Array(n * k);
  for (let r = 0; r < n; r++) {
    const row = r * k;
    for (let t = 0; t < k; t++) {
      const f = a[row + t]!;
      if (f === 0) continue;
      const bt = t * k;
      for (let j = 0; j < k; j++) c[row + j] = c[row + j]! + f * b[bt + j]!;
    }
  }
  return c;
}

/** Eigenpairs ordered by ascending eigenvalue (columns of the row-major `vectors` moved with them). */
function sorted(values: Float64Array, vectors: Float64Array, n: number): TridiagonalEigen {
  const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => values[a]! - values[b]! || a - b);
  const v = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    const row = r * n;
    for (let c = 0; c < n; c++) v[row + c] = vectors[row + order[c]!]!;
  }
  return { values: Float64Array.from(order, (j) => values[j]!), vectors: v };
}
