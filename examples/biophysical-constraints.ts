/**
 * Tutorial: biophysical constraints with @mechint/spiking.
 *
 * 1. A leaky integrate-and-fire (LIF) neuron's firing rate against its closed form.
 * 2. Dale's law as a projection: what it removes from an unconstrained weight matrix.
 * 3. Dale's law in a recurrent LIF population, against the same synapses with their signs
 *    scattered (each synapse excitatory or inhibitory on its own): rates, regularity, synchrony.
 * 4. Surrogate-gradient training of an input → Dale's-law layer → spiking layer network, as an
 *    ONNX graph with core's autodiff; every weight keeps its sign at every step.
 * 5. Pair STDP: the weight change of one pre/post pairing against the exponential window.
 *
 * Run from the repository root:
 *   pnpm --filter @mechint/examples exec tsx --conditions=@mechint/source biophysical-constraints.ts
 */
import { Backend, GraphBuilder, Tensor, gradients, seededNormal, seededRandom } from '@mechint/core';
import {
  DalesLinear,
  LeakyIntegrateFireNeuron,
  PairSTDP,
  RecurrentLIFNetwork,
  applyDalesLaw,
  dalesSigns,
  emitLeaky,
  fastSigmoid,
  firingRates,
  isiCV,
  randomConnectivity,
  sparseFromDense,
  spikeTimes,
  surrogateOverrides,
  synchrony,
} from '@mechint/spiking';

// 1. LIF under a constant current I (Norse's convention: τ dv/dt = −v + I, threshold θ = 1,
// reset to 0) charges towards I and fires every T = τ ln(I / (I − θ)) ms.
console.log('1. LIF firing rate (τ = 10 ms, θ = 1, dt = 0.01 ms, 1 s)');
const currents = [1.1, 1.5, 2, 3, 5];
const steps = 100_000;
const lif = new LeakyIntegrateFireNeuron({ nNeurons: currents.length, tau: 10, threshold: 1 });
const drive = Tensor.from(Float32Array.from({ length: steps * currents.length }, (_, i) => currents[i % currents.length]!), [steps, currents.length]);
const rates = firingRates(lif.run(drive, { dt: 0.01 }).spikes, { dt: 0.01 }).data;
currents.forEach((I, i) => {
  const theory = 1000 / (10 * Math.log(I / (I - 1)));
  console.log(`  I = ${I.toFixed(1)}   measured ${rates[i]!.toFixed(1).padStart(6)} Hz   closed form ${theory.toFixed(1).padStart(6)} Hz`);
});

// 2. Dale's law: every presynaptic neuron (a column) is excitatory or inhibitory. Projecting an
// unconstrained matrix onto the law zeroes each entry whose sign disagrees with its column's.
console.log("\n2. Dale's law as a projection of a Gaussian 200 × 200 matrix (80% excitatory columns)");
const normal = seededNormal(5);
const dense = new Tensor('float32', Float32Array.from({ length: 200 * 200 }, () => normal()), [200, 200]);
const signs = dalesSigns({ n: 200, eiRatio: 0.8 });
const projected = applyDalesLaw(dense, signs).data;
const zeroed = projected.filter((w) => w === 0).length / projected.length;
const norm = (xs: ArrayLike<number>) => Math.sqrt(Array.from(xs).reduce((s, v) => s + v * v, 0));
console.log(`  entries set to zero: ${(100 * zeroed).toFixed(1)}%   Frobenius norm kept: ${((100 * norm(projected)) / norm(dense.data)).toFixed(1)}%`);

// 3. A recurrent population (400 excitatory, 100 inhibitory, 10% connectivity; inhibitory synapses
// 5× stronger, as in Brunel 2000). "Scattered" draws each synapse's sign on its own with the same
// odds, so the mean input of every neuron is the same and only Dale's structure is gone.
console.log("\n3. A recurrent LIF population (500 neurons, 1 s at dt = 0.1 ms): Dale's law vs scattered signs");
const N = 500;
const J = 0.02;
const weightOf = (excitatory: boolean) => (excitatory ? J : -5 * J);
const dales = randomConnectivity({ nPre: N, nPost: N, p: 0.1, weight: (j) => weightOf(j < 400), seed: 3 });
const scatter = seededRandom(4);
const scatteredDense = new Float32Array(N * N);
for (let j = 0; j < N; j++) {
  for (let k = dales.offsets[j]!; k < dales.offsets[j + 1]!; k++) scatteredDense[dales.targets[k]! * N + j] = weightOf(scatter() < 0.8);
}
const scattered = sparseFromDense(new Tensor('float32', scatteredDense, [N, N]));
const heterogeneous = seededRandom(6);
const bias = Float32Array.from({ length: N }, () => 1.05 + 0.3 * heterogeneous());
const netSteps = 10_000;
const external = new Tensor('float32', Float32Array.from({ length: netSteps * N }, (_, i) => bias[i % N]!), [netSteps, N]);
for (const [name, connectivity] of [["Dale's law", dales], ['scattered signs', scattered]] as const) {
  const { spikes, synapticCurrent } = new RecurrentLIFNetwork({ connectivity, neuron: { tau: 20 } }).run(external, { dt: 0.1 });
  const r = firingRates(spikes, { dt: 0.1 }).data;
  const cvs = spikeTimes(spikes, { dt: 0.1 }).map((t) => isiCV(t)).filter((cv) => !Number.isNaN(cv));
  const meanRate = r.reduce((a, b) => a + b, 0) / N;
  const meanCV = cvs.reduce((a, b) => a + b, 0) / cvs.length;
  const mixed = Array.from({ length: N }, (_, j) => {
    const start = connectivity.offsets[j]!;
    const ws = Array.from(connectivity.weights.subarray(start, connectivity.offsets[j + 1]!));
    return ws.some((w) => w > 0) && ws.some((w) => w < 0);
  }).filter(Boolean).length;
  console.log(
    `  ${name.padEnd(16)} mixed-sign neurons ${String(mixed).padStart(3)}/${N}   rate ${meanRate.toFixed(1).padStart(5)} Hz   ISI CV ${meanCV.toFixed(2)}   ` +
      `synchrony χ of the synaptic currents ${synchrony(synapticCurrent).toFixed(2)}`,
  );
}

// What this shows: the two networks fire at the same rate, as regularly; but with Dale's law every
// spike of an inhibitory neuron inhibits all its targets at once, so the synaptic currents neurons
// receive move together (higher χ). Scattered signs cancel within each neuron's output.

// 4. Training under Dale's law with surrogate gradients. Inputs 0–4 fire often for class 0, inputs
// 5–9 for class 1 (over 20 steps); the class is the output neuron that spikes more. The network is
// an ONNX graph: DalesLinear (10 → 2, its raw weights a graph input) → Leaky (snnTorch, β = 0.9).
// The spike's Heaviside step has no useful derivative, so the backward pass uses a fast-sigmoid
// surrogate on each spike (`surrogateOverrides`).
console.log("\n4. Surrogate-gradient training of input → DalesLinear → Leaky (20 steps, 150 Adam steps)");
const [T, nIn, nOut] = [20, 10, 2];
const surrogate = fastSigmoid();
const layer = new DalesLinear({ inFeatures: nIn, outFeatures: nOut, eiRatio: 0.8, seed: 3 });
const g = new GraphBuilder();
const x = g.input('x', 'float32', [T, 'batch', nIn]);
const labels = g.input('labels', 'float32', ['batch', nOut]);
const current = g.reshape(layer.emit(g, g.reshape(x, [-1, nIn]), g.input('w_raw', 'float32', [nOut, nIn])), [T, -1, nOut]);
const leaky = emitLeaky(g, current, { beta: 0.9, surrogate });
const counts = g.reduceSum(leaky.spikes, { axes: [0], keepdims: false });
g.output(counts, 'counts');
g.output(g.neg(g.reduceMean(g.reduceSum(g.mul(labels, g.logSoftmax(counts)), { axes: [1], keepdims: false }), { keepdims: false })), 'loss');
const spikingModel = g.build();
const { model: withGrads, grads } = gradients(spikingModel, { of: 'loss', wrt: ['w_raw'], nodeOverrides: surrogateOverrides(spikingModel, surrogate, leaky.spikeSteps) });
const backend = await Backend.create({ ep: 'cpu' });
const session = await backend.session(withGrads);

const rand = seededRandom(42);
const samples = (size: number) => {
  const data = new Float32Array(T * size * nIn);
  const onehot = new Float32Array(size * nOut);
  const classes = Array.from({ length: size }, () => (rand() < 0.5 ? 0 : 1));
  classes.forEach((c, b) => {
    onehot[b * nOut + c] = 1;
    for (let t = 0; t < T; t++) for (let j = 0; j < nIn; j++) data[(t * size + b) * nIn + j] = rand() < ((j < 5) === (c === 0) ? 0.3 : 0.05) ? 1 : 0;
  });
  return { feeds: { x: new Tensor('float32', data, [T, size, nIn]), labels: new Tensor('float32', onehot, [size, nOut]) }, classes };
};
const heldOut = samples(200);
const accuracy = async () => {
  const c = (await session.run({ ...heldOut.feeds, w_raw: layer.raw }))['counts']!.data as Float32Array;
  return heldOut.classes.filter((k, b) => (c[b * nOut + 1]! > c[b * nOut]! ? 1 : 0) === k).length / heldOut.classes.length;
};
const signViolations = () => {
  const w = layer.effectiveWeights().data;
  return Array.from(w).filter((v, k) => v * layer.signs[k % nIn]! < 0).length;
};

// Adam on the raw weights; DalesLinear maps them to magnitudes (ReLU) and fixed column signs.
const m = new Float64Array(layer.raw.data.length);
const v = new Float64Array(layer.raw.data.length);
console.log(`  before: held-out accuracy ${(await accuracy()).toFixed(3)}`);
let violations = 0;
for (let step = 1; step <= 150; step++) {
  const { feeds } = samples(32);
  const out = await session.run({ ...feeds, w_raw: layer.raw });
  const grad = out[grads['w_raw']!]!.data as Float32Array;
  for (let i = 0; i < grad.length; i++) {
    m[i] = 0.9 * m[i]! + 0.1 * grad[i]!;
    v[i] = 0.999 * v[i]! + 0.001 * grad[i]! ** 2;
    layer.raw.data[i]! -= (0.05 * (m[i]! / (1 - 0.9 ** step))) / (Math.sqrt(v[i]! / (1 - 0.999 ** step)) + 1e-8);
  }
  violations += signViolations();
  if (step % 50 === 0) console.log(`  step ${String(step).padStart(3)}: loss ${(out['loss']!.data as Float32Array)[0]!.toFixed(3)}`);
}
console.log(`  after:  held-out accuracy ${(await accuracy()).toFixed(3)}; weights that broke Dale's law over all steps: ${violations}`);
console.log(`  effective weights (rows: output neurons; columns 0–7 excitatory, 8–9 inhibitory):`);
const effective = layer.effectiveWeights();
for (let o = 0; o < nOut; o++) console.log(`    ${Array.from(effective.data.subarray(o * nIn, (o + 1) * nIn), (w) => w.toFixed(2).padStart(6)).join('')}`);
// The learned solution respects the constraint: the class-0 neuron listens to the excitatory inputs
// 0–4 and is suppressed by the inhibitory inputs 8–9 (which fire for class 1); the class-1 neuron
// can only be driven by the excitatory inputs among 5–9.
await backend.dispose();

// 5. Pair STDP (Brian2's defaults: A+ = 0.01, A− = 0.0105, τ± = 20 ms). One presynaptic and one
// postsynaptic spike Δt = t_post − t_pre apart change the weight by A+ e^(−Δt/τ+) when the
// presynaptic spike comes first, and by −A− e^(Δt/τ−) when it comes second.
console.log('\n5. Pair STDP: one pairing, Δt = t_post − t_pre (dt = 0.1 ms)');
const stdp = new PairSTDP();
for (const dtPair of [-40, -20, -10, -5, 5, 10, 20, 40]) {
  const stdpSteps = 1000;
  const pre = Tensor.zeros([stdpSteps, 1]);
  const post = Tensor.zeros([stdpSteps, 1]);
  const tPre = 500 - Math.round(dtPair * 5);
  const tPost = 500 + Math.round(dtPair * 5);
  pre.set(1, tPre, 0);
  post.set(1, tPost, 0);
  const w = stdp.run(pre, post, { dt: 0.1, weights: Tensor.from([[0.5]]) }).weights.get(0, 0) - 0.5;
  const theory = dtPair > 0 ? 0.01 * Math.exp(-dtPair / 20) : -0.0105 * Math.exp(dtPair / 20);
  console.log(`  Δt = ${String(dtPair).padStart(3)} ms   Δw ${w.toFixed(5).padStart(9)}   closed form ${theory.toFixed(5).padStart(9)}`);
}
