import { createReadStream, createWriteStream } from "node:fs";
import { readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";

/** Blob files live at `<dataDir>/blobs/<id>`; in-progress uploads at `<id>.part`. */
export function blobPath(blobDir: string, blobId: string): string {
  return join(blobDir, blobId);
}

export type WriteResult = { ok: true; size: number } | { ok: false; reason: "too-large" | "aborted" };

/**
 * Streams `source` into the blob file, stopping at `maxBytes`. On overflow or abort the partial
 * file is deleted; the file only gets its final name once complete, so a crash leaves only a
 * `.part` file that the sweeper removes.
 */
export async function writeBlob(blobDir: string, blobId: string, source: Readable, maxBytes: number): Promise<WriteResult> {
  const final = blobPath(blobDir, blobId);
  const part = `${final}.part`;
  const out = createWriteStream(part, { flags: "wx" });
  let size = 0;
  let tooLarge = false;
  try {
    for await (const chunk of source) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > maxBytes) {
        tooLarge = true;
        break;
      }
      if (!out.write(buf)) await new Promise<void>((resolve) => out.once("drain", resolve));
    }
  } catch {
    await discard(out, part);
    return { ok: false, reason: "aborted" };
  }
  if (tooLarge) {
    await discard(out, part);
    return { ok: false, reason: "too-large" };
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  await rename(part, final);
  return { ok: true, size };
}

async function discard(out: ReturnType<typeof createWriteStream>, part: string): Promise<void> {
  await new Promise<void>((resolve) => out.destroy() && out.once("close", () => resolve()));
  await rm(part, { force: true });
}

export function readBlob(blobDir: string, blobId: string): Readable {
  return createReadStream(blobPath(blobDir, blobId));
}

export async function deleteBlobs(blobDir: string, blobIds: string[]): Promise<void> {
  await Promise.all(blobIds.map((id) => rm(blobPath(blobDir, id), { force: true })));
}

/** Leftovers of uploads interrupted by a crash. */
export async function removePartFiles(blobDir: string): Promise<void> {
  const names = await readdir(blobDir);
  await Promise.all(names.filter((n) => n.endsWith(".part")).map((n) => rm(join(blobDir, n), { force: true })));
}
