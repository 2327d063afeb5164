import { WORDS32 } from "../index/store.js";
import { crc32 } from "./crc32.js";
import { HashList, META_FIELDS, NO_STRING, StringPool } from "./hashlist.js";

/**
 * List file, little-endian:
 *   0  "SLPDQL01"  magic + format version
 *   8  u32 count, u32 stringCount, u32 stringBytes, u32 crc32 of everything after the header
 *  24  count x 32 B hashes (8 uint32 words: word w = 16-bit words 2w | 2w+1 << 16)
 *      count x 5 u32 metadata (id, label, source, origin string refs or 0xffffffff; line)
 *      stringCount x (u32 byte length + UTF-8 bytes)
 */
export const LIST_MAGIC = "SLPDQL01";
const HEADER_BYTES = 24;

/** Hashes and metadata are copied as host-order uint32 arrays, so the host must be little-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function requireLittleEndian(): void {
  if (!LITTLE_ENDIAN) throw new Error("hash list files are only supported on little-endian hosts");
}

const MAGIC_BYTES = new TextEncoder().encode(LIST_MAGIC);

export function encodeHashList(list: HashList): Uint8Array {
  requireLittleEndian();
  const count = list.size;
  const encoded = [...list.strings.encoded()];
  const stringBytes = encoded.reduce((n, b) => n + 4 + b.length, 0);
  const hashBytes = count * WORDS32 * 4;
  const metaBytes = count * META_FIELDS * 4;
  const out = new Uint8Array(HEADER_BYTES + hashBytes + metaBytes + stringBytes);
  const view = new DataView(out.buffer);
  out.set(MAGIC_BYTES, 0);
  view.setUint32(8, count, true);
  view.setUint32(12, encoded.length, true);
  view.setUint32(16, stringBytes, true);
  let at = HEADER_BYTES;
  const packed = list.store.packed();
  out.set(new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength), at);
  at += hashBytes;
  const meta = list.metaWords();
  out.set(new Uint8Array(meta.buffer, meta.byteOffset, metaBytes), at);
  at += metaBytes;
  for (const b of encoded) {
    view.setUint32(at, b.length, true);
    out.set(b, at + 4);
    at += 4 + b.length;
  }
  view.setUint32(20, crc32(out.subarray(HEADER_BYTES)) >>> 0, true);
  return out;
}

export function isHashListFile(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC_BYTES.length && MAGIC_BYTES.every((b, i) => bytes[i] === b);
}

export function decodeHashList(bytes: Uint8Array): HashList {
  requireLittleEndian();
  if (!isHashListFile(bytes)) throw new Error(`not a Safelight PDQ list file (no ${LIST_MAGIC} header)`);
  if (bytes.length < HEADER_BYTES) throw new Error("list file truncated in its header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(8, true);
  const stringCount = view.getUint32(12, true);
  const stringBytes = view.getUint32(16, true);
  const hashBytes = count * WORDS32 * 4;
  const metaBytes = count * META_FIELDS * 4;
  const expected = HEADER_BYTES + hashBytes + metaBytes + stringBytes;
  if (bytes.length !== expected) throw new Error(`list file is ${bytes.length} bytes, header says ${expected}: truncated or corrupt`);
  if ((crc32(bytes.subarray(HEADER_BYTES)) >>> 0) !== view.getUint32(20, true)) throw new Error("list file checksum mismatch: corrupt");
  // Copy into aligned arrays (the file buffer may sit at any byte offset).
  const words = new Uint32Array(copyOut(bytes, HEADER_BYTES, hashBytes));
  const meta = new Uint32Array(copyOut(bytes, HEADER_BYTES + hashBytes, metaBytes));
  const list = new HashList();
  list.store.addPacked(words);
  let at = HEADER_BYTES + hashBytes + metaBytes;
  const starts = new Uint32Array(stringCount);
  const ends = new Uint32Array(stringCount);
  for (let i = 0; i < stringCount; i++) {
    // A corrupt count or length must not read past the end (a RangeError, not a message for the user).
    if (at + 4 > bytes.length) throw new Error("list file string table is corrupt");
    const len = view.getUint32(at, true);
    if (at + 4 + len > bytes.length) throw new Error("list file string table is corrupt");
    starts[i] = at + 4;
    ends[i] = at + 4 + len;
    at += 4 + len;
  }
  if (at !== bytes.length) throw new Error("list file string table is corrupt");
  // Strings stay in the file buffer (a view, not a copy) and are decoded on demand.
  list.strings = StringPool.fromTable(bytes, starts, ends);
  for (let i = 0; i < meta.length; i++) {
    const isRef = i % META_FIELDS !== META_FIELDS - 1;
    if (isRef && meta[i] !== NO_STRING && meta[i]! >= stringCount) {
      throw new Error(`list file entry ${Math.floor(i / META_FIELDS)} refers to a missing string`);
    }
  }
  list.loadMeta(meta);
  return list;
}

/** A fresh, aligned copy (a Uint32Array cannot view a buffer at an odd byte offset). */
function copyOut(bytes: Uint8Array, at: number, length: number): ArrayBuffer {
  const copy = new Uint8Array(length);
  copy.set(bytes.subarray(at, at + length));
  return copy.buffer;
}
