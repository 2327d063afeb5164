/** Writes a message, optionally with one image (previewed before sending). Enter sends; Shift+Enter is a
 *  new line. The file is encrypted in this page before upload. */
import type { OutgoingFile } from "@safelight/client";
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
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
}: {
  onSend: (text: string, files: OutgoingFile[]) => Promise<void>;
  /** Whether the box holds text now (the session throttles what it sends). */
  onTyping: (on: boolean) => void;
  onCancelReply: () => void;
  replyingTo: Quote | undefined;
  disabled: boolean;
}) {
  const [text, setText] = useState("");
  const [file, setFile] = useState<OutgoingFile>();
  const [previewUrl, setPreviewUrl] = useState<string>();
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
    setFile({ name: chosen.name, type: chosen.type || "application/octet-stream", bytes: new Uint8Array(await chosen.arrayBuffer()) });
  };

  const clearFile = () => {
    setFile(undefined);
    if (fileInput.current) fileInput.current.value = "";
  };

  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    if (busy || disabled || (!text.trim() && !file)) return;
    const ok = await run(() => onSend(text.trim(), file ? [file] : []));
    if (ok) {
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
  );
}
