import { rdm, rsa, squareform } from '../src/index.js';
import { expectClose, expectCode, num, randomMatrix, ref, vec } from './helpers.js';

describe('rdm against scipy pdist', () => {
  for (const metric of ['correlation', 'cosine', 'euclidean', 'sqeuclidean'] as const) {
    it(metric, async () => {
      const r = await rdm(ref('rdm_a'), { metric });
      expect(r.conditions).toBe(12);
      expectClose(r.dissimilarities, vec(`rdm_${metric}`));
    });
  }

  it("euclidean-per-channel is rsatoolbox's 'euclidean' (squared / channels)", async () => {
    expectClose((await rdm(ref('rdm_a'), { metric: 'euclidean-per-channel' })).dissimilarities, vec('rdm_euclidean_per_channel'));
  });

  it('defaults to correlation distance and round-trips through squareform', async () => {
    const r = await rdm(ref('rdm_a'));
    expect(r.metric).toBe('correlation');
    const full = squareform(r);
    expect(full[0]![0]).toBe(0);
    expect(full[3]![7]).toBe(full[7]![3]);
    expect(full[0]![1]).toBe(vec('rdm_correlation')[0]);
  });

  it('crossnobis matches the explicit cross-validated Mahalanobis definition', async () => {
    const r = await rdm(ref('cn_x'), { metric: 'crossnobis', conditions: vec('cn_conditions'), runs: vec('cn_runs'), precision: ref('cn_precision') });
    expect(r.conditions).toBe(4);
    expectClose(r.dissimilarities, vec('cn_rdm'));
  });

  it('explains bad input', async () => {
    const x = randomMatrix(5, 3, 1);
    const constant = x.clone();
    constant.data.fill(2, 3, 6);
    await expectCode(() => rdm(constant), 'INVALID_ARGUMENT', /Condition 1 has a constant pattern/);
    await expectCode(() => rdm(x, { metric: 'manhattan' as 'euclidean' }), 'INVALID_ARGUMENT', /Unknown RDM metric/);
    await expectCode(() => rdm(x, { metric: 'crossnobis' }), 'INVALID_ARGUMENT', /conditions, runs/);
    await expectCode(() => rdm(x, { metric: 'crossnobis', conditions: [0, 1, 2, 3, 4], runs: [0, 0, 0, 0, 0] }), 'INVALID_ARGUMENT', /two runs/);
    await expectCode(() => rdm(x, { metric: 'crossnobis', conditions: [0, 1], runs: [0, 1] }), 'SHAPE_MISMATCH');
    await expectCode(() => rdm(x, { metric: 'crossnobis', conditions: [0, 1, 0, 1, 1], runs: [0, 0, 1, 1, 1], precision: randomMatrix(2, 2, 3) }), 'SHAPE_MISMATCH', /\[3, 3\]/);
    await expectCode(() => rdm(x, { metric: 'crossnobis', conditions: [0, 1, 0, 0, 0], runs: [0, 0, 1, 1, 1] }), 'INVALID_ARGUMENT', /no rows in run 1/);
  });
});

describe('rsa against scipy', () => {
  const a = async () => rdm(ref('rdm_a'));
  const b = async () => rdm(ref('rdm_b'));
  it('spearman, pearson, kendall-tau-a and cosine', async () => {
    const [ra, rb] = [await a(), await b()];
    expect(Math.abs(rsa(ra, rb) - num('rsa_spearman'))).toBeLessThan(1e-6);
    expect(Math.abs(rsa(ra, rb, { compare: 'pearson' }) - num('rsa_pearson'))).toBeLessThan(1e-6);
    expect(Math.abs(rsa(ra, rb, { compare: 'kendall-tau-a' }) - num('rsa_tau_a'))).toBeLessThan(1e-6);
    expect(Math.abs(rsa(ra, rb, { compare: 'cosine' }) - num('rsa_cosine'))).toBeLessThan(1e-6);
  });

  it('handles ties: average ranks for spearman, neither concordant nor discordant for tau-a', () => {
    const ta = ref('rsa_tied_a').data;
    const tb = ref('rsa_tied_b').data;
    expect(Math.abs(rsa(ta, tb, { compare: 'kendall-tau-a' }) - num('rsa_tied_tau_a'))).toBeLessThan(1e-12);
    expect(Math.abs(rsa(ta, tb) - num('rsa_tied_spearman'))).toBeLessThan(1e-12);
  });

  it('explains bad input', async () => {
    await expectCode(() => rsa([1, 2, 3], [1, 2]), 'SHAPE_MISMATCH');
    await expectCode(() => rsa([1, 1, 1], [1, 2, 3]), 'INVALID_ARGUMENT', /constant/);
    await expectCode(() => rsa([1, Number.NaN, 3], [1, 2, 3]), 'INVALID_ARGUMENT', /NaN at position 1/);
    await expectCode(() => rsa([0, 0, 0], [1, 2, 3], { compare: 'cosine' }), 'INVALID_ARGUMENT', /all zeros/);
    await expectCode(() => rsa([1, 2, 3], [1, 2, 3], { compare: 'tau-b' as 'pearson' }), 'INVALID_ARGUMENT', /Unknown comparison/);
    await expectCode(() => rsa([1], [2]), 'INVALID_ARGUMENT', /at least 3 conditions/);
  });
});
