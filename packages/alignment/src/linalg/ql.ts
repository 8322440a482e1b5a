/**
 * The implicit QL iteration on a symmetric tridiagonal matrix (EISPACK's `tql2`, as in JAMA),
 * accumulating its plane rotations into a matrix of eigenvectors, in float64.
 */

/**
 * Diagonalises the symmetric tridiagonal matrix with diagonal `d` and subdiagonal `e` (`e[i]`
 * couples rows `i − 1` and `i`; `e[0]` is ignored) by implicit QL with Wilkinson-like shifts, and
 * multiplies the row-major `n × n` matrix `v` on the right by the accumulated rotations: when `v`
 * holds `Q` on entry it holds `Q · Z` on exit, where `Z`'s columns are the tridiagonal's eigenvectors.
 * Leaves the (unsorted) eigenvalues in `d`; overwrites `e`. Each sweep's rotations are recorded,
 * then applied to `v` row by row (see {@link rotate}).
 *
 * @example
 * ```ts
 * const v = new Float64Array([1, 0, 0, 1]);
 * const d = new Float64Array([2, 2]);
 * implicitQl(v, d, new Float64Array([0, 1]), 2); // d ≈ [1, 3] in some order, v its eigenvectors
 * ```
 */
export function implicitQl(v: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  const cosines = new Float64Array(n);
  const sines = new Float64Array(n);
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  if (n > 0) e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]!) > eps * tst1) m++;
    if (m > l) {
      let iterations = 0;
      do {
        if (++iterations > 60) throw new Error('symmetricEigen: the QL iteration did not converge');
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          cosines[i] = c;
          sines[i] = s;
        }
        rotate(v, n, l, m, cosines, sines);
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}

/**
 * Applies one QL sweep's plane rotations (`i = m − 1` down to `l`, rotation `i` mixing columns
 * `i` and `i + 1`) to every row of the row-major `n × n` matrix `v`. Walking each row through the
 * whole sweep keeps the running column in a register (one load and one store per rotation), and
 * four rows at a time hide the latency of that dependency chain.
 */
function rotate(v: Float64Array, n: number, l: number, m: number, cosines: Float64Array, sines: Float64Array): void {
  let r = 0;
  for (; r + 3 < n; r += 4) {
    const a = r * n;
    const b = a + n;
    const c = b + n;
    const d = c + n;
    let x = v[a + m]!;
    let y = v[b + m]!;
    let z = v[c + m]!;
    let w = v[d + m]!;
    for (let i = m - 1; i >= l; i--) {
      const cos = cosines[i]!;
      const sin = sines[i]!;
      const xa = v[a + i]!;
      const xb = v[b + i]!;
      const xc = v[c + i]!;
      const xd = v[d + i]!;
      v[a + i + 1] = sin * xa + cos * x;
      v[b + i + 1] = sin * xb + cos * y;
      v[c + i + 1] = sin * xc + cos * z;
      v[d + i + 1] = sin * xd + cos * w;
      x = cos * xa - sin * x;
      y = cos * xb - sin * y;
      z = cos * xc - sin * z;
      w = cos * xd - sin * w;
    }
    v[a + l] = x;
    v[b + l] = y;
    v[c + l] = z;
    v[d + l] = w;
  }
  for (; r < n; r++) {
    const a = r * n;
    let x = v[a + m]!;
    for (let i = m - 1; i >= l; i--) {
      const cos = cosines[i]!;
      const sin = sines[i]!;
      const xa = v[a + i]!;
      v[a + i + 1] = sin * xa + cos * x;
      x = cos * xa - sin * x;
    }
    v[a + l] = x;
  }
}

/** `√(a² + b²)` without overflow or underflow. */
function hypot(a: number, b: number): number {
  const x = Math.abs(a);
  const y = Math.abs(b);
  if (x > y) {
    const t = y / x;
    return x * Math.sqrt(1 + t * t);
  }
  if (y === 0) return 0;
  const t = x / y;
  return y * Math.sqrt(1 + t * t);
}
