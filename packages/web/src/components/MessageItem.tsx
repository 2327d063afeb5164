import type { StoredMessage } from "@safelight/client";
import { Attachment } from "./Attachment.js";

const time = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

export function MessageItem({
  message,
  sender,
  showSender,
  onReport,
}: {
  message: StoredMessage;
  sender: string;
  showSender: boolean;
  onReport: (m: StoredMessage) => void;
}) {
  return (
    <li className={`message ${message.outgoing ? "outgoing" : "incoming"}`} data-testid="message">
      {showSender && <span className="sender">{message.outgoing ? "You" : sender}</span>}
      {message.files.map((f) => (
        <Attachment key={f.name} messageId={message.id} file={f} />
      ))}
      {message.text && <p className="text">{message.text}</p>}
      <span className="meta">
        <time dateTime={new Date(message.sentAt).toISOString()}>{time.format(message.sentAt)}</time>
        {!message.outgoing && (
          <button type="button" className="report" onClick={() => onReport(message)} aria-label={`Report message from ${sender}`}>
            Report
          </button>
        )}
      </span>
    </li>
  );
}
