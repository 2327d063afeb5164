// deserialization.json: the variable-length vector header (RFC 9420 §2.1.2).
// Pure codec, no cryptography: it runs once, not per provider.
import { describe, expect, it } from "vitest";
import { decode, encode } from "ts-mls";
import { hex, loadVectors } from "./common.js";
import { determineLength, varLenDataDecoder, varLenDataEncoder } from "./tsMlsInternals.js";

interface Deserialization {
  vlbytes_header: string;
  length: number;
}

const vectors = loadVectors<Deserialization>("deserialization.json");

describe("deserialization (vlbytes headers)", () => {
  it.each(vectors)("length $length <-> $vlbytes_header", ({ vlbytes_header, length }) => {
    const header = hex(vlbytes_header);
    expect(determineLength(header)).toEqual({ length, lengthFieldSize: header.length });
    // Decoding a header followed by that many bytes yields the body; encoding reproduces the minimal header.
    if (length <= 4096) {
      const body = new Uint8Array(length).fill(7);
      const framed = Uint8Array.from([...header, ...body]);
      expect(decode(varLenDataDecoder, framed)).toEqual(body);
      expect(encode(varLenDataEncoder, body).subarray(0, header.length)).toEqual(header);
    }
  });
});
