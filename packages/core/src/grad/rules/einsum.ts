/**
 * Gradient rule of Einsum with one or two operands: the gradient of an operand is itself an
 * Einsum, of the output gradient (and the other operand), back to the operand's subscripts.
 */
import type { GradContext, GradRule } from '../context.js';

const ELLIPSIS = '...';

/** The subscripts of one term, `...` as one token. */
function tokens(term: string): string[] {
  const parts = term.split(ELLIPSIS);
  return parts.flatMap((part, i) => [...(i > 0 ? [ELLIPSIS] : []), ...part.split('')]);
}

/** The operand terms and the output term of `equation` (the implicit output: `...`, then the letters used once, sorted). */
function parseEinsum(equation: string): { inputs: string[][]; output: string[] } {
  const compact = equation.replace(/\s+/g, '');
  const [lhs, rhs] = compact.split('->') as [string, string | undefined];
  const inputs = lhs.split(',').map(tokens);
  if (rhs !== undefined) return { inputs, output: tokens(rhs) };
  const letters = inputs.flat().filter((t) => t !== ELLIPSIS);
  const once = [...new Set(letters)].filter((l) => letters.indexOf(l) === letters.lastIndexOf(l)).sort();
  return { inputs, output: [...(inputs.some((t) => t.includes(ELLIPSIS)) ? [ELLIPSIS] : []), ...once] };
}

/** Rules by operator type. */
export const EINSUM_RULES: Readonly<Record<string, GradRule>> = {
  Einsum: (ctx) => {
    const equation = ctx.attrString('equation', '');
    const { inputs, output } = parseEinsum(equation);
    if (inputs.length > 2) ctx.unsupported(`equation '${equation}' has ${inputs.length} operands (one or two are differentiated)`);
    return inputs.map((term, i) => (ctx.needs(i) ? operandGrad(ctx, equation, inputs, output, i) : undefined));
  },
};

/**
 * ∂L/∂operand i: `Einsum(out, other → kept)` over the operand's subscripts that occur elsewhere,
 * then broadcast along the ones that occur only in this operand (they were summed away), and
 * summed over the ellipsis dims the operand was broadcast along.
 */
function operandGrad(ctx: GradContext, equation: string, inputs: readonly string[][], output: readonly string[], i: number): string {
  const term = inputs[i]!;
  if (new Set(term).size !== term.length) ctx.unsupported(`equation '${equation}' repeats a subscript in operand ${i} (a diagonal)`);
  const others = inputs.filter((_, j) => j !== i);
  const elsewhere = new Set([...output, ...others.flat()]);
  const kept = term.filter((t) => elsewhere.has(t));
  const sources = [ctx.grad(0)!, ...others.map((_, k) => ctx.input(k >= i ? k + 1 : k))];
  const lhs = [output, ...others].map((t) => t.join('')).join(',');
  // Einsum keeps ellipsis dims in its output: when only the other terms have them, they are summed here.
  const summedEllipsis = !term.includes(ELLIPSIS) && lhs.includes(ELLIPSIS);
  const raw = ctx.op('Einsum', sources, { equation: `${lhs}->${summedEllipsis ? ELLIPSIS : ''}${kept.join('')}` });
  const keptSizes = () => ctx.op('Gather', [ctx.shape(ctx.input(i)), ctx.ints(kept.map((t) => term.indexOf(t)))]);
  const back = summedEllipsis ? ctx.reduceSum(ctx.op('Reshape', [raw, ctx.op('Concat', [ctx.ints([-1]), keptSizes()], { axis: 0n })]), [0], false) : raw;
  const ellipsisAt = term.indexOf(ELLIPSIS);
  const dropped = term.flatMap((t, k) => (elsewhere.has(t) ? [] : [ellipsisAt < 0 || k < ellipsisAt ? k : k - term.length]));
  const restored = dropped.length === 0 ? back : ctx.op('Expand', [ctx.unsqueeze(back, dropped), ctx.shape(ctx.input(i))]);
  return ellipsisAt < 0 ? restored : ctx.reduceLike(restored, ctx.input(i), undefined);
}
