/**
 * Exact agreement with independent numpy / scipy implementations of the antropy, nolds, MFDFA and
 * scipy.signal definitions (tools/fractals/reference.py; committed outputs in fixtures/).
 */
import { dfa, expectedRS, higuchiFD, hurstRS, katzFD, logarithmicScales, logmidScales, mfdfa, petrosianFD, spectralSlope } from '../src/index.js';
import { SIGNALS, expectClose, reference, signal } from './helpers.js';

describe.each(SIGNALS)('%s signal against the Python reference', (name) => {
  const x = signal(name);
  const ref = reference[name];

  it('Higuchi, Katz and Petrosian match antropy', () => {
    expectClose(higuchiFD(x), ref.higuchi);
    expectClose(higuchiFD(x, { kMax: 5 }), ref.higuchi_k5);
    expectClose(katzFD(x), ref.katz);
    expectClose(petrosianFD(x), ref.petrosian);
    expectClose(higuchiFD(Array.from(x)), ref.higuchi);
  });

  it('DFA matches nolds (default scales, overlap, order 1; no overlap, order 2; explicit scales)', () => {
    const d = dfa(x);
    expect(d.scales).toEqual(ref.dfa.scales);
    expectClose(d.alpha, ref.dfa.alpha);
    expectClose(d.intercept, ref.dfa.intercept);
    d.fluctuations.forEach((f, i) => expectClose(f, ref.dfa.fluctuations[i], 1e-9));
    const d2 = dfa(x, { overlap: false, order: 2 });
    expectClose(d2.alpha, ref.dfa_nonoverlap_order2.alpha);
    d2.fluctuations.forEach((f, i) => expectClose(f, ref.dfa_nonoverlap_order2.fluctuations[i], 1e-9));
    expectClose(dfa(x, { scales: [8, 16, 32, 64, 128] }).alpha, ref.dfa_scales.alpha);
  });

  it('Hurst R/S matches nolds, corrected (Anis-Lloyd-Peters) and not', () => {
    const h = hurstRS(x);
    expect(h.scales).toEqual(ref.hurst.scales);
    expectClose(h.h, ref.hurst.h);
    Array.from(h.rs).forEach((v, i) => expectClose(v, ref.hurst.rs[i]));
    expectClose(hurstRS(x, { corrected: false }).h, ref.hurst_uncorrected.h);
  });

  it('spectral slope matches scipy.signal welch / periodogram with a log-log fit', () => {
    const w = spectralSlope(x, { fs: 100 });
    expectClose(w.beta, ref.welch.beta);
    expectClose(w.intercept, ref.welch.intercept);
    Array.from(w.power.subarray(0, 5)).forEach((p, i) => expectClose(p, ref.welch.power_head[i], 1e-9));
    expectClose(spectralSlope(x, { fs: 100, fRange: [1, 20] }).beta, ref.welch_range.beta);
    const p = spectralSlope(x, { method: 'periodogram' });
    expectClose(p.beta, ref.periodogram.beta);
    Array.from(p.power.subarray(0, 5)).forEach((v, i) => expectClose(v, ref.periodogram.power_head[i], 1e-9));
  });

  it('MFDFA matches Kantelhardt et al. (both-end segments), with τ, α and f(α)', () => {
    const scales = (reference['mfdfa_scales'] as number[]).filter((s) => s <= x.length / 4);
    const r = mfdfa(x, { q: reference['mfdfa_q'], scales });
    (['hq', 'tau', 'alpha', 'f'] as const).forEach((key) => Array.from(r[key]).forEach((v, i) => expectClose(v, ref.mfdfa[key][i], 1e-9)));
    expectClose(r.width, Math.max(...ref.mfdfa.alpha) - Math.min(...ref.mfdfa.alpha), 1e-9);
  });
});

describe('helpers against nolds', () => {
  it('expectedRS matches nolds.expected_rs on both sides of n = 340', () => {
    for (const [n, value] of Object.entries(reference['expected_rs'] as Record<string, number>)) expectClose(expectedRS(Number(n)), value, 1e-12);
  });

  it('default scale generators reproduce nolds (logarithmic_n, logmid_n)', () => {
    expect(logarithmicScales(4, 204.8, 1.2)).toEqual(reference['white'].dfa.scales);
    expect(logmidScales(2048)).toEqual(reference['white'].hurst.scales);
  });

  it('MFDFA of the binomial cascade matches the reference with order 2', () => {
    const x = signal('cascade');
    const scales = (reference['mfdfa_scales'] as number[]).filter((s) => s <= x.length / 4);
    const r = mfdfa(x, { q: reference['mfdfa_q'], scales, order: 2 });
    Array.from(r.hq).forEach((v, i) => expectClose(v, reference['cascade'].mfdfa_order2.hq[i], 1e-9));
  });
});
