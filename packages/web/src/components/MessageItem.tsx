import type { StoredMessage } from "@safelight/client";
import { Attachment } from "./Attachment.js";

const time = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

export function MessageItem({ message, sender, showSender }: { message: StoredMessage; sender: string; showSender: boolean }) {
  return (
    <li className={`message ${message.outgoing ? "outgoing" : "incoming"}`} data-testid="message">
      {showSender && <span className="sender">{message.outgoing ? "You" : sender}</span>}
      {message.files.map((f) => (
        <Attachment key={f.name} messageId={message.id} file={f} />
      ))}
      {message.text && <p className="text">{message.text}</p>}
      <time dateTime={new Date(message.sentAt).toISOString()}>{time.format(message.sentAt)}</time>
    </li>
  );
}
