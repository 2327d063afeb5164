/**
 * The reference's "Jarosz" filter: a box filter run twice along rows and columns (a cheap
 * approximation of a tent/Gaussian blur), then nearest-sample decimation to 64x64.
 * All sums are float32 in the exact order the C++ uses; the column pass walks rows
 * in memory order (all columns at once) but performs the same per-column arithmetic.
 */
export const DOWNSAMPLE_DIM = 64;
export const JAROSZ_PASSES = 2;

/** Box window so that the output is about `newDim` wide: ceil(oldDim / (2 * newDim)). */
export function jaroszWindowSize(oldDim: number, newDim = DOWNSAMPLE_DIM): number {
  return Math.floor((oldDim + 2 * newDim - 1) / (2 * newDim));
}

/** Phase lengths of the reference's 1-D box: grow, full window, shrink. */
function phases(length: number, window: number): [number, number, number, number] {
  const half = Math.floor((window + 2) / 2);
  return [half - 1, window - half + 1, length - window, half - 1];
}

/** Box filter along each row (stride 1), row by row. */
export function boxAlongRows(input: Float32Array, output: Float32Array, rows: number, cols: number, window: number): void {
  const [p1, p2, p3, p4] = phases(cols, window);
  const f = Math.fround;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let li = base;
    let ri = base;
    let oi = base;
    let sum = 0;
    let size = 0;
    for (let i = 0; i < p1; i++) { sum = f(sum + input[ri++]!); size++; }
    for (let i = 0; i < p2; i++) { sum = f(sum + input[ri++]!); size++; output[oi++] = sum / size; }
    for (let i = 0; i < p3; i++) { sum = f(f(sum + input[ri++]!) - input[li++]!); output[oi++] = sum / size; }
    for (let i = 0; i < p4; i++) { sum = f(sum - input[li++]!); size--; output[oi++] = sum / size; }
  }
}

/** Box filter down each column; keeps one float32 running sum per column and sweeps rows. */
export function boxAlongCols(input: Float32Array, output: Float32Array, rows: number, cols: number, window: number): void {
  const [p1, p2, p3, p4] = phases(rows, window);
  const sums = new Float32Array(cols); // float32 storage rounds every partial sum like the C++ float
  let li = 0; // row indices into input / output
  let ri = 0;
  let oi = 0;
  let size = 0;
  const add = (row: number): void => {
    const o = row * cols;
    for (let j = 0; j < cols; j++) sums[j] = sums[j]! + input[o + j]!;
  };
  const sub = (row: number): void => {
    const o = row * cols;
    for (let j = 0; j < cols; j++) sums[j] = sums[j]! - input[o + j]!;
  };
  const emit = (row: number): void => {
    const o = row * cols;
    for (let j = 0; j < cols; j++) output[o + j] = sums[j]! / size;
  };
  for (let i = 0; i < p1; i++) { add(ri++); size++; }
  for (let i = 0; i < p2; i++) { add(ri++); size++; emit(oi++); }
  for (let i = 0; i < p3; i++) { add(ri++); sub(li++); emit(oi++); }
  for (let i = 0; i < p4; i++) { sub(li++); size--; emit(oi++); }
}

/**
 * Two passes of rows-then-columns box filtering. Result ends in `buffer1`; `buffer2` is scratch.
 */
export function jaroszFilter(
  buffer1: Float32Array,
  buffer2: Float32Array,
  rows: number,
  cols: number,
  windowAlongRows: number,
  windowAlongCols: number,
  passes = JAROSZ_PASSES,
): void {
  for (let i = 0; i < passes; i++) {
    boxAlongRows(buffer1, buffer2, rows, cols, windowAlongRows);
    boxAlongCols(buffer2, buffer1, rows, cols, windowAlongCols);
  }
}

/** Pick the sample nearest each output cell centre (index math in double, as in the C++). */
export function decimate(input: Float32Array, rows: number, cols: number, outRows = DOWNSAMPLE_DIM, outCols = DOWNSAMPLE_DIM): Float32Array {
  const out = new Float32Array(outRows * outCols);
  for (let i = 0; i < outRows; i++) {
    const ini = Math.floor(((i + 0.5) * rows) / outRows);
    for (let j = 0; j < outCols; j++) {
      const inj = Math.floor(((j + 0.5) * cols) / outCols);
      out[i * outCols + j] = input[ini * cols + inj]!;
    }
  }
  return out;
}
