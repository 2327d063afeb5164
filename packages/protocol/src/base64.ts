/**
 * base64url without padding (RFC 4648 §5): the one byte-string encoding in Safelight's JSON.
 * Uses Node's native Buffer codec where there is one (it is on every message's hot path in the server)
 * and btoa/atob in browsers.
 */

interface NodeBufferView {
  toString(encoding: string): string;
  length: number;
  buffer: ArrayBuffer;
  byteOffset: number;
}
interface NodeBuffer {
  from(data: string, encoding: string): NodeBufferView;
  from(data: ArrayBufferLike, byteOffset: number, length: number): NodeBufferView;
}
const NativeBuffer = (globalThis as { Buffer?: NodeBuffer }).Buffer;

export function toB64(bytes: Uint8Array): string {
  // A view, not a copy, of the bytes.
  if (NativeBuffer) return NativeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decode(text: string): Uint8Array {
  if (NativeBuffer) {
    const b = NativeBuffer.from(text, "base64url");
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  }
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Returns undefined when the text is not canonical unpadded base64url. */
export function fromB64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const out = decode(text);
  // Reject non-canonical trailing bits so one value has one spelling.
  return toB64(out) === text ? out : undefined;
}
