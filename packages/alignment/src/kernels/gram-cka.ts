/**
 * HSIC terms from sample-by-sample Gram matrices (Kornblith et al. 2019's `gram_linear` /
 * `gram_rbf`, `center_gram` and `cka`): one graph builds both Gram matrices, centres them (biased
 * `HKH` or the unbiased U-centring) and returns `⟨K̃, L̃⟩`, `⟨K̃, K̃⟩`, `⟨L̃, L̃⟩`.
 */
import { GraphBuilder, Tensor, type Value } from '@mechint/core';
import { kernelSession, type BackendOption } from '../backend.js';
import type { Samples } from '../input.js';
import { scalar } from './host.js';

/** Gram-matrix kernels. @internal */
export type GramKernel = 'linear' | 'rbf';

/** `⟨K̃, L̃⟩_F` and the two self terms. @internal */
export interface HsicTerms {
  readonly xy: number;
  readonly xx: number;
  readonly yy: number;
}

/** Runs the Gram-form CKA kernel; `sigma` is the RBF bandwidth as a fraction of the median distance. @internal */
export async function gramHsic(x: Samples, y: Samples, kernel: GramKernel, sigma: number, debiased: boolean, options: BackendOption): Promise<HsicTerms> {
  const dtype = x.tensor.dtype;
  const session = await kernelSession(options, `gram-hsic/${dtype}/${kernel}/${debiased ? 'unbiased' : 'biased'}`, () => {
    const g = new GraphBuilder({ name: 'gram_hsic' });
    const a = g.input('x', dtype, ['n', 'p']);
    const b = g.input('y', dtype, ['n', 'q']);
    const count = g.input('count', dtype, []);
    const bandwidth = g.input('sigma', dtype, []);
    const half = g.input('half', 'int64', [1]);
    const gram = (v: Value<typeof dtype>): Value<typeof dtype> => {
      const dots = g.matmul(v, g.transpose(v));
      if (kernel === 'linear') return dots;
      const sq = g.reduceSum(g.mul(v, v), { axes: [1] });
      const d2 = g.max(g.sub(g.add(sq, g.transpose(sq)), g.mul(dots, 2)), 0);
      const flat = g.reshape(d2, [-1]);
      const [low] = g.topK(flat, half, { largest: false, sorted: false });
      const [high] = g.topK(flat, half, { largest: true, sorted: false });
      const median = g.div(g.add(g.reduceMax(low, { keepdims: false }), g.reduceMin(high, { keepdims: false })), 2);
      return g.exp(g.div(g.neg(d2), g.mul(g.mul(g.mul(bandwidth, bandwidth), 2), median)));
    };
    const centre = (k: Value<typeof dtype>): Value<typeof dtype> => {
      if (!debiased) {
        const means = g.reduceMean(k, { axes: [0] });
        const shifted = g.sub(means, g.div(g.reduceMean(means, { keepdims: false }), 2));
        return g.sub(g.sub(k, shifted), g.transpose(shifted));
      }
      const offDiagonal = g.sub(g.scalar(1, dtype), g.op('EyeLike', [k]) as Value<typeof dtype>);
      const k0 = g.mul(k, offDiagonal);
      const means = g.div(g.reduceSum(k0, { axes: [0] }), g.sub(count, 2));
      const shifted = g.sub(means, g.div(g.reduceSum(means, { keepdims: false }), g.mul(g.sub(count, 1), 2)));
      return g.mul(g.sub(g.sub(k0, shifted), g.transpose(shifted)), offDiagonal);
    };
    const kc = centre(gram(a));
    const lc = centre(gram(b));
    const inner = (u: Value<typeof dtype>, v: Value<typeof dtype>) => g.reduceSum(g.mul(u, v), { keepdims: false });
    g.output(inner(kc, lc), 'xy');
    g.output(inner(kc, kc), 'xx');
    g.output(inner(lc, lc), 'yy');
    return g.build();
  });
  const n = x.n;
  const make = (v: number) => (dtype === 'float32' ? new Tensor('float32', new Float32Array([v]), []) : new Tensor('float64', new Float64Array([v]), []));
  const out = await session.run({
    x: x.tensor,
    y: y.tensor,
    count: make(n),
    sigma: make(sigma),
    half: new Tensor('int64', new BigInt64Array([BigInt(Math.ceil((n * n) / 2))]), [1]),
  });
  return { xy: scalar(out['xy']), xx: scalar(out['xx']), yy: scalar(out['yy']) };
}
