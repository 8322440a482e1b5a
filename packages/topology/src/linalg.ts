/**
 * Small dense linear algebra on the host (matrices of a neighbourhood's size): symmetric
 * eigendecomposition by cyclic Jacobi rotations and linear solves by Gaussian elimination.
 */

/** @internal Eigenvalues (descending) and eigenvectors (columns, row-major `size × size`) of a symmetric matrix. */
export function symmetricEigen(matrix: Float64Array, size: number): { values: Float64Array; vectors: Float64Array } {
  const a = matrix.slice();
  const v = new Float64Array(size * size);
  for (let i = 0; i < size; i++) v[i * size + i] = 1;
  let norm = 0;
  for (let i = 0; i < size * size; i++) norm += a[i]! ** 2;
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < size; p++) for (let q = p + 1; q < size; q++) off += a[p * size + q]! ** 2;
    if (off <= 1e-30 * norm) break;
    for (let p = 0; p < size; p++) {
      for (let q = p + 1; q < size; q++) {
        const apq = a[p * size + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * size + q]! - a[p * size + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < size; k++) {
          const akp = a[k * size + p]!;
          const akq = a[k * size + q]!;
          a[k * size + p] = c * akp - s * akq;
          a[k * size + q] = s * akp + c * akq;
        }
        for (let k = 0; k < size; k++) {
          const apk = a[p * size + k]!;
          const aqk = a[q * size + k]!;
          a[p * size + k] = c * apk - s * aqk;
          a[q * size + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < size; k++) {
          const vkp = v[k * size + p]!;
          const vkq = v[k * size + q]!;
          v[k * size + p] = c * vkp - s * vkq;
          v[k * size + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: size }, (_, i) => i).sort((i, j) => a[j * size + j]! - a[i * size + i]!);
  const values = Float64Array.from(order, (i) => a[i * size + i]!);
  const vectors = new Float64Array(size * size);
  order.forEach((from, to) => {
    for (let k = 0; k < size; k++) vectors[k * size + to] = v[k * size + from]!;
  });
  return { values, vectors };
}

/** @internal Solves A X = B for X (A `size × size`, B `size × columns`, row-major), or undefined when A is singular. */
export function solve(matrix: Float64Array, rhs: Float64Array, size: number, columns: number): Float64Array | undefined {
  const a = matrix.slice();
  const b = rhs.slice();
  for (let col = 0; col < size; col++) {
    let pivot = col;
    for (let r = col + 1; r < size; r++) if (Math.abs(a[r * size + col]!) > Math.abs(a[pivot * size + col]!)) pivot = r;
    if (Math.abs(a[pivot * size + col]!) < 1e-12) return undefined;
    if (pivot !== col) {
      for (let k = 0; k < size; k++) [a[col * size + k], a[pivot * size + k]] = [a[pivot * size + k]!, a[col * size + k]!];
      for (let k = 0; k < columns; k++) [b[col * columns + k], b[pivot * columns + k]] = [b[pivot * columns + k]!, b[col * columns + k]!];
    }
    for (let r = col + 1; r < size; r++) {
      const f = a[r * size + col]! / a[col * size + col]!;
      if (f === 0) continue;
      for (let k = col; k < size; k++) a[r * size + k]! -= f * a[col * size + k]!;
      for (let k = 0; k < columns; k++) b[r * columns + k]! -= f * b[col * columns + k]!;
    }
  }
  for (let col = size - 1; col >= 0; col--) {
    for (let k = 0; k < columns; k++) {
      let s = b[col * columns + k]!;
      for (let j = col + 1; j < size; j++) s -= a[col * size + j]! * b[j * columns + k]!;
      b[col * columns + k] = s / a[col * size + col]!;
    }
  }
  return b;
}

/** @internal The Gram matrix of the offsets y_j = x_{j} − x_{base} of the listed rows (`count × count`). */
export function offsetGram(data: Float64Array, dim: number, base: number, rows: Int32Array, from: number, count: number): Float64Array {
  const offsets = new Float64Array(count * dim);
  for (let j = 0; j < count; j++) {
    const r = rows[from + j]!;
    for (let c = 0; c < dim; c++) offsets[j * dim + c] = data[r * dim + c]! - data[base * dim + c]!;
  }
  const gram = new Float64Array(count * count);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let c = 0; c < dim; c++) s += offsets[i * dim + c]! * offsets[j * dim + c]!;
      gram[i * count + j] = s;
      gram[j * count + i] = s;
    }
  }
  return gram;
}

/** @internal Double-centres a Gram matrix: (I − J/k) G (I − J/k), the Gram of the offsets about their mean. */
export function centreGram(gram: Float64Array, count: number): Float64Array {
  const rowMean = new Float64Array(count);
  let total = 0;
  for (let i = 0; i < count; i++) {
    let s = 0;
    for (let j = 0; j < count; j++) s += gram[i * count + j]!;
    rowMean[i] = s / count;
    total += s;
  }
  total /= count * count;
  const out = new Float64Array(count * count);
  for (let i = 0; i < count; i++) for (let j = 0; j < count; j++) out[i * count + j] = gram[i * count + j]! - rowMean[i]! - rowMean[j]! + total;
  return out;
}
