/**
 * A PDQ hash is 256 bits held as sixteen 16-bit words; word w holds DCT row w
 * (bit k = 16*row + col lives in word k >> 4 at bit k & 15).
 */
export type Hash256 = Uint16Array;

export const HASH_WORDS = 16;
export const HASH_HEX_LENGTH = 64;

const HEX_RE = /^[0-9a-fA-F]*$/;

export function zeroHash(): Hash256 {
  return new Uint16Array(HASH_WORDS);
}

/** Text form used by the reference: words printed from 15 down to 0, four hex digits each. */
export function hashToHex(hash: Hash256): string {
  let out = "";
  for (let w = HASH_WORDS - 1; w >= 0; w--) out += (hash[w] ?? 0).toString(16).padStart(4, "0");
  return out;
}

/** Why a string is not a PDQ hash, or undefined when it is one. */
export function hexProblem(text: string): string | undefined {
  if (text.length !== HASH_HEX_LENGTH) {
    return `expected ${HASH_HEX_LENGTH} hex characters, got ${text.length}`;
  }
  if (!HEX_RE.test(text)) {
    const bad = [...text].find((c) => !/[0-9a-fA-F]/.test(c));
    return `not hexadecimal (character ${JSON.stringify(bad)})`;
  }
  return undefined;
}

export function hashFromHex(text: string): Hash256 {
  const problem = hexProblem(text);
  if (problem !== undefined) throw new Error(`invalid PDQ hash: ${problem}`);
  const hash = zeroHash();
  for (let w = 0; w < HASH_WORDS; w++) {
    const at = (HASH_WORDS - 1 - w) * 4;
    hash[w] = parseInt(text.slice(at, at + 4), 16);
  }
  return hash;
}

export function setBit(hash: Hash256, k: number): void {
  hash[k >> 4] = (hash[k >> 4] ?? 0) | (1 << (k & 15));
}

export function getBit(hash: Hash256, k: number): boolean {
  return (((hash[k >> 4] ?? 0) >> (k & 15)) & 1) === 1;
}
