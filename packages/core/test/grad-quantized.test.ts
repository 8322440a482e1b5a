import { GraphBuilder, HookedModel, MechintError, Tensor, attr, gradients, quantizedOps } from '../src/index.node.js';
import { printedClaims, tsdocExamples } from '../../../tools/run-example.js';
import { runCoreExample } from './helpers/examples.js';
import { cpuBackend, expectGradientsMatch, testData } from './helpers/gradcheck.js';
import { mulberry32 } from './helpers/random.js';

/**
 * Quantized graphs: the exact rules (DequantizeLinear's scale, MatMulNBits' float input) against
 * central differences in float32 (step 1e-2; these maps are linear in the checked input, so only
 * rounding limits the match); the straight-through steps (QuantizeLinear, DynamicQuantizeLinear,
 * whose true derivative is 0 almost everywhere) against the closed form they promise — the
 * gradient of the same network with dequantized weights, computed here in plain JavaScript.
 */

const LINEAR_F32 = { h: 1e-2, rtol: 1e-3, atol: 1e-4 } as const;
const f32 = (seed: number, shape: readonly number[], lo = -1, hi = 1) => testData(seed).uniform(shape, lo, hi, { dtype: 'float32' });
const ints = (seed: number, shape: readonly number[], dtype: 'int8' | 'uint8', span = 128) => {
  const rng = mulberry32(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = dtype === 'int8' ? Int8Array.from({ length: size }, () => Math.floor(rng() * 2 * span) - span) : Uint8Array.from({ length: size }, () => Math.floor(rng() * 256));
  return new Tensor(dtype, data, shape);
};

describe('exact rules, against central differences', () => {
  it('DequantizeLinear: the gradient of its float scale (per tensor)', () =>
    expectGradientsMatch({
      ...LINEAR_F32,
      inputs: { scale: Tensor.from(Float32Array.from([0.05]), []) },
      build: (g, { scale }) => g.op('DequantizeLinear', [g.constant(ints(1, [2, 3], 'int8')), scale!, g.constant(Tensor.from(Int8Array.from([3]), [], 'int8'))], {}, { dtypes: 'float32' }),
    }));
  it('DequantizeLinear: the gradient of a per-axis scale (axis 1 of a [2, 3, 2] tensor)', () =>
    expectGradientsMatch({
      ...LINEAR_F32,
      inputs: { scale: f32(2, [3], 0.01, 0.1) },
      build: (g, { scale }) => g.op('DequantizeLinear', [g.constant(ints(3, [2, 3, 2], 'int8')), scale!], { axis: attr.int(1) }, { dtypes: 'float32' }),
    }));
  it('MatMulNBits (4-bit blocks of 16, with zero points): the gradient of its float input and bias', () => {
    const [k, n, block] = [32, 3, 16];
    const blocks = k / block;
    return expectGradientsMatch({
      ...LINEAR_F32,
      inputs: { a: f32(4, [2, 5, k]), bias: f32(5, [n]) },
      build: (g, { a, bias }) =>
        g.op(
          'MatMulNBits',
          [a!, g.constant(ints(6, [n, blocks, block / 2], 'uint8')), g.constant(f32(7, [n * blocks], 0.01, 0.1)), g.constant(ints(8, [Math.ceil((n * blocks) / 2)], 'uint8')), null, bias!],
          { K: attr.int(k), N: attr.int(n), bits: attr.int(4), block_size: attr.int(block) },
          { domain: 'com.microsoft' },
        ),
    });
  });
});

describe('straight-through steps, against the dequantized network', () => {
  // x [2, 4] float → … → y [2, 3]; the dequantized weight W = s_w (B − b₀) is [4, 3]; with the
  // loss Σ y (seed of ones) the straight-through gradient is 1 · Wᵀ, the same for both rows.
  const B = ints(11, [4, 3], 'int8');
  const [sw, b0] = [0.02, 5];
  const dequantized = Array.from(B.data as Int8Array, (q) => sw * (q - b0));
  const rowGrad = [0, 1, 2, 3].map((i) => dequantized[3 * i]! + dequantized[3 * i + 1]! + dequantized[3 * i + 2]!);
  const x = f32(12, [2, 4]);

  /** x → DynamicQuantizeLinear → MatMulInteger(B, zero points) → Cast → · (s_x s_w): what quantize_dynamic writes. */
  function dynamicGraph() {
    const g = new GraphBuilder({ opset: 17 });
    const input = g.input('x', 'float32', [2, 4]);
    const [q, sx, zx] = g.op('DynamicQuantizeLinear', [input], {}, { outputs: 3, dtypes: ['uint8', 'float32', 'uint8'] });
    const product = g.op('MatMulInteger', [q!, g.constant(B), zx!, g.constant(Tensor.from(Int8Array.from([b0]), [], 'int8'))], {}, { dtypes: 'int32' });
    const y = g.op('Mul', [g.op('Cast', [product], { to: attr.int(1) }, { dtypes: 'float32' }), g.op('Mul', [sx!, g.constant(Tensor.from(Float32Array.from([sw]), []))])]);
    g.output(y, 'y');
    return g.build();
  }

  it('DynamicQuantizeLinear + MatMulInteger: the gradient of x is that of x · W on the dequantized weights', async () => {
    const { model, grads } = gradients(dynamicGraph(), { of: 'y', wrt: ['x'] });
    const out = await (await (await cpuBackend()).session(model)).run({ x });
    const got = Array.from(out[grads['x']!]!.data as Float32Array);
    const want = [...rowGrad, ...rowGrad];
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
  });

  it('QuantizeLinear → DequantizeLinear (fake quantization) passes the gradient through, so x gets 1 · Wᵀ of the float MatMul after it', async () => {
    const g = new GraphBuilder({ opset: 17 });
    const input = g.input('x', 'float32', [2, 4]);
    const scale = g.constant(Tensor.from(Float32Array.from([0.01]), []));
    const zero = g.constant(Tensor.from(Uint8Array.from([128]), [], 'uint8'));
    const q = g.op('QuantizeLinear', [input, scale, zero], {}, { dtypes: 'uint8' });
    const w = g.constant(Tensor.from(Float32Array.from(dequantized), [4, 3]));
    g.output(g.op('MatMul', [g.op('DequantizeLinear', [q, scale, zero], {}, { dtypes: 'float32' }), w]), 'y');
    const { model, grads } = gradients(g.build(), { of: 'y', wrt: ['x'] });
    const out = await (await (await cpuBackend()).session(model)).run({ x });
    const got = Array.from(out[grads['x']!]!.data as Float32Array);
    [...rowGrad, ...rowGrad].forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
  });

  it("quantized: 'refuse' throws UNSUPPORTED_OP naming the quantize node and the path", () => {
    const model = dynamicGraph();
    const node = model.graph.nodes.find((n) => n.opType === 'DynamicQuantizeLinear')!.name;
    let error: unknown;
    try {
      gradients(model, { of: 'y', wrt: ['x'], quantized: 'refuse' });
    } catch (e) {
      error = e;
    }
    expect(MechintError.isInstance(error)).toBe(true);
    expect((error as MechintError).code).toBe('UNSUPPORTED_OP');
    expect((error as MechintError).message).toContain(`DynamicQuantizeLinear node '${node}'`);
    expect((error as MechintError).message).toContain("quantized: 'straight-through'");
  });

  it("HookedModel.runWithGrad takes the same option: straight-through by default, 'refuse' on request", async () => {
    const hooked = await HookedModel.load(dynamicGraph(), { backend: await cpuBackend() });
    const { grads } = await hooked.runWithGrad({ x }, { of: 'y', wrt: ['x'] });
    Array.from(grads['x']!.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo([...rowGrad, ...rowGrad][i]!, 5));
    await expect(hooked.runWithGrad({ x }, { of: 'y', wrt: ['x'], quantized: 'refuse' })).rejects.toThrow(/DynamicQuantizeLinear node '[^']+' rounds its input/);
  });

  it('quantizedOps lists the rules of quantized graphs and marks the straight-through ones', () => {
    expect(quantizedOps()).toEqual([
      { opType: 'MatMulNBits', domain: 'com.microsoft', straightThrough: false },
      { opType: 'QAttention', domain: 'com.microsoft', straightThrough: false },
      { opType: 'ConvInteger', domain: '', straightThrough: false },
      { opType: 'DequantizeLinear', domain: '', straightThrough: false },
      { opType: 'DynamicQuantizeLinear', domain: '', straightThrough: true },
      { opType: 'MatMulInteger', domain: '', straightThrough: false },
      { opType: 'QuantizeLinear', domain: '', straightThrough: true },
    ]);
  });
});

describe('QAttention', () => {
  // x → DynamicQuantizeLinear → QAttention(int8 weight): straight-through, the gradient of x is
  // that of com.microsoft Attention on the dequantized weight at the fake-quantized input — built
  // here as that Attention graph (whose own rule is checked by central differences in
  // grad-contrib.test.ts), fed the fake-quantized x.
  // Weights in [−40, 40): onnxruntime's u8×s8 kernels add pairs of products in int16, which
  // saturates for full-range int8 weights on CPUs without VNNI; these stay exact.
  const W = ints(21, [8, 24], 'int8', 40);
  const [ws, w0] = [0.01, 3];
  const bias = f32(22, [24], -0.5, 0.5);
  const x = f32(23, [2, 3, 8]);
  const mask = new Tensor('int32', Int32Array.from([3, 2]), [2]);

  it("QAttention's input gradient is Attention's on the dequantized weight at the fake-quantized input", async () => {
    const g = new GraphBuilder({ opset: 17 });
    const input = g.input('x', 'float32', [2, 3, 8]);
    const [q, sx, zx] = g.op('DynamicQuantizeLinear', [input], {}, { outputs: 3, dtypes: ['uint8', 'float32', 'uint8'] });
    const wScale = g.constant(Tensor.from(Float32Array.from([ws]), []));
    const wZero = g.constant(new Tensor('int8', Int8Array.from([w0]), []));
    const out = g.op('QAttention', [q!, g.constant(W), g.constant(bias), sx!, wScale, g.constant(mask), zx!, wZero], { num_heads: attr.int(2) }, { domain: 'com.microsoft', dtypes: 'float32' });
    g.output(out, 'y');
    // The fake-quantized input onnxruntime's QAttention sees: (q − z)·s.
    g.output(g.op('Mul', [g.op('Sub', [g.op('Cast', [q!], { to: attr.int(1) }, { dtypes: 'float32' }), g.op('Cast', [zx!], { to: attr.int(1) }, { dtypes: 'float32' })]), sx!]), 'xq');
    const { model, grads } = gradients(g.build(), { of: 'y', wrt: ['x'] });
    const cpu = await cpuBackend();
    const got = await (await cpu.session(model)).run({ x });

    const f = new GraphBuilder({ opset: 17 });
    const xf = f.input('xq', 'float32', [2, 3, 8]);
    const wDeq = Tensor.from(Float32Array.from(W.data as Int8Array, (v) => ws * (v - w0)), [8, 24]);
    f.output(f.op('Attention', [xf, f.constant(wDeq), f.constant(bias), f.constant(mask)], { num_heads: attr.int(2) }, { domain: 'com.microsoft' }), 'y');
    const reference = gradients(f.build(), { of: 'y', wrt: ['xq'] });
    const want = await (await cpu.session(reference.model)).run({ xq: got['xq']! });
    const forwardGap = Array.from(got['y']!.data as Float32Array).map((v, i) => Math.abs(v - (want['y']!.data as Float32Array)[i]!));
    expect(Math.max(...forwardGap)).toBeLessThan(1e-5);
    const a = got[grads['x']!]!.data as Float32Array;
    const b = want[reference.grads['xq']!]!.data as Float32Array;
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 5));
  });
});

describe('ConvInteger', () => {
  // x → DynamicQuantizeLinear → ConvInteger(int8 kernel) → Cast → · (s_x s_w), as quantize_dynamic
  // writes a convolution: straight-through, the gradient of x is that of the float Conv (its rule
  // checked by central differences in grad-rules.test.ts) with the dequantized kernel, at the
  // fake-quantized input. Strides 2, asymmetric pads, a kernel zero point (onnxruntime takes a scalar one only); kernel values in
  // [−40, 40) (no int16 saturation in onnxruntime's u8×s8 kernels).
  const W = ints(31, [3, 2, 3, 3], 'int8', 40);
  const ws = 0.02;
  const w0 = new Tensor('int8', Int8Array.from([2]), []);
  const x = f32(32, [2, 2, 7, 6]);
  const geometry = { strides: [2n, 2n], pads: [1n, 0n, 1n, 1n] };

  it("ConvInteger's input gradient is the float Conv's on the dequantized kernel at the fake-quantized input", async () => {
    const g = new GraphBuilder({ opset: 17 });
    const input = g.input('x', 'float32', [2, 2, 7, 6]);
    const [q, sx, zx] = g.op('DynamicQuantizeLinear', [input], {}, { outputs: 3, dtypes: ['uint8', 'float32', 'uint8'] });
    const conv = g.op('ConvInteger', [q!, g.constant(W), zx!, g.constant(w0)], geometry, { dtypes: 'int32' });
    g.output(g.op('Mul', [g.op('Cast', [conv], { to: attr.int(1) }, { dtypes: 'float32' }), g.op('Mul', [sx!, g.constant(Tensor.from(Float32Array.from([ws]), []))])]), 'y');
    g.output(g.op('Mul', [g.op('Sub', [g.op('Cast', [q!], { to: attr.int(1) }, { dtypes: 'float32' }), g.op('Cast', [zx!], { to: attr.int(1) }, { dtypes: 'float32' })]), sx!]), 'xq');
    const { model, grads } = gradients(g.build(), { of: 'y', wrt: ['x'] });
    const cpu = await cpuBackend();
    const got = await (await cpu.session(model)).run({ x });

    const f = new GraphBuilder({ opset: 17 });
    const xf = f.input('xq', 'float32', [2, 2, 7, 6]);
      const wDeq = Tensor.from(Float32Array.from(W.data as Int8Array, (v) => ws * (v - 2)), [3, 2, 3, 3]);
    f.output(f.op('Conv', [xf, f.constant(wDeq)], geometry), 'y');
    const reference = gradients(f.build(), { of: 'y', wrt: ['xq'] });
    const want = await (await cpu.session(reference.model)).run({ xq: got['xq']! });
    const forwardGap = Array.from(got['y']!.data as Float32Array).map((v, i) => Math.abs(v - (want['y']!.data as Float32Array)[i]!));
    expect(Math.max(...forwardGap)).toBeLessThan(1e-5);
    const a = got[grads['x']!]!.data as Float32Array;
    const b = want[reference.grads['xq']!]!.data as Float32Array;
    expect(a.length).toBe(x.size);
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 5));
  });
});

describe('TSDoc examples of the rule registry', () => {
  const examples = tsdocExamples(new URL('../src/grad/rules/', import.meta.url)).filter(([name, code]) => /^index\.ts/.test(name) && /differentiableOps|quantizedOps/.test(code));

  it('exist', () => {
    expect(examples.length).toBe(2);
  });

  it.each(examples)('%s runs and prints what it says', async (name, code) => {
    const printed = await runCoreExample(name, code);
    const claims = printedClaims(code);
    expect(printed).toHaveLength(claims.length);
    printed.forEach((args, i) => expect(args.map((a) => JSON.stringify(a)).join(' ')).toBe(claims[i]));
  });
});
