/** The no-plaintext check: nothing a person typed or attached appears in the server's data dir or log. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const f = join(dir, e);
    return statSync(f).isDirectory() ? filesUnder(f) : [f];
  });
}

/** Returns the texts that were found (empty when the server holds only ciphertext). */
export function plaintextsFound(dataDir: string, serverLog: string, texts: string[]): string[] {
  const haystacks = [...filesUnder(dataDir).map((f) => readFileSync(f)), Buffer.from(serverLog)];
  return texts.filter((t) => {
    const needles = [Buffer.from(t, "utf8"), Buffer.from(t, "utf16le")];
    return haystacks.some((h) => needles.some((n) => h.includes(n)));
  });
}

export function hasDatabase(dataDir: string): boolean {
  return filesUnder(dataDir).some((f) => f.endsWith(".db"));
}
