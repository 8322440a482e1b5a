/**
 * The sums linear CKA needs, computed in feature space on column-centred activations
 * (Kornblith et al. 2019's `feature_space_linear_cka`): `‖X̄ᵀȲ‖²_F`, `‖X̄ᵀX̄‖²_F`, `‖ȲᵀȲ‖²_F`, and
 * for the debiased estimator the row sums of squares and their inner products.
 */
import { GraphBuilder, Tensor, type Value } from '@mechint/core';
import { kernelSession, type BackendOption } from '../backend.js';
import type { Samples } from '../input.js';
import { centredFeatureRows, overSamples } from './feature-layout.js';
import { scalar } from './host.js';

/** Column blocks the self products are split into. */
const BLOCKS = 4;

/** Feature-space terms of linear CKA. @internal */
export interface LinearCkaTerms {
  readonly n: number;
  readonly xy: number;
  readonly xx: number;
  readonly yy: number;
  /** The extra sums of the debiased estimator; only computed when asked for. */
  readonly debiasing?: DebiasingTerms;
}

/** Sums only the debiased estimator needs. @internal */
export interface DebiasingTerms {
  /** `Σᵢ ‖x̄ᵢ‖² ‖ȳᵢ‖²` and friends. */
  readonly rowsXY: number;
  readonly rowsXX: number;
  readonly rowsYY: number;
  /** `‖X̄‖²_F`, `‖Ȳ‖²_F`. */
  readonly normX: number;
  readonly normY: number;
}

/** Runs the linear-CKA kernel; the row sums of {@link DebiasingTerms} only when `debiased`. @internal */
export async function linearCkaTerms(x: Samples, y: Samples, debiased: boolean, options: BackendOption): Promise<LinearCkaTerms> {
  const dtype = x.tensor.dtype;
  const session = await kernelSession(options, `linear-cka-terms/${dtype}/${debiased ? 'unbiased' : 'biased'}`, () => {
    const g = new GraphBuilder({ name: 'linear_cka_terms' });
    const a = g.input('x', dtype, ['n', 'p']);
    const b = g.input('y', dtype, ['n', 'q']);
    const at = centredFeatureRows(g, a);
    const bt = centredFeatureRows(g, b);
    const product = (u: typeof a, v: typeof a) => overSamples(g, u, v);
    const sumSquares = (v: typeof a) => g.reduceSum(g.mul(v, v), { keepdims: false });
    // ‖VᵀV‖²_F from feature blocks: Σᵢ ‖VᵢVᵢᵀ‖² + 2 Σᵢ<ⱼ ‖VᵢVⱼᵀ‖², 10/16 of the full product's work.
    const selfTerm = (v: typeof a, bounds: Value<'int64'>) => {
      const bound = (i: number) => g.slice(bounds, { starts: [i], ends: [i + 1] });
      const blocks = Array.from({ length: BLOCKS }, (_, i) => g.slice(v, { starts: bound(i), ends: bound(i + 1), axes: [0] }));
      const terms = blocks.flatMap((bi, i) => blocks.slice(i).map((bj, j) => (j === 0 ? sumSquares(product(bi, bj)) : g.mul(sumSquares(product(bi, bj)), 2))));
      return terms.reduce((sum, t) => g.add(sum, t));
    };
    g.output(sumSquares(product(at, bt)), 'xy');
    g.output(selfTerm(at, g.input('bounds_x', 'int64', [BLOCKS + 1])), 'xx');
    g.output(selfTerm(bt, g.input('bounds_y', 'int64', [BLOCKS + 1])), 'yy');
    if (!debiased) return g.build();
    const ra = g.reduceSum(g.mul(at, at), { axes: [0], keepdims: false });
    const rb = g.reduceSum(g.mul(bt, bt), { axes: [0], keepdims: false });
    const dot = (u: typeof ra, v: typeof ra) => g.reduceSum(g.mul(u, v), { keepdims: false });
    g.output(dot(ra, rb), 'rows_xy');
    g.output(dot(ra, ra), 'rows_xx');
    g.output(dot(rb, rb), 'rows_yy');
    g.output(g.reduceSum(ra, { keepdims: false }), 'norm_x');
    g.output(g.reduceSum(rb, { keepdims: false }), 'norm_y');
    return g.build();
  });
  const out = await session.run({ x: x.tensor, y: y.tensor, bounds_x: blockBounds(x.p), bounds_y: blockBounds(y.p) });
  const terms = { n: x.n, xy: scalar(out['xy']), xx: scalar(out['xx']), yy: scalar(out['yy']) };
  if (!debiased) return terms;
  return {
    ...terms,
    debiasing: {
      rowsXY: scalar(out['rows_xy']),
      rowsXX: scalar(out['rows_xx']),
      rowsYY: scalar(out['rows_yy']),
      normX: scalar(out['norm_x']),
      normY: scalar(out['norm_y']),
    },
  };
}

/** Column boundaries of {@link BLOCKS} near-equal blocks of `p` columns. */
function blockBounds(p: number): Tensor<'int64'> {
  return new Tensor('int64', BigInt64Array.from({ length: BLOCKS + 1 }, (_, i) => BigInt(Math.round((i * p) / BLOCKS))), [BLOCKS + 1]);
}
