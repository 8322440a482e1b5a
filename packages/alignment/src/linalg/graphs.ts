/**
 * The float64 onnxruntime kernels behind the blocked host decompositions: each runs one
 * level-3 step (a few matrix products) of a factorisation whose level-2 part runs on the host.
 */
import { GraphBuilder } from '@mechint/core';
import { kernelSession, type BackendOption } from '../backend.js';
import { float64, matrix } from '../kernels/host.js';

/**
 * `a − x · yᵀ` for row-major `a` (`[m, m']`), `x` (`[m, k]`), `y` (`[m', k]`).
 *
 * @example
 * ```ts
 * await subtractProduct(new Float64Array([5]), new Float64Array([1, 2]), new Float64Array([3, 1]), 1, 1, 2, {}); // [0]
 * ```
 * @internal
 */
export async function subtractProduct(a: Float64Array, x: Float64Array, y: Float64Array, m: number, mm: number, k: number, options: BackendOption): Promise<Float64Array> {
  const session = await kernelSession(options, 'linalg/subtract-product', () => {
    const g = new GraphBuilder({ name: 'subtract_product' });
    const ga = g.input('a', 'float64', ['m', 'm2']);
    const gx = g.input('x', 'float64', ['m', 'k']);
    const gy = g.input('y', 'float64', ['m2', 'k']);
    g.output(g.sub(ga, g.matmul(gx, g.transpose(gy))), 'c');
    return g.build();
  });
  const { c } = await session.run({ a: matrix(a, m, mm), x: matrix(x, m, k), y: matrix(y, mm, k) });
  return float64(c!);
}

/**
 * `(I − Vᵀᵗ T V) · z` for the row-major block reflector rows `v` (`[k, m]`, one Householder vector
 * per row), its upper-triangular `t` (`[k, k]`) and `z` (`[m, c]`).
 *
 * @example
 * ```ts
 * // One reflector I − 2e₁e₁ᵀ flips the first row: [[1, 2], [3, 4]] → [[−1, −2], [3, 4]].
 * await applyBlockReflector(new Float64Array([1, 2, 3, 4]), new Float64Array([1, 0]), new Float64Array([2]), 2, 2, 1, {});
 * ```
 * @internal
 */
export async function applyBlockReflector(z: Float64Array, v: Float64Array, t: Float64Array, m: number, c: number, k: number, options: BackendOption): Promise<Float64Array> {
  const session = await kernelSession(options, 'linalg/block-reflector', () => {
    const g = new GraphBuilder({ name: 'block_reflector' });
    const gz = g.input('z', 'float64', ['m', 'c']);
    const gv = g.input('v', 'float64', ['k', 'm']);
    const gt = g.input('t', 'float64', ['k', 'k']);
    g.output(g.sub(gz, g.matmul(g.transpose(gv), g.matmul(gt, g.matmul(gv, gz)))), 'out');
    return g.build();
  });
  const { out } = await session.run({ z: matrix(z, m, c), v: matrix(v, k, m), t: matrix(t, k, k) });
  return float64(out!);
}

/**
 * One level of the recursive Cholesky inverse: `l21 = a21 · li11ᵀ` and the Schur complement
 * `s = a22 − l21 · l21ᵀ`, for `a21` (`[m, k]`), `li11` (`[k, k]`) and `a22` (`[m, m]`).
 *
 * @example
 * ```ts
 * await choleskySchur(new Float64Array([2]), new Float64Array([0.5]), new Float64Array([3]), 1, 1, {}); // { l21: [1], s: [2] }
 * ```
 * @internal
 */
export async function choleskySchur(a21: Float64Array, li11: Float64Array, a22: Float64Array, m: number, k: number, options: BackendOption): Promise<{ l21: Float64Array; s: Float64Array }> {
  const session = await kernelSession(options, 'linalg/cholesky-schur', () => {
    const g = new GraphBuilder({ name: 'cholesky_schur' });
    const ga21 = g.input('a21', 'float64', ['m', 'k']);
    const gli = g.input('li11', 'float64', ['k', 'k']);
    const ga22 = g.input('a22', 'float64', ['m', 'm']);
    const l21 = g.matmul(ga21, g.transpose(gli));
    g.output(l21, 'l21');
    g.output(g.sub(ga22, g.matmul(l21, g.transpose(l21))), 's');
    return g.build();
  });
  const out = await session.run({ a21: matrix(a21, m, k), li11: matrix(li11, k, k), a22: matrix(a22, m, m) });
  return { l21: float64(out['l21']!), s: float64(out['s']!) };
}

/**
 * `−li22 · l21 · li11`, the off-diagonal block of a lower-triangular inverse (`[m, k]`).
 *
 * @example
 * ```ts
 * await inverseOffDiagonal(new Float64Array([1]), new Float64Array([1]), new Float64Array([0.5]), 1, 1, {}); // [−0.5]
 * ```
 * @internal
 */
export async function inverseOffDiagonal(li22: Float64Array, l21: Float64Array, li11: Float64Array, m: number, k: number, options: BackendOption): Promise<Float64Array> {
  const session = await kernelSession(options, 'linalg/inverse-off-diagonal', () => {
    const g = new GraphBuilder({ name: 'inverse_off_diagonal' });
    const gli22 = g.input('li22', 'float64', ['m', 'm']);
    const gl21 = g.input('l21', 'float64', ['m', 'k']);
    const gli11 = g.input('li11', 'float64', ['k', 'k']);
    g.output(g.neg(g.matmul(gli22, g.matmul(gl21, gli11))), 'c');
    return g.build();
  });
  const { c } = await session.run({ li22: matrix(li22, m, m), l21: matrix(l21, m, k), li11: matrix(li11, k, k) });
  return float64(c!);
}
