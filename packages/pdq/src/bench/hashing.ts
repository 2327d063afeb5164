/**
 * Hashing benchmark: decode and hash timed separately at 512x512, 1.6 MP and 12 MP.
 * Baseline (same run): the filter written as the C++ is, one running sum at a time (rows, then a
 * strided walk down each column), in place of the 4-lane box4; everything else identical.
 * Run: node packages/pdq/dist/bench/hashing.js
 */
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { dct64To16 } from "../dct.js";
import { decodeImage } from "../node/decode.js";
import { hashImage } from "../hashImage.js";
import { type RawImage, lumaFromImage } from "../image.js";
import { boxPhases, decimate, jaroszFilter, jaroszWindowSize } from "../jarosz.js";
import { qualityMetric } from "../quality.js";
import { bitsFromDct } from "../threshold.js";
import { cpuRuns, median, quantile, round, timeRuns, vectorsPdqDir } from "./stats.js";

const SIZES: [string, number, number][] = [
  ["512x512", 512, 512],
  ["1.6MP", 1600, 1004],
  ["12MP", 4000, 3000],
];

/** Baseline box filter: a single float32 running sum, the C++ loop transliterated. */
function scalarBox(input: Float32Array, output: Float32Array, base: number, samples: number, stride: number, window: number): void {
  const [p1, p2, p3, p4] = boxPhases(samples, window);
  const f = Math.fround;
  let sum = 0;
  let size = 0;
  let ri = base;
  let li = base;
  let oi = base;
  for (let i = 0; i < p1; i++, ri += stride) (sum = f(sum + input[ri]!)), size++;
  for (let i = 0; i < p2; i++, ri += stride, oi += stride) (sum = f(sum + input[ri]!)), size++, (output[oi] = sum / size);
  for (let i = 0; i < p3; i++, ri += stride, li += stride, oi += stride) (sum = f(f(sum + input[ri]!) - input[li]!)), (output[oi] = sum / size);
  for (let i = 0; i < p4; i++, li += stride, oi += stride) (sum = f(sum - input[li]!)), size--, (output[oi] = sum / size);
}

function baselineHash(image: RawImage): void {
  const { width: cols, height: rows } = image;
  const a = lumaFromImage(image);
  const b = new Float32Array(rows * cols);
  const wr = jaroszWindowSize(cols);
  const wc = jaroszWindowSize(rows);
  for (let pass = 0; pass < 2; pass++) {
    for (let r = 0; r < rows; r++) scalarBox(a, b, r * cols, cols, 1, wr);
    for (let j = 0; j < cols; j++) scalarBox(b, a, j, rows, cols, wc);
  }
  const d = decimate(a, rows, cols);
  qualityMetric(d);
  bitsFromDct(dct64To16(d));
}

async function main(): Promise<void> {
  const source = readFileSync(join(vectorsPdqDir(), "images", "bridge-mods", "aaa-orig.jpg"));
  const figures: Record<string, unknown> = {};
  for (const [name, w, h] of SIZES) {
    const jpeg = await sharp(source).resize(w, h, { fit: "fill" }).jpeg({ quality: 90 }).toBuffer();
    const runs = w * h > 4e6 ? 15 : 40;
    const decodeMs: number[] = [];
    for (let i = 0; i < runs + 3; i++) {
      const t = performance.now();
      await decodeImage(jpeg);
      if (i >= 3) decodeMs.push(performance.now() - t);
    }
    const image = await decodeImage(jpeg);
    const hashMs = timeRuns(runs, 5, () => hashImage(image));
    const hashCpuMs = cpuRuns(runs, 0, () => hashImage(image));
    const dihedralMs = timeRuns(runs, 3, () => hashImage(image, { dihedral: true }));
    // Stage split into preallocated buffers (as hashImage reuses its own): luma, then luma + filter.
    const plane = new Float32Array(w * h);
    const scratch = new Float32Array(w * h);
    const lumaMs = cpuRuns(runs, 3, () => lumaFromImage(image, plane));
    const filterMs = cpuRuns(runs, 3, () => {
      jaroszFilter(lumaFromImage(image, plane), scratch, h, w, jaroszWindowSize(w), jaroszWindowSize(h));
    });
    const baselineMs = timeRuns(Math.min(runs, 10), 2, () => baselineHash(image));
    const row = {
      pixels: w * h,
      decodeMsMedian: round(median(decodeMs)),
      hashMsMedian: round(median(hashMs)),
      hashMsP99: round(quantile(hashMs, 0.99)),
      hashCpuMsMedian: round(median(hashCpuMs)),
      hashDihedralMsMedian: round(median(dihedralMs)),
      lumaCpuMsMedian: round(median(lumaMs)),
      lumaAndFilterCpuMsMedian: round(median(filterMs)),
      imagesPerSecondHashOnly: round(1000 / median(hashMs), 1),
      imagesPerSecondDecodeAndHash: round(1000 / (median(hashMs) + median(decodeMs)), 1),
      baselineScalarFilterHashMsMedian: round(median(baselineMs)),
    };
    figures[name] = row;
    console.log(`${name.padEnd(8)} decode ${row.decodeMsMedian} ms  hash ${row.hashMsMedian} ms (cpu ${row.hashCpuMsMedian}, p99 ${row.hashMsP99}, +dihedral ${row.hashDihedralMsMedian})  luma ${row.lumaCpuMsMedian} (cpu)  luma+filter ${row.lumaAndFilterCpuMsMedian} (cpu)  -> ${row.imagesPerSecondDecodeAndHash} img/s decode+hash; baseline scalar ${row.baselineScalarFilterHashMsMedian} ms`);
  }
  console.log(JSON.stringify({ bench: "pdq-hashing", node: process.version, loadAverage: loadavg().map((x) => round(x, 2)), cpus: cpus().length, referenceCppHashMsAt1_6MP: 11, targetMs: 22, figures }));
}

await main();
