// The one place that decides where the shared test vectors live. They are read
// in place, never copied into the repository.
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const VECTORS_SETTING = "SAFELIGHT_VECTORS";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** Absolute vectors directory: $SAFELIGHT_VECTORS, else <repo root>/../shared/vectors. Throws if it is missing. */
export function vectorsDir(): string {
  const configured = process.env[VECTORS_SETTING];
  const dir = configured !== undefined && configured !== "" ? resolve(configured) : resolve(repoRoot, "../shared/vectors");
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    const how = configured ? `${VECTORS_SETTING}=${configured}` : `default (${VECTORS_SETTING} unset)`;
    throw new Error(`Test vectors directory not found: ${dir} [${how}]. Set ${VECTORS_SETTING} to the shared vectors directory.`);
  }
  return dir;
}

/** Path of one vector file, e.g. vectorPath("mls", "tree-math.json"); throws naming the setting if absent. */
export function vectorPath(...parts: string[]): string {
  const path = join(vectorsDir(), ...parts);
  if (!existsSync(path)) {
    throw new Error(`Test vector file not found: ${path}. Check ${VECTORS_SETTING} (currently ${process.env[VECTORS_SETTING] ?? "unset"}).`);
  }
  return path;
}
