import { Tensor } from '@mechint/core';
import { accuracy, crossEntropy, klDivergence, logitDiff, logitOf, probOf, type Metric } from '../src/index.js';

// two items, two positions, vocab 3
const logits = Tensor.from([
  [[1, 2, 3], [0, 0, Math.log(2)]],
  [[2, 0, 0], [1, 1, 1]],
]);
const outputs = { logits };
const tokens = Tensor.from([[0n, 2n], [0n, 1n]]);
const ln = Math.log;
const softmax = (row: number[]) => row.map((x) => Math.exp(x) / row.reduce((s, y) => s + Math.exp(y), 0));

/** Central finite difference of `metric` w.r.t. every logit, to check `gradient`. */
function numericGradient(metric: Metric): number[] {
  const base = Float64Array.from(logits.data as Float32Array);
  return Array.from(base, (_, i) => {
    const at = (d: number) => {
      const x = Float32Array.from(base);
      x[i] = base[i]! + d;
      return metric({ logits: new Tensor('float32', x, logits.shape) });
    };
    return (at(1e-2) - at(-1e-2)) / 2e-2;
  });
}

describe('metrics (closed forms)', () => {
  it('logitOf and logitDiff average over items', () => {
    expect(logitOf({ position: 0, token: [2, 0] })(outputs)).toBeCloseTo((3 + 2) / 2, 6);
    expect(logitOf({ token: 2 })(outputs)).toBeCloseTo((ln(2) + 1) / 2, 6);
    expect(logitDiff({ position: 0, correct: 2, incorrect: [0, 1] })(outputs)).toBeCloseTo((2 + 0) / 2, 6);
  });

  it('probOf is the softmax probability', () => {
    expect(probOf({ position: 1, token: 2 })(outputs)).toBeCloseTo((0.5 + 1 / 3) / 2, 6);
  });

  it('crossEntropy and accuracy score next tokens', () => {
    const ce = -(ln(softmax([1, 2, 3])[2]!) + ln(softmax([2, 0, 0])[1]!)) / 2;
    expect(crossEntropy({ tokens })(outputs)).toBeCloseTo(ce, 6);
    expect(accuracy({ tokens })(outputs)).toBe(0.5);
  });

  it('klDivergence is KL(reference ‖ run)', () => {
    expect(klDivergence({ reference: logits })(outputs)).toBeCloseTo(0, 12);
    const other = Tensor.from([[[0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0]]]);
    const p = softmax([1, 2, 3]);
    const kl = p.reduce((s, pi) => s + pi * (ln(pi) - ln(1 / 3)), 0);
    expect(klDivergence({ reference: logits, positions: [0] })({ logits: other }) * 2 - kl).toBeCloseTo(softmax([2, 0, 0]).reduce((s, pi) => s + pi * (ln(pi) - ln(1 / 3)), 0), 5);
  });

  it.each([
    ['logitOf', logitOf({ position: 0, token: [2, 1] })],
    ['logitDiff', logitDiff({ correct: 2, incorrect: 0 })],
    ['probOf', probOf({ position: 0, token: [1, 0] })],
    ['crossEntropy', crossEntropy({ tokens })],
    ['klDivergence', klDivergence({ reference: Tensor.from([[[0, 1, 0], [2, 0, 0]], [[0, 0, 1], [0, 3, 0]]]) })],
  ])('%s carries its gradient (checked by finite differences)', (_, metric) => {
    const { output, seed } = metric.gradient!(outputs);
    expect(output).toBe('logits');
    const want = numericGradient(metric);
    Array.from(seed.data as Float32Array).forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThan(2e-3));
  });

  it('accuracy has no gradient', () => {
    expect(accuracy({ tokens }).gradient).toBeUndefined();
  });

  it('bad arguments throw coded errors', () => {
    expect(() => logitOf({ token: 7 })(outputs)).toThrow(/token 7 is out of range/);
    expect(() => logitOf({ token: [1, 2, 0] })(outputs)).toThrow(/one token per batch item/);
    expect(() => crossEntropy({ tokens: Tensor.from([[0n, 1n, 2n]]) })(outputs)).toThrow(/tokens must be \[batch, pos\]/);
    expect(() => logitOf({ token: 1, output: 'missing' })(outputs)).toThrow(/no output 'missing'/);
  });
});
