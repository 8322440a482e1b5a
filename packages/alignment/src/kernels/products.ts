/**
 * Cross-products of column-centred activations, `X̄ᵀX̄`, `ȲᵀȲ` and `X̄ᵀȲ`: the one pass over the
 * samples that CCA, SVCCA, PWCCA and Procrustes need.
 */
import { GraphBuilder } from '@mechint/core';
import { kernelSession, type BackendOption } from '../backend.js';
import type { Samples } from '../input.js';
import { centredFeatureRows, overSamples } from './feature-layout.js';
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
    const at = centredFeatureRows(g, a);
    const bt = centredFeatureRows(g, b);
    g.output(overSamples(g, at, at), 'sxx');
    g.output(overSamples(g, bt, bt), 'syy');
    g.output(overSamples(g, at, bt), 'sxy');
    return g.build();
  });
  const out = await session.run({ x: x.tensor, y: y.tensor });
  return { sxx: float64(out['sxx']!), syy: float64(out['syy']!), sxy: float64(out['sxy']!) };
}
