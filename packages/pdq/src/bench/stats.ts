import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Value at quantile q (0..1) of the samples, nearest rank. */
export function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

export const median = (samples: number[]): number => quantile(samples, 0.5);

const wallClock = (): number => performance.now();
/** Process CPU time (user + system): robust when other processes share the cores. */
const cpuClock = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Milliseconds of fn by `clock`, repeated `runs` times after `warmup` runs. */
export function timeRuns(runs: number, warmup: number, fn: () => void, clock = wallClock): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = clock();
    fn();
    out.push(clock() - t);
  }
  return out;
}

/** CPU milliseconds of fn per run. */
export const cpuRuns = (runs: number, warmup: number, fn: () => void): number[] => timeRuns(runs, warmup, fn, cpuClock);

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
