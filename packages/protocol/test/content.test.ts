import { describe, expect, it } from "vitest";
import {
  decodeContent,
  encodeContent,
  isMessageRef,
  isReactionEmoji,
  MAX_RECEIPT_IDS,
  newFrankingSalt,
  newMessageRef,
  toB64,
  type AppContent,
} from "../src/index.js";

const salt = () => toB64(newFrankingSalt());
const sentAt = 1_700_000_000_000;
const bytesOf = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));

const samples = (): AppContent[] => [
  { v: 1, type: "text", salt: salt(), text: "hello", sentAt },
  { v: 1, type: "text", salt: salt(), text: "re: hello", sentAt, id: newMessageRef(), replyTo: newMessageRef() },
  { v: 1, type: "meta", salt: salt(), kind: "group", title: "Book club", sentAt },
  { v: 1, type: "receipt", salt: salt(), kind: "delivered", ids: [newMessageRef(), newMessageRef()], sentAt },
  { v: 1, type: "receipt", salt: salt(), kind: "read", ids: [newMessageRef()], sentAt },
  { v: 1, type: "typing", salt: salt(), on: true, sentAt },
  { v: 1, type: "typing", salt: salt(), on: false, sentAt },
  { v: 1, type: "reaction", salt: salt(), target: newMessageRef(), emoji: "👍🏽", sentAt },
  { v: 1, type: "reaction", salt: salt(), target: newMessageRef(), emoji: "❤️", remove: true, sentAt },
  { v: 1, type: "timer", salt: salt(), seconds: 3600, sentAt },
  { v: 1, type: "timer", salt: salt(), seconds: 0, sentAt },
];

describe("application content codec", () => {
  it.each(samples().map((c) => [c.type, c] as const))("round-trips %s", (_type, content) => {
    expect(decodeContent(encodeContent(content))).toEqual(content);
  });

  it("message references are 128 random bits, all distinct", () => {
    const refs = new Set(Array.from({ length: 1000 }, newMessageRef));
    expect(refs.size).toBe(1000);
    for (const r of refs) expect(isMessageRef(r)).toBe(true);
    expect(isMessageRef(toB64(new Uint8Array(15)))).toBe(false);
    expect(isMessageRef("not base64 !")).toBe(false);
  });

  it("a reaction is exactly one emoji", () => {
    for (const e of ["👍", "❤️", "👍🏽", "🇫🇷", "👨‍👩‍👧"]) expect(isReactionEmoji(e)).toBe(true);
    for (const e of ["", "a", "👍👍", "hi 👍", "👍 ", "<b>", "x".repeat(40)]) expect(isReactionEmoji(e)).toBe(false);
  });

  it("rejects malformed control contents", () => {
    const base = { v: 1, salt: salt(), sentAt };
    const bad: unknown[] = [
      { ...base, type: "receipt", kind: "seen", ids: [newMessageRef()] },
      { ...base, type: "receipt", kind: "read", ids: [] },
      { ...base, type: "receipt", kind: "read", ids: ["short"] },
      { ...base, type: "receipt", kind: "read", ids: Array.from({ length: MAX_RECEIPT_IDS + 1 }, newMessageRef) },
      { ...base, type: "receipt", kind: "read", ids: newMessageRef() },
      { ...base, type: "typing", on: "yes" },
      { ...base, type: "typing" },
      { ...base, type: "reaction", target: newMessageRef(), emoji: "lol" },
      { ...base, type: "reaction", target: "x", emoji: "👍" },
      { ...base, type: "reaction", target: newMessageRef(), emoji: "👍", remove: false },
      { ...base, type: "timer", seconds: 60 },
      { ...base, type: "timer", seconds: "3600" },
      { ...base, type: "timer", seconds: -1 },
      { ...base, type: "timer" },
      { ...base, type: "text", text: "hi", id: "x" },
      { ...base, type: "text", text: "hi", replyTo: 7 },
      { ...base, type: "typing", on: true, salt: "short" },
    ];
    for (const b of bad) expect(decodeContent(bytesOf(b)), JSON.stringify(b).slice(0, 80)).toBeUndefined();
  });

  it("drops a type it does not know (a newer client's control kind) and fields it does not know", () => {
    expect(decodeContent(bytesOf({ v: 1, type: "poll", salt: salt(), sentAt, question: "?" }))).toBeUndefined();
    const content = { v: 1, type: "text", salt: salt(), text: "hi", sentAt, mood: "happy" };
    expect(decodeContent(bytesOf(content))).toEqual({ v: 1, type: "text", salt: content.salt, text: "hi", sentAt });
  });

  it("a text without id or replyTo (an older client's) still decodes, without them", () => {
    const decoded = decodeContent(bytesOf({ v: 1, type: "text", salt: salt(), text: "old", sentAt }));
    expect(decoded).toMatchObject({ type: "text", text: "old" });
    expect(decoded && "id" in decoded).toBe(false);
  });

  it("never throws on mutated encodings: each decodes to a valid content or to undefined", () => {
    // Deterministic xorshift, so a failure reproduces.
    let seed = 0x2545f491;
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    let decoded = 0;
    for (let round = 0; round < 3000; round++) {
      const sample = samples()[rand(9)]!;
      const bytes = encodeContent(sample).slice();
      for (let k = 0, flips = 1 + rand(4); k < flips; k++) bytes[rand(bytes.length)] = rand(256);
      const cut = rand(4) === 0 ? bytes.subarray(0, rand(bytes.length)) : bytes;
      const out = decodeContent(cut);
      if (out === undefined) continue;
      decoded++;
      // Whatever survives re-encodes to something that decodes to itself.
      expect(decodeContent(encodeContent(out))).toEqual(out);
    }
    expect(decoded).toBeGreaterThan(0);
  });
});
