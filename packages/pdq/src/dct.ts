/**
 * The 64x64 -> 16x16 partial DCT: B = D A D^T with D the 16x64 DCT-II basis rows 1..16
 * (row 0, the DC term, carries no structure and is skipped). Float32 throughout.
 */
export const DCT_IN = 64;
export const DCT_OUT = 16;

function dctMatrix(): Float32Array {
  const d = new Float32Array(DCT_OUT * DCT_IN);
  // The reference keeps the scale factor in a float, then multiplies by a double cosine.
  const scale = Math.fround(Math.sqrt(2 / DCT_IN));
  for (let i = 0; i < DCT_OUT; i++) {
    for (let j = 0; j < DCT_IN; j++) {
      d[i * DCT_IN + j] = scale * Math.cos((Math.PI / 2 / DCT_IN) * (i + 1) * (2 * j + 1));
    }
  }
  return d;
}

const D = dctMatrix();

/** Returns the 16x16 coefficients (row-major); `scratch` (16x64) may be reused across calls. */
export function dct64To16(a: Float32Array, scratch = new Float32Array(DCT_OUT * DCT_IN)): Float32Array {
  const f = Math.fround;
  const t = scratch;
  // T = D A
  for (let i = 0; i < DCT_OUT; i++) {
    const di = i * DCT_IN;
    for (let j = 0; j < DCT_IN; j++) {
      let sum = 0;
      for (let k = 0; k < DCT_IN; k++) sum = f(sum + f(D[di + k]! * a[k * DCT_IN + j]!));
      t[di + j] = sum;
    }
  }
  // B = T D^T
  const b = new Float32Array(DCT_OUT * DCT_OUT);
  for (let i = 0; i < DCT_OUT; i++) {
    const ti = i * DCT_IN;
    for (let j = 0; j < DCT_OUT; j++) {
      const dj = j * DCT_IN;
      let sum = 0;
      for (let k = 0; k < DCT_IN; k++) sum = f(sum + f(t[ti + k]! * D[dj + k]!));
      b[i * DCT_OUT + j] = sum;
    }
  }
  return b;
}
