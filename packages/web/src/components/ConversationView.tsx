/** One open conversation: history (from this browser's store), live updates, and the composer. */
import { deviceChangeText, TIMER_LABELS, timerText, type DisappearingSetting, type HistoryMessage } from "@safelight/client";
import { Fragment, useEffect, useRef, useState } from "react";
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
  const [messages, setMessages] = useState<HistoryMessage[]>([]);
  const [names, setNames] = useState<Record<string, string>>({});
  const [showMembers, setShowMembers] = useState(false);
  const [verifying, setVerifying] = useState(false);
  const [devicesChanged, setDevicesChanged] = useState(false);
  const [held, setHeld] = useState({ count: 0, unconfirmed: [] as string[] });
  const [reporting, setReporting] = useState<HistoryMessage>();
  const [replyingTo, setReplyingTo] = useState<HistoryMessage>();
  // Where "new messages" starts: fixed at the first load, before showing them moves the read mark.
  const [divider, setDivider] = useState<string | null>();
  const [timer, setTimer] = useState<DisappearingSetting>({ seconds: 0 });
  const end = useRef<HTMLLIElement>(null);

  // Re-read on every session change (a sync, a send): the store is the single source of truth.
  useEffect(() => {
    let stale = false;
    void (async () => {
      const list = await session.history(conversation.id);
      const senders = [...new Set(list.flatMap((m) => [m.senderAccountId, ...m.reactions.flatMap((r) => r.accountIds)]))];
      const resolved = Object.fromEntries(await Promise.all(senders.map(async (a) => [a, await session.nameOf(a)] as const)));
      if (stale) return;
      setMessages(list);
      setNames(resolved);
      // Read before markRead below moves the mark (an updater would run only at the next render).
      const first = session.firstUnread(conversation.id, list) ?? null;
      setDivider((d) => (d === undefined ? first : d));
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

  // Any member may set the timer; this device deletes what has run out (docs/messaging.md).
  useEffect(() => {
    let stale = false;
    void session
      .disappearing(conversation.id)
      .then((t) => !stale && setTimer(t))
      .catch(() => undefined);
    return () => {
      stale = true;
    };
  }, [session, session.revision, conversation.id]);

  // A block body on purpose: newer browsers return a Promise from scrollIntoView, which must not become
  // the effect's cleanup.
  // A first reaction on the last message makes it taller: keep its bottom in view too.
  const lastReactions = messages.at(-1)?.reactions.length ?? 0;
  useEffect(() => {
    void end.current?.scrollIntoView({ block: "end" });
  }, [messages.length, lastReactions > 0]);

  const nameOf = (accountId: string) => (accountId === session.me.accountId ? "You" : (names[accountId] ?? "…"));
  const byId = new Map(messages.map((m) => [m.id, m]));
  const quoteOf = (m: HistoryMessage) => {
    const target = m.replyToId ? byId.get(m.replyToId) : undefined;
    return target && { sender: nameOf(target.senderAccountId), text: target.text || target.files.map((f) => f.name).join(", ") };
  };
  const typing = session.typingIn(conversation.id);
  const react = (m: HistoryMessage, emoji: string, remove: boolean) => {
    session.react(m.id, emoji, remove).catch((err: unknown) => console.warn("reaction not sent", err));
  };

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
        <label className="setting" title="Messages are deleted from every member's device after this time">
          Disappearing
          <select
            value={timer.seconds}
            disabled={!conversation.active}
            onChange={(e) => void session.setDisappearing(conversation.id, Number(e.target.value)).catch((err: unknown) => console.warn("timer not set", err))}
          >
            {Object.entries(TIMER_LABELS).map(([seconds, label]) => (
              <option key={seconds} value={seconds}>
                {label}
              </option>
            ))}
          </select>
        </label>
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
      {timer.byAccountId !== undefined && timer.seconds > 0 && (
        <p className="notice" role="status">
          {timerText(nameOf(timer.byAccountId), timer.seconds)}: messages here are deleted from every device after that time.
        </p>
      )}
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
        {messages.map((m) => (
          <Fragment key={m.id}>
            {m.id === divider && (
              <li className="new-divider" role="separator" aria-label="New messages">
                New messages
              </li>
            )}
            {m.device ? (
              // Device changes are never silent (docs/safety-numbers.md): a line in the timeline, with its time.
              <li className="device-change">
                {deviceChangeText({ name: names[m.senderAccountId] ?? "…", deviceId: m.senderDeviceId, change: m.device })} ·{" "}
                <time dateTime={new Date(m.sentAt).toISOString()}>{new Date(m.sentAt).toLocaleString()}</time>
              </li>
            ) : m.timer !== undefined ? (
              <li className="device-change timer-change">
                {timerText(nameOf(m.senderAccountId), m.timer)} ·{" "}
                <time dateTime={new Date(m.sentAt).toISOString()}>{new Date(m.sentAt).toLocaleString()}</time>
              </li>
            ) : (
              <MessageItem
                message={m}
                sender={names[m.senderAccountId] ?? "…"}
                showSender={conversation.kind === "group" && !m.outgoing}
                quote={quoteOf(m)}
                myAccountId={session.me.accountId}
                nameOf={nameOf}
                onReport={setReporting}
                onReply={setReplyingTo}
                onReact={react}
              />
            )}
          </Fragment>
        ))}
        <li ref={end} className="end" aria-hidden="true" />
      </ol>
      <p className="typing" aria-live="polite">
        {typing.length > 0 && `${typing.join(", ")} ${typing.length > 1 ? "are" : "is"} typing…`}
      </p>
      {!conversation.active && <p className="notice">You are no longer a member of this conversation.</p>}
      <Composer
        disabled={!conversation.active}
        warnBeforeSending={session.imageProtection.required}
        replyingTo={replyingTo && { sender: nameOf(replyingTo.senderAccountId), text: replyingTo.text }}
        onCancelReply={() => setReplyingTo(undefined)}
        onTyping={(on) => session.typing(conversation.id, on)}
        onSend={async (text, files) => {
          await session.send(conversation.id, text, files, replyingTo?.id);
          setReplyingTo(undefined);
        }}
      />
      {reporting && (
        <ReportDialog message={reporting} sender={names[reporting.senderAccountId] ?? "this person"} onClose={() => setReporting(undefined)} />
      )}
      {verifying && <VerifyDialog peer={conversation.label} conversation={conversation.id} onClose={() => setVerifying(false)} />}
      {showMembers && <MembersDialog conversation={conversation} onClose={() => setShowMembers(false)} />}
    </section>
  );
}
