/**
 * `GraphBuilder`: a typed DSL that writes ONNX graphs from TypeScript.
 */
import { SpectralOps } from './spectral.js';

/**
 * Builds an ONNX graph operator by operator and returns it as a {@link ModelIR} ready for
 * `Backend.session`. Domain code writes its heavy kernels (Gram matrices, pairwise distances,
 * training steps) with it instead of looping over numbers in JavaScript.
 *
 * - Every method returns a {@link Value}: a handle with the value's name, its dtype (always known,
 *   by each operator's type rule) and its shape where cheaply known.
 * - Where a tensor is expected, a plain number becomes a scalar constant of the other operand's
 *   dtype (`g.mul(x, 2)`), and a host {@link Tensor} becomes a constant.
 * - ONNX does not promote types: mixing dtypes throws `DTYPE_MISMATCH` (cast with `g.cast`).
 *   Axes outside a known rank, shapes that cannot broadcast or multiply, values from another
 *   builder, reused names and use after `build()` throw before anything runs.
 * - Ops whose form changed across opsets are emitted in the form of the builder's `opset`
 *   (13–23, default 17).
 *
 * Operators: `add sub mul div pow neg abs exp log sqrt reciprocal sin cos tanh sigmoid relu erf
 * floor ceil sign min max clip`; `matmul gemm einsum`; `reduceSum reduceMean reduceMax reduceMin
 * reduceProd reduceL2 reduceLogSumExp argMax argMin softmax logSoftmax topK cumSum`; `gather
 * gatherElements scatterElements scatterND slice`; `reshape transpose concat squeeze unsqueeze
 * expand tile flatten shape size identity range`; `equal less greater lessOrEqual greaterOrEqual
 * not and or xor where cast`; `dft`; and `op` for anything else.
 *
 * @example
 * ```ts
 * import { Backend, GraphBuilder, Tensor } from '@mechint/core';
 * // Pairwise squared Euclidean distances between the rows of x: |a|² + |b|² − 2 a·b.
 * const g = new GraphBuilder({ name: 'sqdist' });
 * const x = g.input('x', 'float32', ['n', 'd']);
 * const norms = g.reduceSum(g.mul(x, x), { axes: [1] });               // [n, 1]
 * const gram = g.matmul(x, g.transpose(x));                            // [n, n]
 * const d2 = g.sub(g.add(norms, g.transpose(norms)), g.mul(gram, 2));
 * g.output(g.max(d2, 0), 'd2');
 * const session = await (await Backend.create({ ep: 'cpu' })).session(g.build());
 * const { d2: out } = await session.run({ x: Tensor.from([[0, 0], [3, 4]]) });
 * out!.toArray(); // [[0, 25], [25, 0]]
 * ```
 */
export class GraphBuilder extends SpectralOps {}
