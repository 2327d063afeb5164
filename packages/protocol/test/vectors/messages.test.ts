// messages.json: every MLS structure decodes and re-encodes to identical bytes
// (RFC 9420 wire formats). Pure codec, no cryptography: it runs once, not per provider.
import { describe, expect, it } from "vitest";
import { encode, mlsMessageDecoder, mlsMessageEncoder, type Decoder, type Encoder } from "ts-mls";
import { hex, loadVectors } from "./common.js";
import {
  addDecoder,
  addEncoder,
  commitDecoder,
  commitEncoder,
  externalInitDecoder,
  externalInitEncoder,
  groupContextExtensionsDecoder,
  groupContextExtensionsEncoder,
  groupSecretsDecoder,
  groupSecretsEncoder,
  pskDecoder,
  pskEncoder,
  ratchetTreeDecoder,
  ratchetTreeEncoder,
  reinitDecoder,
  reinitEncoder,
  removeDecoder,
  removeEncoder,
  updateDecoder,
  updateEncoder,
} from "./tsMlsInternals.js";

type Messages = Record<string, string>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- heterogeneous codec table
const codecs: Record<string, [Decoder<any>, Encoder<any>]> = {
  mls_welcome: [mlsMessageDecoder, mlsMessageEncoder],
  mls_group_info: [mlsMessageDecoder, mlsMessageEncoder],
  mls_key_package: [mlsMessageDecoder, mlsMessageEncoder],
  ratchet_tree: [ratchetTreeDecoder, ratchetTreeEncoder],
  group_secrets: [groupSecretsDecoder, groupSecretsEncoder],
  add_proposal: [addDecoder, addEncoder],
  update_proposal: [updateDecoder, updateEncoder],
  remove_proposal: [removeDecoder, removeEncoder],
  pre_shared_key_proposal: [pskDecoder, pskEncoder],
  re_init_proposal: [reinitDecoder, reinitEncoder],
  external_init_proposal: [externalInitDecoder, externalInitEncoder],
  group_context_extensions_proposal: [groupContextExtensionsDecoder, groupContextExtensionsEncoder],
  commit: [commitDecoder, commitEncoder],
  public_message_application: [mlsMessageDecoder, mlsMessageEncoder],
  public_message_proposal: [mlsMessageDecoder, mlsMessageEncoder],
  public_message_commit: [mlsMessageDecoder, mlsMessageEncoder],
  private_message: [mlsMessageDecoder, mlsMessageEncoder],
};

const vectors = loadVectors<Messages>("messages.json");

describe("messages (decode / re-encode)", () => {
  it("knows every field in the file", () => {
    const fields = new Set(vectors.flatMap((v) => Object.keys(v)));
    expect([...fields].filter((f) => !(f in codecs))).toEqual([]);
  });

  it.each(Object.keys(codecs))("%s: all %# vectors round-trip", (field) => {
    const [decoder, encoder] = codecs[field]!;
    let checked = 0;
    for (const [i, v] of vectors.entries()) {
      const bytes = v[field];
      if (bytes === undefined) continue;
      const decoded = decoder(hex(bytes), 0);
      expect(decoded, `${field} #${i} decodes`).toBeDefined();
      expect(decoded![1], `${field} #${i} consumes every byte`).toBe(bytes.length / 2);
      expect(encode(encoder, decoded![0]), `${field} #${i} re-encodes`).toEqual(hex(bytes));
      checked++;
    }
    expect(checked).toBe(vectors.length);
  });
});
