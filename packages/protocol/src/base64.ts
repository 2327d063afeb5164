/**
 * base64url without padding (RFC 4648 §5): the one byte-string encoding in Safelight's JSON.
 * Written on btoa/atob so it runs unchanged in Node and browsers.
 */

export function toB64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Returns undefined when the text is not canonical unpadded base64url. */
export function fromB64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  // Reject non-canonical trailing bits so one value has one spelling.
  return toB64(out) === text ? out : undefined;
}
