/**
 * Gradient rules of the loss operators NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss
 * (with respect to the scores; class weights are taken as constants).
 */
import type { GradContext, GradRule } from '../context.js';

/**
 * ∂L/∂(log-probabilities) `[N, C, ...]` of the negative log-likelihood of `target` `[N, ...]`:
 * at each target class `−w[t]·ĝ`, where ĝ is the loss gradient (`reduction` 'none': per element;
 * 'sum': the scalar; 'mean': the scalar over the summed weights of the counted targets), zero
 * elsewhere and at `ignore_index`.
 */
function nllBack(ctx: GradContext, logProb: string, g: string): string {
  if (ctx.needs(2)) ctx.unsupported('gradients with respect to the class weights');
  const [target, weight] = [ctx.input(1), ctx.input(2)];
  const ignore = ctx.attrInt('ignore_index', Number.NaN);
  const counted = Number.isNaN(ignore) ? undefined : ctx.op('Not', [ctx.op('Equal', [target, ctx.castLike(ctx.int(ignore), target)])]);
  const safe = counted === undefined ? target : ctx.op('Where', [counted, target, ctx.castLike(ctx.int(0), target)]);
  const scores = ctx.input(0);
  const ones = () => ctx.op('Add', [ctx.zerosLike(ctx.castLike(safe, scores)), ctx.scalar(1, scores)]);
  const picked = weight === '' ? ones() : ctx.op('Gather', [weight, safe]);
  const w = counted === undefined ? picked : ctx.op('Mul', [picked, ctx.castLike(counted, scores)]);
  const reduction = ctx.attrString('reduction', 'mean');
  const perElement = reduction === 'mean' ? ctx.op('Div', [g, ctx.reduceSum(w, undefined, false)]) : g;
  const coef = ctx.op('Neg', [ctx.op('Mul', [w, perElement])]);
  return ctx.op('ScatterElements', [ctx.zerosLike(logProb), ctx.unsqueeze(safe, [1]), ctx.unsqueeze(coef, [1])], { axis: 1n });
}

/** Rules by operator type. */
export const LOSS_RULES: Readonly<Record<string, GradRule>> = {
  NegativeLogLikelihoodLoss: (ctx) => [ctx.needs(0) ? nllBack(ctx, ctx.input(0), ctx.grad(0)!) : undefined, undefined, undefined],
  /** The loss is the NLL of LogSoftmax(scores) along the classes (axis 1); the log_prob output's gradient joins in. */
  SoftmaxCrossEntropyLoss: (ctx) => {
    const scores = ctx.input(0);
    const logProb = ctx.op('LogSoftmax', [scores], { axis: 1n });
    const fromLoss = ctx.grad(0) === undefined ? undefined : nllBack(ctx, logProb, ctx.grad(0)!);
    const parts = [fromLoss, ctx.grad(1)].filter((p): p is string => p !== undefined);
    const gl = parts.length === 1 ? parts[0]! : ctx.op('Add', parts);
    const gScores = ctx.op('Sub', [gl, ctx.op('Mul', [ctx.op('Exp', [logProb]), ctx.reduceSum(gl, [1], true)])]);
    return [gScores, undefined, undefined];
  },
};
