/** Attachments (docs/attachments.md): sealing and uploading outgoing files, downloading and opening
 *  received ones, and fetching those withheld while a message request was pending (docs/safety.md). */
import { decodeContent, fromB64, openAttachment, sealAttachment, toB64, type FileRef } from "@safelight/protocol";
import type { SavedFile } from "../store/types.js";
import type { SessionContext } from "./context.js";
import { isTransient } from "./retry.js";
import type { OutgoingFile } from "./types.js";

/** Encrypts and uploads each file; the returned references ride inside the encrypted message. */
export async function uploadFiles(ctx: SessionContext, files: OutgoingFile[]): Promise<FileRef[]> {
  const refs: FileRef[] = [];
  for (const f of files) {
    const sealed = await sealAttachment(f.bytes);
    const { blobId } = await ctx.authed((a) => a.uploadBlob(sealed.blob));
    refs.push({ blobId, key: toB64(sealed.key), digest: toB64(sealed.digest), name: f.name, size: f.bytes.length, type: f.type });
  }
  return refs;
}

/** A missing or tampered attachment does not cost the user the message: it is listed with its error. */
export async function fetchFile(ctx: SessionContext, messageId: string, ref: FileRef): Promise<SavedFile> {
  const saved = { name: ref.name, path: "", size: ref.size, type: ref.type };
  const key = fromB64(ref.key);
  const digest = fromB64(ref.digest);
  if (!key || !digest) return { ...saved, error: "malformed attachment reference" };
  try {
    const blob = await ctx.authed((a) => a.downloadBlob(ref.blobId));
    const bytes = await openAttachment(blob, key, digest);
    const path = ctx.opts.fileSink ? await ctx.opts.fileSink(messageId, ref.name, bytes) : "";
    return { ...saved, path, size: bytes.length };
  } catch (err) {
    if (isTransient(err)) throw err;
    return { ...saved, error: (err as Error).message };
  }
}

/** Downloads again the attachments of the account's messages that failed (e.g. withheld while its request
 *  was pending); returns those now saved. */
export async function fetchWithheld(ctx: SessionContext, senderAccountId: string): Promise<SavedFile[]> {
  const saved: SavedFile[] = [];
  for (const m of await ctx.store.listMessages()) {
    if (m.outgoing || m.senderAccountId !== senderAccountId || !m.content || !m.files.some((f) => f.error)) continue;
    const content = decodeContent(m.content);
    if (content?.type !== "text" || !content.files) continue;
    const files = await Promise.all(
      content.files.map((ref, i) => {
        const before = m.files[i];
        return before !== undefined && before.error === undefined ? before : fetchFile(ctx, m.id, ref);
      }),
    );
    await ctx.store.updateMessageFiles(m.id, files);
    saved.push(...files.filter((f, i) => f.error === undefined && m.files[i]?.error !== undefined));
  }
  return saved;
}
