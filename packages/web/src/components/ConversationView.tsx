/** One open conversation: history (from this browser's store), live updates, and the composer. */
import { deviceChangeText, type StoredMessage } from "@safelight/client";
import { useEffect, useRef, useState } from "react";
import { useSession } from "../app/context.js";
import type { ConversationItem } from "../app/session.js";
import { Composer } from "./Composer.js";
import { MembersDialog } from "./MembersDialog.js";
import { MessageItem } from "./MessageItem.js";
import { ReportDialog } from "./ReportDialog.js";
import { VerifyDialog } from "./VerifyDialog.js";
import { RequestBanner } from "./RequestBanner.js";

export function ConversationView({ conversation, onBack }: { conversation: ConversationItem; onBack: () => void }) {
  const session = useSession();
  const [messages, setMessages] = useState<StoredMessage[]>([]);
  const [names, setNames] = useState<Record<string, string>>({});
  const [showMembers, setShowMembers] = useState(false);
  const [verifying, setVerifying] = useState(false);
  const [devicesChanged, setDevicesChanged] = useState(false);
  const [held, setHeld] = useState({ count: 0, unconfirmed: [] as string[] });
  const [reporting, setReporting] = useState<StoredMessage>();
  const end = useRef<HTMLLIElement>(null);

  // Re-read on every session change (a sync, a send): the store is the single source of truth.
  useEffect(() => {
    let stale = false;
    void (async () => {
      const list = await session.history(conversation.id);
      const senders = [...new Set(list.map((m) => m.senderAccountId))];
      const resolved = Object.fromEntries(await Promise.all(senders.map(async (a) => [a, await session.nameOf(a)] as const)));
      if (stale) return;
      setMessages(list);
      setNames(resolved);
      if (document.visibilityState === "visible") session.markRead(conversation.id, list);
    })();
    return () => {
      stale = true;
    };
  }, [session, session.revision, conversation.id]);

  // A verified contact whose devices changed since is no longer verified: say so (docs/safety-numbers.md).
  useEffect(() => {
    let stale = false;
    void session
      .held(conversation.id)
      .then((h) => !stale && setHeld(h))
      .catch(() => undefined);
    if (conversation.kind !== "direct") return;
    void session
      .verification(conversation.label)
      .then((v) => !stale && setDevicesChanged(v.changedSinceVerified))
      .catch(() => undefined);
    return () => {
      stale = true;
    };
  }, [session, session.revision, conversation.kind, conversation.label, verifying]);

  // A block body on purpose: newer browsers return a Promise from scrollIntoView, which must not become
  // the effect's cleanup.
  useEffect(() => {
    void end.current?.scrollIntoView({ block: "end" });
  }, [messages.length]);

  return (
    <section className="conversation-view" aria-labelledby="conversation-title">
      <header className="chat-head">
        <button type="button" className="back" onClick={onBack} aria-label="Back to conversations">
          ‹
        </button>
        <div className="chat-title">
          <h2 id="conversation-title">{conversation.label}</h2>
          <span className="hint">
            {conversation.kind === "group" ? `${conversation.members.length} members · ` : ""}end-to-end encrypted
          </span>
        </div>
        {conversation.kind === "direct" && (
          <button type="button" onClick={() => setVerifying(true)}>
            Verify
          </button>
        )}
        {conversation.kind === "group" && (
          <button type="button" onClick={() => setShowMembers(true)}>
            Members
          </button>
        )}
      </header>
      {devicesChanged && (
        <p className="notice safety-notice" role="status">
          {conversation.label}'s devices changed since you verified them: {conversation.label} is no longer verified. Compare safety numbers again.
        </p>
      )}
      {held.count > 0 && (
        <p className="notice safety-notice" role="status">
          {held.count} message{held.count === 1 ? "" : "s"} held, not sent: new devices of {held.unconfirmed.join(", ") || "a member"} are not
          confirmed.{" "}
          <button type="button" className="small" onClick={() => void session.confirmDevices(conversation.id)}>
            Confirm devices and send
          </button>
        </p>
      )}
      {conversation.request && <RequestBanner request={conversation.request} inGroup={conversation.kind === "group"} />}
      <ol className="messages" role="log" aria-label={`Messages with ${conversation.label}`} aria-live="polite">
        {messages.map((m) =>
          m.device ? (
            // Device changes are never silent (docs/safety-numbers.md): a line in the timeline, with its time.
            <li key={m.id} className="device-change">
              {deviceChangeText({ name: names[m.senderAccountId] ?? "…", deviceId: m.senderDeviceId, change: m.device })} ·{" "}
              <time dateTime={new Date(m.sentAt).toISOString()}>{new Date(m.sentAt).toLocaleString()}</time>
            </li>
          ) : (
          <MessageItem key={m.id} message={m} sender={names[m.senderAccountId] ?? "…"} showSender={conversation.kind === "group" && !m.outgoing} onReport={setReporting} />
          ),
        )}
        <li ref={end} className="end" aria-hidden="true" />
      </ol>
      {!conversation.active && <p className="notice">You are no longer a member of this conversation.</p>}
      <Composer disabled={!conversation.active} onSend={(text, files) => session.send(conversation.id, text, files)} />
      {reporting && (
        <ReportDialog message={reporting} sender={names[reporting.senderAccountId] ?? "this person"} onClose={() => setReporting(undefined)} />
      )}
      {verifying && <VerifyDialog peer={conversation.label} conversation={conversation.id} onClose={() => setVerifying(false)} />}
      {showMembers && <MembersDialog conversation={conversation} onClose={() => setShowMembers(false)} />}
    </section>
  );
}
