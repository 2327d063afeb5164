/** Writes a message, optionally with one image (previewed before sending). Enter sends; Shift+Enter is a
 *  new line. The file is encrypted in this page before upload. With `warnBeforeSending` (teens), an image
 *  the on-device check finds likely to show nudity asks for confirmation first (docs/image-safety.md). */
import type { OutgoingFile } from "@safelight/client";
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { checkImage, type ImageVerdict } from "../app/imageSafety.js";
import { Dialog } from "./Dialog.js";
import { FormError } from "./FormError.js";
import type { Quote } from "./MessageItem.js";
import { PaperclipIcon } from "./PaperclipIcon.js";
import { useAction } from "./useAction.js";

const MAX_FILE_BYTES = 25 * 1024 * 1024;

export function Composer({
  onSend,
  onTyping,
  onCancelReply,
  replyingTo,
  disabled,
  warnBeforeSending,
}: {
  onSend: (text: string, files: OutgoingFile[]) => Promise<void>;
  /** Whether the box holds text now (the session throttles what it sends). */
  onTyping: (on: boolean) => void;
  onCancelReply: () => void;
  replyingTo: Quote | undefined;
  disabled: boolean;
  warnBeforeSending: boolean;
}) {
  const [text, setText] = useState("");
  const [file, setFile] = useState<OutgoingFile>();
  const [previewUrl, setPreviewUrl] = useState<string>();
  // Started when the image is picked, so it is usually done by the time Send is pressed.
  const [verdict, setVerdict] = useState<Promise<ImageVerdict>>();
  const [warning, setWarning] = useState(false);
  const { busy, error, run, setError } = useAction();
  const fileInput = useRef<HTMLInputElement>(null);
  const textArea = useRef<HTMLTextAreaElement>(null);
  const id = useId();

  // Opening a conversation puts the cursor in the message box, for keyboard users.
  useEffect(() => {
    if (!disabled) textArea.current?.focus();
  }, [disabled, replyingTo]);

  useEffect(() => {
    if (!file) {
      setPreviewUrl(undefined);
      return;
    }
    const url = URL.createObjectURL(new Blob([file.bytes as BlobPart], { type: file.type }));
    setPreviewUrl(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);

  const pick = async (list: FileList | null) => {
    const chosen = list?.[0];
    if (!chosen) return;
    if (chosen.size > MAX_FILE_BYTES) return setError(`${chosen.name} is larger than 25 MB`);
    const picked = { name: chosen.name, type: chosen.type || "application/octet-stream", bytes: new Uint8Array(await chosen.arrayBuffer()) };
    setFile(picked);
    setVerdict(warnBeforeSending && picked.type.startsWith("image/") ? checkImage(chosen, chosen.name) : undefined);
  };

  const clearFile = () => {
    setFile(undefined);
    setVerdict(undefined);
    if (fileInput.current) fileInput.current.value = "";
  };

  const submit = async (e?: FormEvent, confirmed = false) => {
    e?.preventDefault();
    if (busy || disabled || (!text.trim() && !file)) return;
    let sent = false;
    const ok = await run(async () => {
      if (!confirmed && (await verdict)?.kind === "likely-nudity") return setWarning(true);
      await onSend(text.trim(), file ? [file] : []);
      sent = true;
    });
    if (ok && sent) {
      setText("");
      clearFile();
      textArea.current?.focus();
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    }
  };

  const edit = (value: string) => {
    setText(value);
    onTyping(value.trim().length > 0);
  };

  return (
    <>
      <form className="composer" onSubmit={submit} aria-label="Send a message">
        {replyingTo && (
          <div className="reply-draft">
            <blockquote className="reply-quote" aria-label={`Replying to ${replyingTo.sender}`}>
              <span className="sender">{replyingTo.sender}</span>
              <span className="quoted-text">{replyingTo.text}</span>
            </blockquote>
            <button type="button" className="small" onClick={onCancelReply}>
              Cancel reply
            </button>
          </div>
        )}
        {file && (
          <div className="attachment-draft">
            {previewUrl && file.type.startsWith("image/") ? (
              <img src={previewUrl} alt={`Preview of ${file.name}`} className="draft-preview" />
            ) : null}
            <span>{file.name}</span>
            <button type="button" className="small" onClick={clearFile}>
              Remove attachment
            </button>
          </div>
        )}
        <FormError message={error} />
        <div className="composer-row">
          <input
            ref={fileInput}
            id={`${id}-file`}
            type="file"
            accept="image/*"
            className="visually-hidden"
            onChange={(e) => void pick(e.target.files)}
            disabled={disabled}
          />
          <label htmlFor={`${id}-file`} className="button icon attach" title="Attach an image">
            <PaperclipIcon />
            <span className="visually-hidden">Attach an image</span>
          </label>
          <label htmlFor={`${id}-text`} className="visually-hidden">
            Message
          </label>
          <textarea
            ref={textArea}
            id={`${id}-text`}
            rows={1}
            value={text}
            placeholder={disabled ? "You are not a member of this conversation" : "Write a message"}
            onChange={(e) => edit(e.target.value)}
            onKeyDown={onKeyDown}
            disabled={disabled}
          />
          <button type="submit" className="primary" disabled={disabled || busy || (!text.trim() && !file)}>
            {busy ? "Sending…" : "Send"}
          </button>
        </div>
      </form>
      {warning && file && (
        <Dialog title="Send this image?" onClose={() => setWarning(false)}>
          <div className="stack send-warning">
            <p>
              This image may show nudity. Are you sure you want to send it? Once it is sent, you cannot take it back or control who else
              sees it.
            </p>
            <p className="hint">{file.name} was checked on this device; no one is told.</p>
            <div className="row">
              <button type="button" className="danger" onClick={() => {
                  setWarning(false);
                  void submit(undefined, true);
                }}
              >
                Send anyway
              </button>
              <button type="button" className="primary" onClick={() => setWarning(false)}>
                Cancel
              </button>
            </div>
          </div>
        </Dialog>
      )}
    </>
  );
}
