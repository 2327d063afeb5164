/**
 * The reference's quality metric: sum of truncated, scaled absolute neighbour differences in
 * the 64x64 buffer, divided by 90 and capped at 100. Flat or tiny images score low.
 */
export function qualityMetric(buffer64: Float32Array, dim = 64): number {
  const f = Math.fround;
  const scaled = (u: number, v: number): number => Math.abs(Math.trunc(f(f(f(u - v) * 100) / 255)));
  let gradientSum = 0;
  for (let i = 0; i < dim - 1; i++) {
    for (let j = 0; j < dim; j++) gradientSum += scaled(buffer64[i * dim + j]!, buffer64[(i + 1) * dim + j]!);
  }
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim - 1; j++) gradientSum += scaled(buffer64[i * dim + j]!, buffer64[i * dim + j + 1]!);
  }
  return Math.min(100, Math.trunc(gradientSum / 90));
}
