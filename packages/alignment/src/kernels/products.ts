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
    const ac = g.sub(a, g.reduceMean(a, { axes: [0] }));
    const bc = g.sub(b, g.reduceMean(b, { axes: [0] }));
    const at = g.transpose(ac);
    g.output(g.matmul(at, ac), 'sxx');
    g.output(g.matmul(g.transpose(bc), bc), 'syy');
    g.output(g.matmul(at, bc), 'sxy');
    return g.build();
  });
  const out = await session.run({ x: x.tensor, y: y.tensor });
  return { sxx: float64(out['sxx']!), syy: float64(out['syy']!), sxy: float64(out['sxy']!) };
}
