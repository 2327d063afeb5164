import { describe, expect, it } from "vitest";
import { AttachmentError, openAttachment, sealAttachment, sha256 } from "../src/index.js";

describe("attachments", () => {
  it("round-trips and rejects tampering", async () => {
    const file = new TextEncoder().encode("holiday photo bytes");
    const sealed = await sealAttachment(file);
    expect(Buffer.from(await openAttachment(sealed.blob, sealed.key, sealed.digest)).toString()).toBe(
      "holiday photo bytes",
    );
    expect(Buffer.from(sealed.blob).includes(Buffer.from("holiday"))).toBe(false);

    const flipped = sealed.blob.slice();
    flipped[flipped.length - 1]! ^= 1;
    await expect(openAttachment(flipped, sealed.key, sealed.digest)).rejects.toThrow(/digest/);
    await expect(openAttachment(flipped, sealed.key, await sha256(flipped))).rejects.toThrow(AttachmentError);
  });

  it("a blob cannot be opened under a second key (key commitment)", async () => {
    const sealed = await sealAttachment(new TextEncoder().encode("file one"));
    const otherKey = crypto.getRandomValues(new Uint8Array(32));
    await expect(openAttachment(sealed.blob, otherKey, sealed.digest)).rejects.toThrow(/commitment/);
  });
});
