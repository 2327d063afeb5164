/**
 * Attachment bytes in PostgreSQL, so every node serves every blob: one `blob_contents` row per blob
 * and its bytes in `blob_chunks`, CHUNK_BYTES per row. Chunks are committed one by one (an upload holds
 * no connection or transaction while the client is slow); the blob becomes readable when its row is
 * marked complete, after the last chunk.
 */
import { Readable } from "node:stream";
import { receiveBlob, type BlobStore, type WriteResult } from "../../blobs/store.js";
import { ts, type Pool } from "./pool.js";

/** Rows small enough to stream and to insert in one round trip, large enough to keep rows few. */
const CHUNK_BYTES = 256 * 1024;

export class PgBlobStore implements BlobStore {
  constructor(private readonly pool: Pool) {}

  async write(blobId: string, source: Readable, maxBytes: number): Promise<WriteResult> {
    await this.pool.query("INSERT INTO blob_contents (blob_id, touched_at) VALUES ($1, $2)", [blobId, ts(Date.now())]);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let chunks = 0;
    const insert = async (data: Buffer) => {
      // Fails once the sweeper removed the upload (foreign key), so a swept upload cannot go on.
      await this.pool.query(
        `WITH chunk AS (INSERT INTO blob_chunks (blob_id, seq, data) VALUES ($1, $2, $3))
         UPDATE blob_contents SET touched_at = $4 WHERE blob_id = $1`,
        [blobId, chunks, data, ts(Date.now())],
      );
      chunks++;
    };
    const flush = async (all: boolean) => {
      let buffered = Buffer.concat(pending, pendingBytes);
      while (buffered.length >= CHUNK_BYTES || (all && buffered.length > 0)) {
        await insert(buffered.subarray(0, CHUNK_BYTES));
        buffered = buffered.subarray(CHUNK_BYTES);
      }
      pending = [buffered];
      pendingBytes = buffered.length;
    };
    return receiveBlob(source, maxBytes, {
      write: async (chunk) => {
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= CHUNK_BYTES) await flush(false);
      },
      commit: async () => {
        await flush(true);
        const { rowCount } = await this.pool.query("UPDATE blob_contents SET complete = true, chunks = $2 WHERE blob_id = $1 AND NOT complete", [
          blobId,
          chunks,
        ]);
        if (rowCount !== 1) throw new Error(`upload ${blobId} was removed before it completed`);
      },
      discard: async () => {
        await this.delete([blobId]);
      },
    });
  }

  async read(blobId: string): Promise<Readable | undefined> {
    const { rows } = await this.pool.query<{ chunks: number }>("SELECT chunks FROM blob_contents WHERE blob_id = $1 AND complete", [blobId]);
    if (rows[0] === undefined) return undefined;
    const count = rows[0].chunks;
    const pool = this.pool;
    // One chunk per query, fetched as the reader asks for more: memory stays at about one chunk.
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let seq = 0; seq < count; seq++) {
        const { rows } = await pool.query<{ data: Buffer }>("SELECT data FROM blob_chunks WHERE blob_id = $1 AND seq = $2", [blobId, seq]);
        if (rows[0] === undefined) throw new Error(`blob ${blobId} was deleted while being read`);
        yield rows[0].data;
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  async delete(blobIds: string[]): Promise<void> {
    if (blobIds.length > 0) await this.pool.query("DELETE FROM blob_contents WHERE blob_id = ANY($1)", [blobIds]);
  }

  async sweepIncomplete(idleSince: number): Promise<number> {
    const { rowCount } = await this.pool.query("DELETE FROM blob_contents WHERE NOT complete AND touched_at < $1", [ts(idleSince)]);
    return rowCount ?? 0;
  }
}
