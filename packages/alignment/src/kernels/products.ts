/**
 * Cross-products of column-centred activations, `X̄ᵀX̄`, `ȲᵀȲ` and `X̄ᵀȲ`: the one pass over the
 * samples that CCA, SVCCA, PWCCA and Procrustes need.
 */
import { GraphBuilder } from '@mechint/core';
import { kernelSession, type BackendOption } from '../backend.js';
import type { Samples } from '../input.js';
import { float64 } from './host.js';

/** Centred cross-products, row-major float64. @internal */
export interface CentredProducts {
  /** `X̄ᵀX̄`, `[p, p]`. */
  readonly sxx: Float64Array;
  /** `ȲᵀȲ`, `[q, q]`. */
  readonly syy: Float64Array;
  /** `X̄ᵀȲ`, `[p, q]`. */
  readonly sxy: Float64Array;
}

/** Runs the centred cross-product kernel in the inputs' dtype. @internal */
export async function centredProducts(x: Samples, y: Samples, options: BackendOption): Promise<CentredProducts> {
  const dtype = x.tensor.dtype;
  const session = await kernelSession(options, `centred-products/${dtype}`, () => {
    const g = new GraphBuilder({ name: 'centred_products' });
    const a = g.input('x', dtype, ['n', 'p']);
    const b = g.input('y', dtype, ['n', 'q']);
    // Features × samples, centred, multiplied by Gemm(·, ·, transB): contiguous rows, which
    // onnxruntime's MLAS multiplies about a quarter faster than a product through a Transpose.
    const centredT = (v: typeof a) => {
      const t = g.transpose(v);
      return g.sub(t, g.reduceMean(t, { axes: [1] }));
    };
    const at = centredT(a);
    const bt = centredT(b);
    const product = (u: typeof a, v: typeof a) => g.gemm(u, v, undefined, { transB: true });
    g.output(product(at, at), 'sxx');
    g.output(product(bt, bt), 'syy');
    g.output(product(at, bt), 'sxy');
    return g.build();
  });
  const out = await session.run({ x: x.tensor, y: y.tensor });
  return { sxx: float64(out['sxx']!), syy: float64(out['syy']!), sxy: float64(out['sxy']!) };
}
