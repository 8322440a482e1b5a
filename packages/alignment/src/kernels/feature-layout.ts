/**
 * Graph pieces for products over samples in the features × samples layout: onnxruntime's MLAS
 * multiplies contiguous rows (`Gemm` with `transB`) about a quarter faster than a product through
 * a `Transpose` of the samples × features input.
 */
import type { DType, GraphBuilder, Value } from '@mechint/core';

/** `[features, samples]` with every feature's mean over the samples removed. @internal */
export function centredFeatureRows<D extends DType>(g: GraphBuilder, samples: Value<D>): Value<D> {
  const rows = g.transpose(samples);
  return g.sub(rows, g.reduceMean(rows, { axes: [1] }));
}

/** `U Vᵀ` of two features × samples matrices: the sum over samples of their products. @internal */
export function overSamples<D extends DType>(g: GraphBuilder, u: Value<D>, v: Value<D>): Value<D> {
  return g.gemm(u, v, undefined, { transB: true });
}
