// transcript-hashes.json: confirmed/interim transcript hashes and the
// confirmation tag of a commit (RFC 9420 §8.2, §6.1).
import { describe, expect, it } from "vitest";
import { contentTypes, decode } from "ts-mls";
import { describeVectors, hex, loadVectors } from "./common.js";
import { authenticatedContentDecoder, createConfirmedHash, createInterimHash, verifyConfirmationTag } from "./tsMlsInternals.js";

interface TranscriptHashes {
  cipher_suite: number;
  confirmation_key: string;
  authenticated_content: string;
  interim_transcript_hash_before: string;
  confirmed_transcript_hash_after: string;
  interim_transcript_hash_after: string;
}

const vectors = loadVectors<TranscriptHashes>("transcript-hashes.json");

await describeVectors("transcript-hashes", vectors, {
  "": async ({ vector: v, cs }) => {
    const ac = decode(authenticatedContentDecoder, hex(v.authenticated_content));
    if (ac === undefined || ac.content.contentType !== contentTypes.commit || !("confirmationTag" in ac.auth)) {
      throw new Error("expected an AuthenticatedContent carrying a commit");
    }
    const tag = ac.auth.confirmationTag;
    const confirmed = await createConfirmedHash(
      hex(v.interim_transcript_hash_before),
      { wireformat: ac.wireformat, content: ac.content, signature: ac.auth.signature },
      cs.hash,
    );
    expect(confirmed).toEqual(hex(v.confirmed_transcript_hash_after));
    expect(await verifyConfirmationTag(hex(v.confirmation_key), tag, confirmed, cs.hash)).toBe(true);
    expect(await verifyConfirmationTag(new Uint8Array(cs.kdf.size), tag, confirmed, cs.hash)).toBe(false);
    expect(await createInterimHash(confirmed, tag, cs.hash)).toEqual(hex(v.interim_transcript_hash_after));
  },
});
