/** SQLite hands BLOBs back as Buffers; the rest of the server speaks Uint8Array (a view, not a copy). */
export const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
