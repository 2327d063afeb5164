/**
 * The 8 symmetries of the square act on the DCT directly: a mirror negates the coefficients of
 * odd frequency along that axis (here even indices, since index i holds frequency i + 1) and a
 * diagonal mirror transposes. So all 8 hashes come from one DCT.
 */
export const DIHEDRAL_NAMES = ["orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipp", "flipm"] as const;
export type DihedralName = (typeof DIHEDRAL_NAMES)[number];

interface Symmetry {
  transpose: boolean;
  negateEvenRows: boolean;
  negateEvenCols: boolean;
}

const SYMMETRIES: Record<DihedralName, Symmetry> = {
  orig: { transpose: false, negateEvenRows: false, negateEvenCols: false },
  rot90: { transpose: true, negateEvenRows: false, negateEvenCols: true },
  rot180: { transpose: false, negateEvenRows: true, negateEvenCols: true },
  rot270: { transpose: true, negateEvenRows: true, negateEvenCols: false },
  flipx: { transpose: false, negateEvenRows: true, negateEvenCols: false },
  flipy: { transpose: false, negateEvenRows: false, negateEvenCols: true },
  flipp: { transpose: true, negateEvenRows: false, negateEvenCols: false },
  flipm: { transpose: true, negateEvenRows: true, negateEvenCols: true },
};

export function transformDct(dct16: Float32Array, name: DihedralName, dim = 16): Float32Array {
  const s = SYMMETRIES[name];
  const out = new Float32Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim; j++) {
      const negate = (s.negateEvenRows && (i & 1) === 0) !== (s.negateEvenCols && (j & 1) === 0);
      const v = dct16[i * dim + j]!;
      out[s.transpose ? j * dim + i : i * dim + j] = negate ? -v : v;
    }
  }
  return out;
}
