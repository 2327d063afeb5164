import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";

/** Blob files live at `<dataDir>/blobs/<id>`; in-progress uploads at `<id>.part`. */
export function blobPath(blobDir: string, blobId: string): string {
  return join(blobDir, blobId);
}

export type WriteResult = { ok: true; size: number } | { ok: false; reason: "too-large" | "aborted" };

/** After an overflow, read (and drop) at most this much more so the 413 reaches the client. */
const DRAIN_BYTES = 8 * 1024 * 1024;

/**
 * Streams `source` into the blob file, counting bytes. Past `maxBytes` it stops writing, deletes
 * the partial file and keeps reading (discarding) for a while so the client can receive the 413
 * instead of a reset connection. The file only gets its final name once complete, so a crash
 * leaves only a `.part` file, which start-up removes.
 */
export async function writeBlob(blobDir: string, blobId: string, source: Readable, maxBytes: number): Promise<WriteResult> {
  const part = `${blobPath(blobDir, blobId)}.part`;
  const out = createWriteStream(part, { flags: "wx" });
  // Always listen: a write failing after we gave up must not become an uncaught 'error'.
  let writeError: Error | undefined;
  out.on("error", (err) => {
    writeError = err;
  });
  let size = 0;
  let outcome: "ok" | "too-large" | "aborted" = "ok";
  try {
    for await (const chunk of source) {
      size += (chunk as Buffer).length;
      if (outcome === "too-large") {
        if (size > maxBytes + DRAIN_BYTES) source.destroy();
        continue;
      }
      if (size > maxBytes) {
        outcome = "too-large";
        continue;
      }
      if (writeError) throw writeError;
      if (!out.write(chunk)) await waitFor(out, "drain");
    }
  } catch {
    if (outcome === "ok") outcome = "aborted";
  }
  if (outcome === "ok" && !writeError) {
    out.end();
    await waitFor(out, "close");
    if (!writeError) {
      await rename(part, blobPath(blobDir, blobId));
      return { ok: true, size };
    }
  }
  out.destroy();
  await waitFor(out, "close");
  await rm(part, { force: true });
  return { ok: false, reason: outcome === "too-large" ? "too-large" : "aborted" };
}

/** Resolves on `event`, or on error/close (the caller checks state afterwards). */
function waitFor(stream: WriteStream, event: "drain" | "close"): Promise<void> {
  if (event === "close" && stream.closed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off(event, done).off("error", done).off("close", done);
      resolve();
    };
    stream.on(event, done).on("error", done).on("close", done);
  });
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
