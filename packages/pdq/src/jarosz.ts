/**
 * The reference's "Jarosz" filter: a box filter run twice along rows and columns (a cheap
 * approximation of a tent/Gaussian blur), then nearest-sample decimation to 64x64.
 * All sums are float32 in the exact order the C++ uses.
 */
export const DOWNSAMPLE_DIM = 64;
export const JAROSZ_PASSES = 2;

/** Box window so that the output is about `newDim` wide: ceil(oldDim / (2 * newDim)). */
export function jaroszWindowSize(oldDim: number, newDim = DOWNSAMPLE_DIM): number {
  return Math.floor((oldDim + 2 * newDim - 1) / (2 * newDim));
}

/** Phase lengths of the reference's 1-D box: grow, full window, shrink. */
export function boxPhases(length: number, window: number): [number, number, number, number] {
  const half = Math.floor((window + 2) / 2);
  return [half - 1, window - half + 1, length - window, half - 1];
}

/**
 * The reference's 1-D box filter (window grows to full size, slides, shrinks at the far edge),
 * run on four vectors at once: lane k starts at base + lanes[k], samples `stride` apart.
 * One float32 running sum is a chain of dependent fround operations, which is latency-bound in
 * V8; four independent chains keep the CPU busy. Each lane's arithmetic is exactly the C++'s.
 * Fewer than four real lanes: repeat an offset (the duplicate writes the same values).
 */
export function box4(
  input: Float32Array,
  output: Float32Array,
  base: number,
  o1: number,
  o2: number,
  o3: number,
  samples: number,
  stride: number,
  window: number,
): void {
  const [p1, p2, p3, p4] = boxPhases(samples, window);
  const f = Math.fround;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let size = 0;
  let ri = base;
  let li = base;
  let oi = base;
  for (let i = 0; i < p1; i++, ri += stride) {
    s0 = f(s0 + input[ri]!); s1 = f(s1 + input[ri + o1]!); s2 = f(s2 + input[ri + o2]!); s3 = f(s3 + input[ri + o3]!);
    size++;
  }
  for (let i = 0; i < p2; i++, ri += stride, oi += stride) {
    s0 = f(s0 + input[ri]!); s1 = f(s1 + input[ri + o1]!); s2 = f(s2 + input[ri + o2]!); s3 = f(s3 + input[ri + o3]!);
    size++;
    output[oi] = s0 / size; output[oi + o1] = s1 / size; output[oi + o2] = s2 / size; output[oi + o3] = s3 / size;
  }
  for (let i = 0; i < p3; i++, ri += stride, li += stride, oi += stride) {
    s0 = f(f(s0 + input[ri]!) - input[li]!);
    s1 = f(f(s1 + input[ri + o1]!) - input[li + o1]!);
    s2 = f(f(s2 + input[ri + o2]!) - input[li + o2]!);
    s3 = f(f(s3 + input[ri + o3]!) - input[li + o3]!);
    output[oi] = s0 / size; output[oi + o1] = s1 / size; output[oi + o2] = s2 / size; output[oi + o3] = s3 / size;
  }
  for (let i = 0; i < p4; i++, li += stride, oi += stride) {
    s0 = f(s0 - input[li]!); s1 = f(s1 - input[li + o1]!); s2 = f(s2 - input[li + o2]!); s3 = f(s3 - input[li + o3]!);
    size--;
    output[oi] = s0 / size; output[oi + o1] = s1 / size; output[oi + o2] = s2 / size; output[oi + o3] = s3 / size;
  }
}

/** Runs box4 over `count` vectors whose starts are `laneStep` apart. */
function boxMany(input: Float32Array, output: Float32Array, count: number, laneStep: number, samples: number, stride: number, window: number): void {
  for (let k = 0; k < count; k += 4) {
    const last = Math.min(3, count - 1 - k) * laneStep; // clamp: repeat the last real lane
    box4(input, output, k * laneStep, Math.min(laneStep, last), Math.min(2 * laneStep, last), last, samples, stride, window);
  }
}

/** Box filter along each row. */
export function boxAlongRows(input: Float32Array, output: Float32Array, rows: number, cols: number, window: number): void {
  boxMany(input, output, rows, cols, cols, 1, window);
}

/** Box filter down each column; four adjacent columns share cache lines. */
export function boxAlongCols(input: Float32Array, output: Float32Array, rows: number, cols: number, window: number): void {
  boxMany(input, output, cols, 1, rows, cols, window);
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
