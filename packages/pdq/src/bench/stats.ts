import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Value at quantile q (0..1) of the samples, nearest rank. */
export function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

export const median = (samples: number[]): number => quantile(samples, 0.5);

/** Milliseconds of fn, repeated `runs` times after `warmup` runs. */
export function timeRuns(runs: number, warmup: number, fn: () => void): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
  }
  return out;
}

/** CPU milliseconds (user + system) of fn per run: robust when other processes share the cores. */
export function cpuRuns(runs: number, warmup: number, fn: () => void): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.cpuUsage();
    fn();
    const d = process.cpuUsage(t);
    out.push((d.user + d.system) / 1000);
  }
  return out;
}

export const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

export const MiB = 1024 * 1024;

/** The shared vectors directory, by the same setting the tests use. */
export function vectorsPdqDir(): string {
  const env = process.env["SAFELIGHT_VECTORS"];
  const root = env ? resolve(env) : fileURLToPath(new URL("../../../../../shared/vectors", import.meta.url));
  const dir = join(root, "pdq");
  if (!existsSync(dir)) throw new Error(`PDQ vectors not found at ${dir}: set SAFELIGHT_VECTORS`);
  return dir;
}
