import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { open, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";

export type WriteResult = { ok: true; size: number } | { ok: false; reason: "too-large" | "aborted" };

/**
 * Where attachment bytes live (ciphertext only: the server never sees a key). A blob becomes readable
 * only once its upload completed; the records saying who uploaded it and when it expires are in
 * Storage (putBlob, takeExpiredBlobs).
 */
export interface BlobStore {
  /** Streams `source` into blob `blobId`, at most `maxBytes`. Too large or a failed source: nothing is
   *  kept and the result says why. Rejects (also keeping nothing) when the store itself fails. */
  write(blobId: string, source: Readable, maxBytes: number): Promise<WriteResult>;
  /** The bytes of a completed blob, streamed; undefined if there is none. */
  read(blobId: string): Promise<Readable | undefined>;
  delete(blobIds: string[]): Promise<void>;
  /** Removes uploads that received nothing since `idleSince` (a crashed node's, a vanished client's);
   *  returns how many. */
  sweepIncomplete(idleSince: number): Promise<number>;
}

/** Where one upload goes, step by step; `receiveBlob` drives it. */
export interface BlobSink {
  write(chunk: Buffer): Promise<void>;
  /** Makes the blob readable; fails if the upload was swept meanwhile. */
  commit(): Promise<void>;
  /** Removes whatever was written. */
  discard(): Promise<void>;
}

/** After an overflow, read (and drop) at most this much more so the 413 reaches the client. */
const DRAIN_BYTES = 8 * 1024 * 1024;

/**
 * Streams `source` into `sink`, counting bytes. Past `maxBytes` it stops writing, discards what was
 * written and keeps reading (discarding) for a while so the client can receive the 413 instead of a
 * reset connection. Shared by every BlobStore so the limits behave the same on each.
 */
export async function receiveBlob(source: Readable, maxBytes: number, sink: BlobSink): Promise<WriteResult> {
  let size = 0;
  let tooLarge = false;
  let storeFailed = false;
  const store = (step: Promise<void>) =>
    step.catch((err: unknown) => {
      storeFailed = true;
      throw err;
    });
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) tooLarge = true;
      if (!tooLarge) await store(sink.write(chunk));
      else if (size > maxBytes + DRAIN_BYTES) source.destroy();
    }
    if (!tooLarge) {
      await store(sink.commit());
      return { ok: true, size };
    }
  } catch (err) {
    // The store failing is a server error; the source failing means the client went away.
    if (storeFailed) {
      await discardQuietly(sink);
      throw err;
    }
  }
  await discardQuietly(sink);
  return { ok: false, reason: tooLarge ? "too-large" : "aborted" };
}

/** A failed discard leaves an incomplete upload: unreadable, and removed by the next sweep. */
async function discardQuietly(sink: BlobSink): Promise<void> {
  await sink.discard().catch(() => {});
}

/**
 * Blob files at `<dir>/<id>` (one box: `<dataDir>/blobs`). An upload is written to `<id>.part` and
 * renamed when complete, so a crash leaves only a `.part` file, which the sweeper removes.
 */
export class FileBlobStore implements BlobStore {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private path(blobId: string): string {
    return join(this.dir, blobId);
  }

  async write(blobId: string, source: Readable, maxBytes: number): Promise<WriteResult> {
    const part = `${this.path(blobId)}.part`;
    const out = createWriteStream(part, { flags: "wx" });
    // Always listen: a write failing after we gave up must not become an uncaught 'error'.
    let writeError: Error | undefined;
    out.on("error", (err) => {
      writeError = err;
    });
    const check = () => {
      if (writeError) throw writeError;
    };
    return receiveBlob(source, maxBytes, {
      write: async (chunk) => {
        check();
        if (!out.write(chunk)) await waitFor(out, "drain");
        check();
      },
      commit: async () => {
        out.end();
        await waitFor(out, "close");
        check();
        await rename(part, this.path(blobId));
      },
      discard: async () => {
        out.destroy();
        await waitFor(out, "close");
        await rm(part, { force: true });
      },
    });
  }

  async read(blobId: string): Promise<Readable | undefined> {
    // Open first so a missing file is an answer here, not an error on the stream later.
    const handle = await open(this.path(blobId), "r").catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return undefined;
      throw err;
    });
    return handle?.createReadStream();
  }

  async delete(blobIds: string[]): Promise<void> {
    await Promise.all(blobIds.map((id) => rm(this.path(id), { force: true })));
  }

  async sweepIncomplete(idleSince: number): Promise<number> {
    const parts = (await readdir(this.dir)).filter((n) => n.endsWith(".part")).map((n) => join(this.dir, n));
    const removed = await Promise.all(
      parts.map(async (f) => {
        // An upload in progress keeps touching its file; only an idle one is abandoned.
        const mtime = await stat(f).then((s) => s.mtimeMs, () => Infinity);
        if (mtime >= idleSince) return false;
        await rm(f, { force: true });
        return true;
      }),
    );
    return removed.filter(Boolean).length;
  }
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
