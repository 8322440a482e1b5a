/**
 * Dense float64 products `op(A) · op(B)` for the host decompositions' O(n³) steps.
 */
import { GraphBuilder } from '@mechint/core';
import { kernelSession, type BackendOption } from '../backend.js';
import { float64, matrix } from './host.js';

/** A row-major float64 matrix. @internal */
export interface Dense {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/** `op(a) · op(b)`, where `op` transposes when asked; computed by an onnxruntime kernel. @internal */
export async function matmul(a: Dense, b: Dense, options: BackendOption, transA = false, transB = false): Promise<Dense> {
  const session = await kernelSession(options, `matmul/${transA ? 't' : 'n'}${transB ? 't' : 'n'}`, () => {
    const g = new GraphBuilder({ name: 'matmul' });
    const x = g.input('a', 'float64', ['m', 'k']);
    const y = g.input('b', 'float64', ['k2', 'n']);
    g.output(g.matmul(transA ? g.transpose(x) : x, transB ? g.transpose(y) : y), 'c');
    return g.build();
  });
  const { c } = await session.run({ a: matrix(a.data, a.rows, a.cols), b: matrix(b.data, b.rows, b.cols) });
  return { data: float64(c!), rows: c!.shape[0]!, cols: c!.shape[1]! };
}
