/**
 * Multiplicative cascades: the deterministic binomial cascade of Kantelhardt et al. and a random
 * binomial cascade.
 */
import { Rng } from '../math/random.js';
import { checkInteger, checkNumber } from '../math/signal.js';
import type { StimulusOptions } from './fgn.js';

/**
 * The binomial multifractal series of Kantelhardt et al. (2002), 2^levels samples:
 * `x_k = a^{n(k)} (1 − a)^{levels − n(k)}` with n(k) the number of ones in the binary digits of k
 * (k = 0 … 2^levels − 1). It sums to 1, and its MFDFA exponents are known in closed form:
 * `h(q) = 1/q − ln(a^q + (1 − a)^q) / (q ln 2)`.
 *
 * Throws `INVALID_ARGUMENT` for levels outside [1, 26] and a outside (0, 1).
 *
 * @see J. W. Kantelhardt et al., Physica A 316 (2002) 87–114, section 4.
 * @example
 * ```ts
 * import { binomialCascade } from '@mechint/fractals';
 * binomialCascade(2, 0.75); // [0.0625, 0.1875, 0.1875, 0.5625]
 * ```
 */
export function binomialCascade(levels: number, a: number): Float64Array {
  checkInteger(levels, 'binomialCascade: levels', 1, 26);
  checkNumber(a, 'binomialCascade: a', { gt: 0, lt: 1 });
  const out = new Float64Array(2 ** levels);
  out[0] = (1 - a) ** levels;
  const ratio = a / (1 - a);
  for (let k = 1; k < out.length; k++) out[k] = out[k >> 1]! * ((k & 1) === 1 ? ratio : 1);
  return out;
}

/** Options of {@link randomCascade}. @example `{ a: 0.7, seed: 1 }` */
export interface RandomCascadeOptions extends StimulusOptions {
  /** The larger weight of each split. Defaults to 0.75, as Kantelhardt et al.'s example. */
  a?: number;
}

/**
 * A random binomial (p-model) cascade of 2^levels samples: each interval splits its mass into
 * fractions a and 1 − a, the larger going left or right at random. Same multifractal spectrum as
 * {@link binomialCascade} (every sample is still `a^j (1 − a)^{levels − j}`), without its ordering.
 *
 * Throws `INVALID_ARGUMENT` for levels outside [1, 26], a outside (0, 1), and a non-integer seed.
 *
 * @see C. Meneveau, K. R. Sreenivasan, "Simple multifractal cascade model for fully developed turbulence", Phys. Rev. Lett. 59 (1987) 1424.
 * @example
 * ```ts
 * import { randomCascade } from '@mechint/fractals';
 * const x = randomCascade(12, { a: 0.7, seed: 5 });
 * ```
 */
export function randomCascade(levels: number, options: RandomCascadeOptions = {}): Float64Array {
  checkInteger(levels, 'randomCascade: levels', 1, 26);
  const a = options.a ?? 0.75;
  checkNumber(a, 'randomCascade: a', { gt: 0, lt: 1 });
  const rng = new Rng(options.seed ?? 0);
  let mass = Float64Array.of(1);
  for (let level = 0; level < levels; level++) {
    const next = new Float64Array(mass.length * 2);
    for (let i = 0; i < mass.length; i++) {
      const left = rng.uniform() < 0.5 ? a : 1 - a;
      next[2 * i] = mass[i]! * left;
      next[2 * i + 1] = mass[i]! * (1 - left);
    }
    mass = next;
  }
  return mass;
}
