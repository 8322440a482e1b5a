/**
 * Pairwise dissimilarities between the rows (conditions) of a pattern matrix, and the
 * cross-validated Mahalanobis kernel of crossnobis RDMs.
 */
import { GraphBuilder, type Tensor, type Value } from '@mechint/core';
import { kernelSession, type BackendOption } from '../backend.js';
import { float64 } from './host.js';

/** Dissimilarities a graph computes directly. @internal */
export type GraphDistance = 'correlation' | 'cosine' | 'euclidean' | 'sqeuclidean';

/** The full `[c, c]` dissimilarity matrix between the rows of `patterns`. @internal */
export async function pairwiseDistances(patterns: Tensor<'float32' | 'float64'>, metric: GraphDistance, options: BackendOption): Promise<Float64Array> {
  const dtype = patterns.dtype;
  const session = await kernelSession(options, `pairwise/${dtype}/${metric}`, () => {
    const g = new GraphBuilder({ name: `pairwise_${metric}` });
    const x = g.input('x', dtype, ['c', 'p']);
    const unit = (v: Value<typeof dtype>) => g.div(v, g.sqrt(g.reduceSum(g.mul(v, v), { axes: [1] })));
    if (metric === 'correlation' || metric === 'cosine') {
      const rows = unit(metric === 'correlation' ? g.sub(x, g.reduceMean(x, { axes: [1] })) : x);
      g.output(g.sub(g.scalar(1, dtype), g.matmul(rows, g.transpose(rows))), 'd');
    } else {
      const sq = g.reduceSum(g.mul(x, x), { axes: [1] });
      const d2 = g.max(g.sub(g.add(sq, g.transpose(sq)), g.mul(g.matmul(x, g.transpose(x)), 2)), 0);
      g.output(metric === 'euclidean' ? g.sqrt(d2) : d2, 'd');
    }
    return g.build();
  });
  return float64((await session.run({ x: patterns }))['d']!);
}

/**
 * `D[a, b] = (a₁ − b₁) P (a₂ − b₂)ᵀ` for condition means `a₁, b₁` from one partition and `a₂, b₂`
 * from another, with precision matrix `P`. @internal
 */
export async function crossnobisPair(first: Tensor<'float64'>, second: Tensor<'float64'>, precision: Tensor<'float64'>, options: BackendOption): Promise<Float64Array> {
  const session = await kernelSession(options, 'crossnobis-pair', () => {
    const g = new GraphBuilder({ name: 'crossnobis_pair' });
    const a = g.input('a', 'float64', ['c', 'p']);
    const b = g.input('b', 'float64', ['c', 'p']);
    const prec = g.input('precision', 'float64', ['p', 'p']);
    const k = g.matmul(g.matmul(a, prec), g.transpose(b));
    const diagonal = g.reduceSum(g.mul(k, g.op('EyeLike', [k]) as Value<'float64'>), { axes: [1] });
    g.output(g.sub(g.sub(g.add(diagonal, g.transpose(diagonal)), k), g.transpose(k)), 'd');
    return g.build();
  });
  return float64((await session.run({ a: first, b: second, precision }))['d']!);
}
