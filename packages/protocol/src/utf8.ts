/**
 * UTF-8 encoding for hot paths: Node's native Buffer codec where there is one (a fraction of
 * TextEncoder's cost for short strings there, and the server encodes a franking context per message),
 * TextEncoder in browsers. Returns a plain Uint8Array view either way.
 */
interface NodeBufferFrom {
  from(text: string, encoding: "utf8"): Uint8Array;
}
const NativeBuffer = (globalThis as { Buffer?: NodeBufferFrom }).Buffer;
const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  if (NativeBuffer === undefined) return encoder.encode(text);
  const b = NativeBuffer.from(text, "utf8");
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
