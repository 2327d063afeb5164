// Shared plumbing for the official MLS vectors (mlswg/mls-implementations,
// test-vectors.md): load a file in place, pick the providers and suites to run.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defaultCryptoProvider, type CiphersuiteImpl, type CryptoProvider } from "ts-mls";
import { nodeCryptoProvider } from "../../src/crypto/nodeProvider.js";
import { vectorPath } from "../vectorsDir.js";

export interface NamedProvider {
  name: string;
  provider: CryptoProvider;
}

/** ts-mls's WebCrypto default (the browser's provider) and ours; every vector runs against both. */
export const providers: NamedProvider[] = [
  { name: "default", provider: defaultCryptoProvider },
  { name: "node", provider: nodeCryptoProvider },
];

/** Suites a provider can build here (the default lacks the optional X448/ChaCha packages). */
const supported = new Map<CryptoProvider, Promise<Map<number, CiphersuiteImpl>>>();
async function probe(provider: CryptoProvider): Promise<Map<number, CiphersuiteImpl>> {
  const out = new Map<number, CiphersuiteImpl>();
  for (let id = 1; id <= 7; id++) {
    try {
      out.set(id, await provider.getCiphersuiteImpl(id));
    } catch {
      // not available with this provider / these optional dependencies
    }
  }
  return out;
}
export function suitesOf(provider: CryptoProvider): Promise<Map<number, CiphersuiteImpl>> {
  let p = supported.get(provider);
  if (p === undefined) supported.set(provider, (p = probe(provider)));
  return p;
}

export function loadVectors<T>(file: string): T[] {
  return JSON.parse(readFileSync(vectorPath("mls", file), "utf8")) as T[];
}

export interface SuiteCase<T> {
  /** "suite N #i": the test title. */
  label: string;
  /** Which provider built `cs`. */
  provider: string;
  suite: number;
  index: number;
  vector: T;
  cs: CiphersuiteImpl;
}

/** The vectors whose cipher_suite this provider supports, with the built suite. */
export async function casesFor<T extends { cipher_suite: number }>(
  { name, provider }: NamedProvider,
  vectors: T[],
): Promise<SuiteCase<T>[]> {
  const suites = await suitesOf(provider);
  return vectors.flatMap((vector, index) => {
    const cs = suites.get(vector.cipher_suite);
    return cs === undefined ? [] : [{ label: `suite ${vector.cipher_suite} #${index}`, provider: name, suite: vector.cipher_suite, index, vector, cs }];
  });
}

/**
 * Keep every suite-1 vector (our suite) and the first `perSuite` of each other suite. Used only where the
 * P-384/P-521 vectors make a file slow (treekem): the files list vectors smallest-tree first, so the
 * sample still covers each suite's code path, only not its biggest trees.
 */
export function sampleOtherSuites<T extends { cipher_suite: number }>(vectors: T[], perSuite: number): T[] {
  const seen = new Map<number, number>();
  return vectors.filter((v) => {
    if (v.cipher_suite === 1) return true;
    const n = (seen.get(v.cipher_suite) ?? 0) + 1;
    seen.set(v.cipher_suite, n);
    return n <= perSuite;
  });
}

export type Check<T> = (c: SuiteCase<T>) => Promise<void>;

/**
 * One describe block per provider: each named check runs on every vector that provider supports, and
 * ciphersuite 1 must be among them. `finish(cases)` may add tests at the end of a block.
 */
export async function describeVectors<T extends { cipher_suite: number }>(
  title: string,
  vectors: T[],
  checks: Record<string, Check<T>>,
  finish?: (cases: SuiteCase<T>[]) => void,
): Promise<void> {
  for (const named of providers) {
    const cases = await casesFor(named, vectors);
    describe(`${title} [${named.name}]`, () => {
      it("includes ciphersuite 1", () => expect(cases.map((c) => c.suite)).toContain(1));
      for (const [checkName, check] of Object.entries(checks)) {
        it.each(cases)(checkName === "" ? "$label" : `$label: ${checkName}`, check);
      }
      finish?.(cases);
    });
  }
}

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
