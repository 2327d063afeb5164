import type { HistoryMessage, MessageStatus } from "@safelight/client";
import { useState } from "react";
import { Attachment } from "./Attachment.js";

const time = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/** The reactions offered in one tap; the SDK accepts any single emoji. */
export const QUICK_REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🙏"] as const;

/** ✓ stored by the server, ✓✓ delivered to every other member, ✓✓ in colour once all read it. */
const STATUS: Record<MessageStatus, { mark: string; label: string }> = {
  sent: { mark: "✓", label: "Sent" },
  delivered: { mark: "✓✓", label: "Delivered" },
  read: { mark: "✓✓", label: "Read" },
};

export interface Quote {
  sender: string;
  text: string;
}

export function MessageItem({
  message,
  sender,
  showSender,
  quote,
  myAccountId,
  nameOf,
  onReport,
  onReply,
  onReact,
}: {
  message: HistoryMessage;
  sender: string;
  showSender: boolean;
  /** The message this one replies to, when this device has it. */
  quote: Quote | undefined;
  myAccountId: string;
  nameOf: (accountId: string) => string;
  onReport: (m: HistoryMessage) => void;
  onReply: (m: HistoryMessage) => void;
  onReact: (m: HistoryMessage, emoji: string, remove: boolean) => void;
}) {
  const [picking, setPicking] = useState(false);
  const status = message.status && STATUS[message.status];
  return (
    <li className={`message ${message.outgoing ? "outgoing" : "incoming"}`} data-testid="message">
      {showSender && <span className="sender">{message.outgoing ? "You" : sender}</span>}
      {quote && (
        <blockquote className="reply-quote" aria-label={`Reply to ${quote.sender}`}>
          <span className="sender">{quote.sender}</span>
          <span className="quoted-text">{quote.text}</span>
        </blockquote>
      )}
      {message.files.map((f) => (
        <Attachment
          key={f.name}
          messageId={message.id}
          file={f}
          received={message.outgoing ? undefined : { sender, onReport: () => onReport(message) }}
        />
      ))}
      {message.text && <p className="text">{message.text}</p>}
      {message.reactions.length > 0 && (
        <ul className="reactions" aria-label="Reactions">
          {message.reactions.map((r) => {
            const mine = r.accountIds.includes(myAccountId);
            return (
              <li key={r.emoji}>
                <button
                  type="button"
                  className="reaction-chip"
                  aria-pressed={mine}
                  aria-label={`${r.emoji} from ${r.accountIds.map(nameOf).join(", ")}`}
                  onClick={() => onReact(message, r.emoji, mine)}
                >
                  {r.emoji} {r.accountIds.length}
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <span className="meta">
        <time dateTime={new Date(message.sentAt).toISOString()}>{time.format(message.sentAt)}</time>
        {status && (
          <span className="receipt-mark" data-status={message.status} aria-label={status.label} title={status.label}>
            {status.mark}
          </span>
        )}
        <button type="button" className="link" onClick={() => onReply(message)} aria-label={`Reply to ${message.outgoing ? "your message" : sender}`}>
          Reply
        </button>
        <button type="button" className="link" aria-expanded={picking} onClick={() => setPicking(!picking)}>
          React
        </button>
        {!message.outgoing && (
          <button type="button" className="report link" onClick={() => onReport(message)} aria-label={`Report message from ${sender}`}>
            Report
          </button>
        )}
      </span>
      {picking && (
        <div className="reaction-picker" role="group" aria-label="Pick a reaction">
          {QUICK_REACTIONS.map((emoji) => (
            <button
              key={emoji}
              type="button"
              aria-label={`React with ${emoji}`}
              onClick={() => {
                setPicking(false);
                onReact(message, emoji, false);
              }}
            >
              {emoji}
            </button>
          ))}
        </div>
      )}
    </li>
  );
}
