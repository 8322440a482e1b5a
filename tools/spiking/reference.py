#!/usr/bin/python3
"""Reference simulations for @mechint/spiking, written independently in numpy / scipy.

Writes packages/spiking/test/fixtures/reference.npz and reference.json. The package's tests read
these committed outputs; they never run Python. Run:  /usr/bin/python3 tools/spiking/reference.py
"""
import json
import os

import numpy as np
from scipy.integrate import solve_ivp

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
OUT = os.path.join(ROOT, 'packages', 'spiking', 'test', 'fixtures')
rng = np.random.default_rng(20240501)
arrays = {}
summary = {}


# --- snnTorch Leaky (as snntorch/_neurons/leaky.py: reset from the previous step's spike) ---------
def snntorch_leaky(cur, beta, threshold, reset_mechanism, V=None):
    T, B, n = cur.shape
    mem = np.zeros((B, n))
    spk = np.zeros((B, n))
    spikes, mems = [], []
    for t in range(T):
        inp = cur[t] + (spk @ V.T if V is not None else 0.0)
        reset = (mem - threshold > 0).astype(float) if t > 0 else np.zeros((B, n))
        if reset_mechanism == 'subtract':
            mem = beta * mem + inp - reset * threshold
        else:
            mem = (1 - reset) * mem
            mem = beta * mem + inp
        spk = (mem - threshold > 0).astype(float)
        spikes.append(spk)
        mems.append(mem.copy())
    return np.stack(spikes), np.stack(mems)


x = (rng.random((30, 2, 3)) * 1.5).astype(np.float32)
W = (rng.standard_normal((4, 3)) * 0.8).astype(np.float32)
V = (rng.standard_normal((4, 4)) * 0.3).astype(np.float32)
cur = x.astype(np.float64) @ W.astype(np.float64).T
arrays['leaky_x'] = x
arrays['leaky_w'] = W
arrays['leaky_v'] = V
for mode in ('subtract', 'zero'):
    s, m = snntorch_leaky(cur, 0.8, 1.0, mode)
    arrays[f'leaky_{mode}_spikes'] = s.astype(np.float32)
    arrays[f'leaky_{mode}_mem'] = m.astype(np.float32)
s, m = snntorch_leaky(cur, 0.8, 1.0, 'subtract', V.astype(np.float64))
arrays['leaky_recurrent_spikes'] = s.astype(np.float32)
arrays['leaky_recurrent_mem'] = m.astype(np.float32)


# --- Izhikevich (2003): semi-implicit Euler as the paper's code (v first, u from the new v) ------
PRESETS = {
    'RS': (0.02, 0.2, -65, 8), 'IB': (0.02, 0.2, -55, 4), 'CH': (0.02, 0.2, -50, 2), 'FS': (0.1, 0.2, -65, 2),
    'LTS': (0.02, 0.25, -65, 2), 'TC': (0.02, 0.25, -65, 0.05), 'RZ': (0.1, 0.26, -65, 2),
}


def izhikevich(params, current, dt):
    a, b, c, d = params
    v, u = -65.0, b * -65.0
    times = []
    for t, i in enumerate(current):
        v = v + dt * (0.04 * v * v + 5 * v + 140 - u + i)
        u = u + dt * a * (b * v - u)
        if v >= 30:
            times.append(t)
            v, u = c, u + d
    return times


IZH_DT = 0.25
IZH_STEPS = 2000  # 500 ms
izh = {'dt': IZH_DT, 'steps': IZH_STEPS, 'protocols': {}}
protocols = {
    'step5': np.where(np.arange(IZH_STEPS) * IZH_DT >= 20, 5.0, 0.0),
    'step10': np.where(np.arange(IZH_STEPS) * IZH_DT >= 20, 10.0, 0.0),
    'step15': np.where(np.arange(IZH_STEPS) * IZH_DT >= 20, 15.0, 0.0),
    'rebound': np.where(np.arange(IZH_STEPS) * IZH_DT < 200, -10.0, 0.0),
}
for name, current in protocols.items():
    izh['protocols'][name] = {preset: izhikevich(p, current, IZH_DT) for preset, p in PRESETS.items()}
summary['izhikevich'] = izh


# --- Hodgkin-Huxley (1952, rest at -65 mV): LSODA with tight tolerances -----------------------------
def vtrap(x, y):
    return y * (1 + x / y / 2) if abs(x / y) < 1e-6 else x / (1 - np.exp(-x / y))


def hh_rhs(t, s, i_ext):
    v, m, h, n = s
    am, bm = 0.1 * vtrap(v + 40, 10), 4 * np.exp(-(v + 65) / 18)
    ah, bh = 0.07 * np.exp(-(v + 65) / 20), 1 / (1 + np.exp(-(v + 35) / 10))
    an, bn = 0.01 * vtrap(v + 55, 10), 0.125 * np.exp(-(v + 65) / 80)
    dv = i_ext - 120 * m ** 3 * h * (v - 50) - 36 * n ** 4 * (v + 77) - 0.3 * (v + 54.387)
    return [dv, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n]


def hh_rate(i_ext, t_end=1000.0, t_from=200.0):
    v0 = -65.0
    am, bm = 0.1 * vtrap(v0 + 40, 10), 4 * np.exp(-(v0 + 65) / 18)
    ah, bh = 0.07 * np.exp(-(v0 + 65) / 20), 1 / (1 + np.exp(-(v0 + 35) / 10))
    an, bn = 0.01 * vtrap(v0 + 55, 10), 0.125 * np.exp(-(v0 + 65) / 80)
    s0 = [v0, am / (am + bm), ah / (ah + bh), an / (an + bn)]
    ts = np.arange(0, t_end, 0.005)
    sol = solve_ivp(hh_rhs, (0, t_end), s0, args=(i_ext,), t_eval=ts, method='LSODA', rtol=1e-9, atol=1e-9, max_step=0.05)
    v = sol.y[0]
    up = np.nonzero((v[:-1] < 0) & (v[1:] >= 0))[0]
    crossings = ts[up]
    late = crossings[crossings >= t_from]
    return {'current': i_ext, 'spikes_total': int(len(crossings)), 'spikes_after': int(len(late)),
            'rate_hz': float(len(late) / ((t_end - t_from) / 1000))}


summary['hodgkin_huxley'] = {'t_end': 1000.0, 't_from': 200.0, 'rates': [hh_rate(i) for i in (3.0, 5.0, 6.0, 6.5, 8.0, 10.0, 15.0)]}


# --- AdEx (Brette & Gerstner 2005): forward Euler, Brian2's Vcut = VT + 5 DeltaT ------------------
def adex(current, dt, C=281.0, gL=30.0, EL=-70.6, VT=-50.4, DT=2.0, tauw=144.0, a=4.0, b=80.5, Vr=None):
    Vr = EL if Vr is None else Vr
    vpeak = VT + 5 * DT
    v, w = EL, 0.0
    times = []
    for t, i in enumerate(current):
        vn = v + dt / C * (-gL * (v - EL) + gL * DT * np.exp((v - VT) / DT) - w + i)
        wn = w + dt / tauw * (a * (v - EL) - w)
        if vn >= vpeak:
            times.append(t)
            vn, wn = Vr, wn + b
        v, w = vn, wn
    return times


ADEX_DT = 0.05
adex_current = np.where(np.arange(10000) * ADEX_DT >= 20, 1000.0, 0.0)
summary['adex'] = {
    'dt': ADEX_DT, 'steps': 10000, 'current_pA': 1000.0, 'onset_ms': 20.0,
    'default': adex(adex_current, ADEX_DT),
    'no_adaptation': adex(adex_current, ADEX_DT, a=0.0, b=0.0),
    'bursting': adex(adex_current, ADEX_DT, tauw=20.0, a=4.0, b=500.0, Vr=-47.2),
}


# --- Triplet STDP (Pfister & Gerstner 2006, visual cortex all-to-all): event-driven -------------------
def triplet_pairing(freq, delta, n_pairs=60, p=None):
    p = p or dict(a2p=5e-10, a3p=6.2e-3, a2m=7e-3, a3m=2.3e-4, tp=16.8, tx=101.0, tm=33.7, ty=125.0)
    period = 1000.0 / freq
    events = []
    for k in range(n_pairs):
        t_pre = 10.0 + k * period if delta > 0 else 10.0 + k * period - delta
        events.append((t_pre, 'pre'))
        events.append((t_pre + delta, 'post'))
    events.sort(key=lambda e: (e[0], 0 if e[1] == 'pre' else 1))
    r1 = r2 = o1 = o2 = 0.0
    w, last = 0.0, 0.0
    for t, kind in events:
        dtau = t - last
        r1 *= np.exp(-dtau / p['tp']); r2 *= np.exp(-dtau / p['tx'])
        o1 *= np.exp(-dtau / p['tm']); o2 *= np.exp(-dtau / p['ty'])
        last = t
        if kind == 'pre':
            w -= o1 * (p['a2m'] + p['a3m'] * r2)
            r1 += 1; r2 += 1
        else:
            w += r1 * (p['a2p'] + p['a3p'] * o2)
            o1 += 1; o2 += 1
    return w


summary['triplet'] = {'n_pairs': 60, 'dt': 0.1, 'offset_ms': 10.0, 'runs': [
    {'freq': f, 'delta': d, 'dw': triplet_pairing(f, d)} for f in (1, 10, 20, 40, 50) for d in (10.0, -10.0)]}


# --- Recurrent LIF network (Norse update, current synapses, event order as the package) ----------
N, T, DT = 60, 400, 0.5
mask = rng.random((N, N)) < 0.1
np.fill_diagonal(mask, False)
sign = np.where(np.arange(N) < 48, 1.0, -1.0)
Wrec = (mask * sign[None, :] * np.where(sign > 0, 0.08, 0.3)[None, :]).astype(np.float32)
Iext = (1.0 + 0.3 * rng.random((T, N))).astype(np.float32)
v = np.zeros(N); syn = np.zeros(N); z = np.zeros(N)
tau, tau_s = 10.0, 5.0
spk_out = np.zeros((T, N), np.float32)
for t in range(T):
    syn = syn * np.exp(-DT / tau_s) + Wrec.astype(np.float64) @ z
    v = v + DT / tau * (-v + Iext[t].astype(np.float64) + syn)
    z = (v - 1.0 > 0).astype(float)
    v = np.where(z > 0, 0.0, v)
    spk_out[t] = z
arrays['net_w'] = Wrec
arrays['net_current'] = Iext
arrays['net_spikes'] = spk_out
summary['network'] = {'dt': DT, 'tau': tau, 'synapse_tau': tau_s}

os.makedirs(OUT, exist_ok=True)
np.savez(os.path.join(OUT, 'reference.npz'), **arrays)
with open(os.path.join(OUT, 'reference.json'), 'w') as f:
    json.dump(summary, f, indent=1)
    f.write('\n')
print(json.dumps({k: (v['rates'] if k == 'hodgkin_huxley' else '…') for k, v in summary.items()}))
