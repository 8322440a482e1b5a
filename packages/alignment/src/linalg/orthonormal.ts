/**
 * Completing a set of orthonormal columns to an orthonormal basis (modified Gram–Schmidt against
 * the standard basis vectors).
 */

/**
 * Fills the columns of the column-major matrix `m` (columns of length `n`, at most `n` of them)
 * listed in `missing` with unit vectors orthogonal to every other column.
 *
 * @example
 * ```ts
 * const m = new Float64Array([1, 0, 0, 0]); // e₁ and a missing column
 * orthonormalComplete(m, 2, [1]);            // column 1 becomes ±e₂
 * ```
 */
export function orthonormalComplete(m: Float64Array, n: number, missing: readonly number[]): void {
  const filled = new Set<number>();
  const columns = m.length / n;
  for (let k = 0; k < columns; k++) if (!missing.includes(k)) filled.add(k);
  let candidate = 0;
  for (const k of missing) {
    const column = m.subarray(k * n, (k + 1) * n);
    for (; candidate < n; candidate++) {
      column.fill(0);
      column[candidate] = 1;
      for (let pass = 0; pass < 2; pass++) {
        for (const j of filled) {
          const other = m.subarray(j * n, (j + 1) * n);
          let dot = 0;
          for (let i = 0; i < n; i++) dot += other[i]! * column[i]!;
          for (let i = 0; i < n; i++) column[i] = column[i]! - dot * other[i]!;
        }
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += column[i]! ** 2;
      norm = Math.sqrt(norm);
      if (norm > 1e-8) {
        for (let i = 0; i < n; i++) column[i] = column[i]! / norm;
        filled.add(k);
        candidate++;
        break;
      }
    }
  }
}
