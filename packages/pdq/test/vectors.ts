// Where the PDQ reference vectors are read from, in place: $SAFELIGHT_VECTORS, else
// <repo root>/../shared/vectors. A missing directory fails the suite with a message that names the setting.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SETTING = "SAFELIGHT_VECTORS";

export function pdqVectors(): string {
  const fromEnv = process.env[SETTING];
  const root = fromEnv ? resolve(fromEnv) : fileURLToPath(new URL("../../../../shared/vectors", import.meta.url));
  const dir = join(root, "pdq");
  if (!existsSync(dir)) {
    throw new Error(`PDQ vectors not found at ${dir}: set ${SETTING} to the shared vectors directory (now ${fromEnv ?? "unset"})`);
  }
  return dir;
}

export function vectorFile(...parts: string[]): string {
  const path = join(pdqVectors(), ...parts);
  if (!existsSync(path)) throw new Error(`PDQ vector file missing: ${path} (${SETTING}=${process.env[SETTING] ?? "unset"})`);
  return path;
}

/** Rows of an expected/*.csv file (CRLF tolerated) as objects keyed by the header. */
export function expectedCsv(name: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(vectorFile("expected", name), "utf8").split(/\r?\n/).filter((l) => l !== "");
  const keys = head!.split(",");
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [keys[i], v])));
}
