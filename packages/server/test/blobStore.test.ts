/**
 * The BlobStore contract on both implementations: files beside SQLite, chunk rows in PostgreSQL.
 * "Two nodes" are two stores on one data directory or one schema.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import type { BlobStore } from "../src/blobs/store.js";
import { PG_MIGRATIONS } from "../src/storage/postgres/migrations.js";
import { openPostgresStorage } from "../src/storage/postgres/storage.js";
import { openSqliteStorage } from "../src/storage/sqlite.js";
import type { Storage } from "../src/storage/types.js";
import { pgTestSchema, requirePostgres, testDatabaseUrl } from "./pgTestSchema.js";

const MiB = 1024 * 1024;
const HOUR = 60 * 60 * 1000;

/** Opens two nodes on the same shared state. */
type OpenNodes = () => Promise<[Storage, Storage]>;

/** Feeds `bytes` in uneven pieces, as a network would. */
function pieces(bytes: Buffer): Readable {
  const sizes = [1, 65_536, 17, 100_000, 4096];
  return Readable.from(
    (function* () {
      for (let at = 0, i = 0; at < bytes.length; i++) {
        const n = sizes[i % sizes.length]!;
        yield bytes.subarray(at, at + n);
        at += n;
      }
    })(),
  );
}

async function readAll(store: BlobStore, blobId: string): Promise<{ bytes: Buffer; largestPiece: number } | undefined> {
  const stream = await store.read(blobId);
  if (stream === undefined) return undefined;
  const got: Buffer[] = [];
  for await (const piece of stream as AsyncIterable<Buffer>) got.push(piece);
  return { bytes: Buffer.concat(got), largestPiece: Math.max(0, ...got.map((p) => p.length)) };
}

/** An upload in progress: a source that has sent `sent` bytes and waits for more. */
function stalledUpload(store: BlobStore, blobId: string, sent: number) {
  const source = new PassThrough();
  const bytes = randomBytes(sent);
  source.write(bytes);
  const result = store.write(blobId, source, 4 * MiB);
  result.catch(() => {}); // awaited by the test; not an unhandled rejection meanwhile
  return { source, bytes, result };
}

function describeBlobStore(name: string, openNodes: OpenNodes): void {
  describe(`BlobStore on ${name}`, () => {
    async function withNodes(fn: (a: BlobStore, b: BlobStore) => Promise<void>): Promise<void> {
      const [sa, sb] = await openNodes();
      try {
        await fn(sa.blobs, sb.blobs);
      } finally {
        await Promise.all([sa.close(), sb.close()]);
      }
    }

    it("round-trips a multi-chunk blob, streamed in pieces, and keeps nothing half-done", () =>
      withNodes(async (a) => {
        const bytes = randomBytes(MiB + 17);
        expect(await a.write("round-trip", pieces(bytes), MiB + 17)).toEqual({ ok: true, size: MiB + 17 });
        const got = await readAll(a, "round-trip");
        expect(got?.bytes.equals(bytes)).toBe(true);
        expect(got!.largestPiece).toBeLessThanOrEqual(256 * 1024); // streamed, not loaded whole
        expect(await a.sweepIncomplete(Date.now() + HOUR)).toBe(0); // a completed blob is not "incomplete"
        expect((await readAll(a, "round-trip"))?.bytes.length).toBe(MiB + 17);
        expect(await a.write("empty", Readable.from([]), 10)).toEqual({ ok: true, size: 0 });
        expect((await readAll(a, "empty"))?.bytes.length).toBe(0);
      }));

    it("rejects a blob over the limit and leaves nothing readable or left over", () =>
      withNodes(async (a, b) => {
        expect(await a.write("big", pieces(randomBytes(MiB + 17)), MiB + 16)).toEqual({ ok: false, reason: "too-large" });
        expect(await a.read("big")).toBeUndefined();
        expect(await b.read("big")).toBeUndefined();
        // A client that keeps sending is cut off after the drain allowance instead of being read forever.
        const endless = Readable.from(
          (function* () {
            for (;;) yield Buffer.alloc(64 * 1024);
          })(),
        );
        expect(await a.write("endless", endless, 1000)).toEqual({ ok: false, reason: "too-large" });
        expect(await a.read("endless")).toBeUndefined();
        expect(await a.sweepIncomplete(Date.now() + HOUR)).toBe(0);
      }));

    it("keeps nothing of an upload whose client went away", () =>
      withNodes(async (a, b) => {
        const { source, result } = stalledUpload(a, "aborted", 300 * 1024);
        await new Promise((resolve) => setTimeout(resolve, 50));
        source.destroy(new Error("client went away"));
        expect(await result).toEqual({ ok: false, reason: "aborted" });
        expect(await a.read("aborted")).toBeUndefined();
        expect(await b.read("aborted")).toBeUndefined();
        expect(await b.sweepIncomplete(Date.now() + HOUR)).toBe(0);
      }));

    it("serves a blob uploaded on one node from the other, and deletes it for both", () =>
      withNodes(async (a, b) => {
        const bytes = randomBytes(600 * 1024);
        const upload = stalledUpload(a, "shared", 300 * 1024);
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(await b.read("shared")).toBeUndefined(); // not until complete
        upload.source.end(bytes.subarray(300 * 1024));
        expect(await upload.result).toEqual({ ok: true, size: 600 * 1024 });
        const got = await readAll(b, "shared");
        expect(got?.bytes.equals(Buffer.concat([upload.bytes, bytes.subarray(300 * 1024)]))).toBe(true);
        await b.delete(["shared", "never-existed"]);
        await b.delete([]);
        expect(await a.read("shared")).toBeUndefined();
        expect(await b.read("shared")).toBeUndefined();
      }));

    it("sweeps an abandoned upload (from any node), never a live or completed one", () =>
      withNodes(async (a, b) => {
        const live = stalledUpload(a, "live", 300 * 1024);
        const abandoned = stalledUpload(a, "abandoned", 300 * 1024);
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(await b.sweepIncomplete(Date.now() - HOUR)).toBe(0); // both received bytes just now
        live.source.end();
        expect(await live.result).toEqual({ ok: true, size: 300 * 1024 });

        // Judged abandoned (as if idle for an hour): removed, and its upload cannot complete afterwards.
        await vi.waitFor(async () => expect(await b.sweepIncomplete(Date.now() + HOUR)).toBe(1));
        abandoned.source.end(randomBytes(10));
        await expect(abandoned.result).rejects.toThrow();
        expect(await a.read("abandoned")).toBeUndefined();
        expect(await b.read("abandoned")).toBeUndefined();
        expect((await readAll(b, "live"))?.bytes.equals(live.bytes)).toBe(true);
      }));
  });
}

describeBlobStore("files (SQLite)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "safelight-blobs-"));
  return [openSqliteStorage(dir), openSqliteStorage(dir)];
});

describeBlobStore("PostgreSQL", async () => {
  await requirePostgres();
  const schema = pgTestSchema();
  const a = await openPostgresStorage(testDatabaseUrl, { schema });
  return [a, await openPostgresStorage(testDatabaseUrl, { schema })];
});

describe("PostgreSQL blob migration", () => {
  it("upgrades a database at v2 (v3 and v4 not there yet) and serves blobs", async () => {
    await requirePostgres();
    const schema = pgTestSchema();
    const client = new pg.Client({ connectionString: testDatabaseUrl });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA ${schema}; SET search_path = ${schema}`);
      await client.query("CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
      for (const m of PG_MIGRATIONS.filter((m) => m.version <= 2)) {
        await client.query(m.sql);
        await client.query("INSERT INTO schema_migrations (version) VALUES ($1)", [m.version]);
      }
    } finally {
      await client.end();
    }
    const storage = await openPostgresStorage(testDatabaseUrl, { schema });
    try {
      const { rows } = await storage.pool.query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version");
      expect(rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
      const bytes = randomBytes(300 * 1024);
      expect(await storage.blobs.write("after-upgrade", pieces(bytes), MiB)).toEqual({ ok: true, size: bytes.length });
      expect((await readAll(storage.blobs, "after-upgrade"))?.bytes.equals(bytes)).toBe(true);
    } finally {
      await storage.close();
    }
  });
});
