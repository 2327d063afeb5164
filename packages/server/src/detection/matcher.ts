/**
 * Checking an image the server can see (docs/known-images.md): SHA-256 for exact copies of material
 * already matched, then decode + PDQ (@safelight/pdq; with its 8 dihedral hashes unless turned off) and
 * every active list within its threshold.
 * Checks run through a small queue (bounded concurrency) so a burst of uploads cannot starve requests.
 */
import { createHash } from "node:crypto";
import { DIHEDRAL_NAMES, type DihedralHashes, type Hash256, hashImage, hashToHex } from "@safelight/pdq";
import { ImageInputError, decodeImage } from "@safelight/pdq/node";
import type { HashListService, ListMatch } from "./hashLists.js";

export interface ImageCheck {
  sha256: string;
  /** Undefined when the image could not be decoded. */
  pdq: string | undefined;
  quality: number | undefined;
  matches: ListMatch[];
  /** Matched because its SHA-256 equals material already matched (no decode needed). */
  exact: boolean;
  /** Why the image could not be decoded (not an image, too many pixels, truncated). */
  invalid: string | undefined;
}

export interface MatcherOptions {
  maxPixels: number;
  concurrency: number;
  /** Also match the 7 rotations and mirror images (docs/known-images.md). */
  dihedral: boolean;
}

export class ImageMatcher {
  /** SHA-256 (hex) of material that matched a list → those matches; exact copies skip the decode. Safe to
   *  be stale across nodes: only matches of lists still active here count, and material that matched
   *  nothing is not remembered, so a list imported on another node is checked once this node reloads. */
  private readonly known = new Map<string, { matches: ListMatch[]; pdq: string; quality: number }>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly lists: HashListService,
    private readonly options: MatcherOptions,
  ) {}

  rememberMatch(sha256: string, matches: ListMatch[], pdq: string, quality: number): void {
    if (matches.length) this.known.set(sha256, { matches, pdq, quality });
  }

  matchHash(hash: Hash256): Promise<ListMatch[]> {
    return this.lists.match(hash);
  }

  /** Every list entry near any of the 8 symmetries, each entry once at its nearest (the image as it is
   *  wins a tie: a symmetric picture matches untransformed). */
  private async matchDihedral(hashes: DihedralHashes): Promise<ListMatch[]> {
    const best = new Map<string, ListMatch>();
    for (const name of DIHEDRAL_NAMES) {
      for (const m of await this.lists.match(hashes[name])) {
        const key = `${m.listId}:${m.hash}`;
        const seen = best.get(key);
        if (seen === undefined || m.distance < seen.distance) best.set(key, name === "orig" ? m : { ...m, transform: name });
      }
    }
    return [...best.values()].sort((a, b) => a.distance - b.distance);
  }

  /** Runs the check in the queue; resolves with the verdict. `decodable` runs once the bytes are known to
   *  be an image, before hashing and matching: never for bytes that turn out `invalid`. */
  async check(bytes: Uint8Array, decodable: () => Promise<void> = async () => undefined): Promise<ImageCheck> {
    if (this.running >= this.options.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await this.checkNow(bytes, decodable);
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private async checkNow(bytes: Uint8Array, decodable: () => Promise<void>): Promise<ImageCheck> {
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const exact = this.known.get(sha256);
    // Lists may have been retired since: only matches of lists still active count.
    const activeIds = new Set(this.lists.active.map((l) => l.listId));
    const stillActive = exact?.matches.filter((m) => activeIds.has(m.listId)) ?? [];
    if (exact && stillActive.length) {
      await decodable(); // decoded when it first matched
      return { sha256, pdq: exact.pdq, quality: exact.quality, matches: stillActive, exact: true, invalid: undefined };
    }
    let image;
    try {
      image = await decodeImage(bytes, { maxPixels: this.options.maxPixels });
    } catch (err) {
      if (err instanceof ImageInputError) return { sha256, pdq: undefined, quality: undefined, matches: [], exact: false, invalid: err.message };
      throw err;
    }
    await decodable();
    const { hash, quality, dihedral } = hashImage(image, { dihedral: this.options.dihedral });
    const matches = dihedral ? await this.matchDihedral(dihedral) : await this.lists.match(hash);
    const pdq = hashToHex(hash);
    this.rememberMatch(sha256, matches, pdq, quality);
    return { sha256, pdq, quality, matches, exact: false, invalid: undefined };
  }
}
