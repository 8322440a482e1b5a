/**
 * Symmetric eigendecomposition on the host: Householder tridiagonalisation followed by the
 * implicit QL algorithm (EISPACK's `tred2` / `tql2`, as in JAMA), in float64.
 */

/** Eigenvalues (ascending) and eigenvectors of a symmetric matrix. */
export interface SymmetricEigen {
  /** Order of the matrix. */
  readonly n: number;
  /** Eigenvalues in ascending order. */
  readonly values: Float64Array;
  /** Eigenvectors, column-major: eigenvector `k` is `vectors.subarray(k * n, (k + 1) * n)`. */
  readonly vectors: Float64Array;
}

/**
 * Eigendecomposition `A = V diag(values) Vᵀ` of the symmetric `n × n` matrix `a` (row-major; only
 * its symmetry is relied on, not which triangle is filled, so pass a full symmetric matrix).
 *
 * @example
 * ```ts
 * const { values } = symmetricEigen(new Float64Array([2, 1, 1, 2]), 2); // values ≈ [1, 3]
 * ```
 */
export function symmetricEigen(a: Float64Array, n: number): SymmetricEigen {
  const v = new Float64Array(n * n);
  // Column-major storage: element (row r, column c) lives at v[c * n + r]; `a` is symmetric, so copying it as is is its own transpose.
  v.set(a.subarray(0, n * n));
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return { n, values: d, vectors: v };
  tridiagonalize(v, d, e, n);
  diagonalize(v, d, e, n);
  return { n, values: d, vectors: v };
}

function tridiagonalize(v: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = v[j * n + n - 1]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = v[j * n + i - 1]!;
        v[j * n + i] = 0;
        v[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        const col = j * n;
        f = d[j]!;
        v[i * n + j] = f;
        g = e[j]! + v[col + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          const x = v[col + k]!;
          g += x * d[k]!;
          e[k] = e[k]! + x * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        const col = j * n;
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) v[col + k] = v[col + k]! - (f * e[k]! + g * d[k]!);
        d[j] = v[col + i - 1]!;
        v[col + i] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    v[i * n + n - 1] = v[i * n + i]!;
    v[i * n + i] = 1;
    const h = d[i + 1]!;
    const next = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = v[next + k]! / h;
      for (let j = 0; j <= i; j++) {
        const col = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += v[next + k]! * v[col + k]!;
        for (let k = 0; k <= i; k++) v[col + k] = v[col + k]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) v[next + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = v[j * n + n - 1]!;
    v[j * n + n - 1] = 0;
  }
  v[n * n - 1] = 1;
  e[0] = 0;
}

function diagonalize(v: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
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
          const left = i * n;
          const right = left + n;
          for (let k = 0; k < n; k++) {
            const x = v[right + k]!;
            const y = v[left + k]!;
            v[right + k] = s * y + c * x;
            v[left + k] = c * y - s * x;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
  sortAscending(v, d, n);
}

function sortAscending(v: Float64Array, d: Float64Array, n: number): void {
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = d[i]!;
    for (let j = i + 1; j < n; j++) {
      if (d[j]! < p) {
        k = j;
        p = d[j]!;
      }
    }
    if (k !== i) {
      d[k] = d[i]!;
      d[i] = p;
      const column = v.slice(i * n, i * n + n);
      v.copyWithin(i * n, k * n, k * n + n);
      v.set(column, k * n);
    }
  }
}

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
