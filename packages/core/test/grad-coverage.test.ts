import { readFileSync, writeFileSync } from 'node:fs';
import { NON_DIFFERENTIABLE, differentiableOps, gradRuleOpsets } from '../src/index.node.js';

/**
 * docs/gradients.md lists the operators the gradient registry covers, each with its opset range,
 * and those whose derivative is zero. It is generated from the registry; this test fails when the
 * two differ. Regenerate with:
 *
 *     MECHINT_WRITE_GRAD_DOCS=1 node --experimental-vm-modules ../../node_modules/jest/bin/jest.js test/grad-coverage.test.ts
 */

const DOC = new URL('../docs/gradients.md', import.meta.url);

function coverageMarkdown(): string {
  const rows = differentiableOps().map((op) => {
    const [from, to] = gradRuleOpsets(op);
    return `| \`${op}\` | ${from === to ? from : `${from}–${to}`} |`;
  });
  const zero = [...NON_DIFFERENTIABLE].sort().map((op) => `\`${op}\``);
  return [
    '# Gradient coverage',
    '',
    '<!-- Generated from the gradient registry by packages/core/test/grad-coverage.test.ts; do not edit by hand. -->',
    '',
    `\`gradients\` differentiates these ${rows.length} operators of the default ONNX domain (\`differentiableOps()\`), each in every`,
    'form it takes over the opsets shown (`gradRuleOpsets(op)`): axes as attribute or input, attributes added by later',
    'opsets. Models older than opset 13 are refused. Every rule is checked against float64 central differences (float32',
    "where onnxruntime's CPU provider has no float64 kernel) in packages/core/test/grad-rules*.test.ts.",
    '',
    '| operator | opsets |',
    '|---|---|',
    ...rows,
    '',
    '## Operators with a zero derivative',
    '',
    'Their outputs are piecewise constant in their float inputs (or do not depend on input values at all), so no',
    `gradient flows through them — the true derivative, not a missing rule (\`NON_DIFFERENTIABLE\`, ${zero.length} operators):`,
    '',
    zero.join(', '),
    '',
    'Any other operator on the path from `wrt` to `of` raises `UNSUPPORTED_OP` naming it, its node and the path.',
    '',
  ].join('\n');
}

it('docs/gradients.md lists every registered rule with its opset range, and the zero-derivative operators', () => {
  const expected = coverageMarkdown();
  if (process.env['MECHINT_WRITE_GRAD_DOCS'] === '1') writeFileSync(DOC, expected);
  expect(readFileSync(DOC, 'utf8')).toBe(expected);
});

it('gives an operator added after opset 13 the range from its first opset', () => {
  expect(gradRuleOpsets('GroupNormalization')).toEqual([18, 23]);
  expect(gradRuleOpsets('RMSNormalization')).toEqual([23, 23]);
  expect(gradRuleOpsets('MatMul')).toEqual([13, 23]);
});

it('never lists an operator both as differentiable and as having a zero derivative', () => {
  expect(differentiableOps().filter((op) => NON_DIFFERENTIABLE.has(op))).toEqual([]);
});
