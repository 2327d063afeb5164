/** RFC 9420 §2.1.2 variable-length integer (the QUIC encoding restricted to 1, 2 and 4 bytes). */
export function encodeVarint(n: number): Uint8Array {
  if (n < 0x40) return Uint8Array.of(n);
  if (n < 0x4000) return Uint8Array.of(0x40 | (n >> 8), n & 0xff);
  if (n < 0x40000000) {
    return Uint8Array.of(0x80 | (n >>> 24), (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  }
  throw new RangeError("varint too large");
}

/** opaque data<V>: the length as a varint, then the bytes. */
export function encodeVarBytes(bytes: Uint8Array): Uint8Array {
  const len = encodeVarint(bytes.length);
  const out = new Uint8Array(len.length + bytes.length);
  out.set(len, 0);
  out.set(bytes, len.length);
  return out;
}
