/**
 * The discrete Fourier transform of any length on the host: iterative radix-2 for powers of two,
 * Bluestein's chirp-z algorithm otherwise. For stimuli and spectra of single signals; batched
 * spectra belong in a graph (`GraphBuilder.dft`).
 */

/**
 * In-place DFT `X[k] = Σ x[n] e^(∓2πi·kn/N)` of the complex signal `(re, im)`; `inverse` uses the
 * `+` sign and divides by `N`, as `numpy.fft.ifft`.
 *
 * @internal
 * @example `fft(re, im)` transforms `re + i·im` in place
 */
export function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (n <= 1) return;
  if ((n & (n - 1)) === 0) radix2(re, im, inverse);
  else bluestein(re, im, inverse);
  if (inverse) {
    for (let i = 0; i < n; i++) {
      re[i] = re[i]! / n;
      im[i] = im[i]! / n;
    }
  }
}

function radix2(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const tr = re[i]!;
      re[i] = re[j]!;
      re[j] = tr;
      const ti = im[i]!;
      im[i] = im[j]!;
      im[j] = ti;
    }
  }
  const sign = inverse ? 1 : -1;
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1;
    const angle = (sign * 2 * Math.PI) / len;
    const cosTable = new Float64Array(half);
    const sinTable = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      cosTable[k] = Math.cos(angle * k);
      sinTable[k] = Math.sin(angle * k);
    }
    for (let start = 0; start < n; start += len) {
      for (let k = 0; k < half; k++) {
        const a = start + k;
        const b = a + half;
        const wr = cosTable[k]!;
        const wi = sinTable[k]!;
        const xr = re[b]! * wr - im[b]! * wi;
        const xi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
      }
    }
  }
}

function bluestein(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  let m = 1;
  while (m < 2 * n - 1) m <<= 1;
  const sign = inverse ? 1 : -1;
  const wr = new Float64Array(n);
  const wi = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const angle = (sign * Math.PI * ((k * k) % (2 * n))) / n;
    wr[k] = Math.cos(angle);
    wi[k] = Math.sin(angle);
  }
  const ar = new Float64Array(m);
  const ai = new Float64Array(m);
  for (let k = 0; k < n; k++) {
    ar[k] = re[k]! * wr[k]! - im[k]! * wi[k]!;
    ai[k] = re[k]! * wi[k]! + im[k]! * wr[k]!;
  }
  const br = new Float64Array(m);
  const bi = new Float64Array(m);
  br[0] = wr[0]!;
  bi[0] = -wi[0]!;
  for (let k = 1; k < n; k++) {
    br[k] = br[m - k] = wr[k]!;
    bi[k] = bi[m - k] = -wi[k]!;
  }
  radix2(ar, ai, false);
  radix2(br, bi, false);
  for (let k = 0; k < m; k++) {
    const r = ar[k]! * br[k]! - ai[k]! * bi[k]!;
    ai[k] = ar[k]! * bi[k]! + ai[k]! * br[k]!;
    ar[k] = r;
  }
  radix2(ar, ai, true);
  for (let k = 0; k < n; k++) {
    const r = ar[k]! / m;
    const i = ai[k]! / m;
    re[k] = r * wr[k]! - i * wi[k]!;
    im[k] = r * wi[k]! + i * wr[k]!;
  }
}
