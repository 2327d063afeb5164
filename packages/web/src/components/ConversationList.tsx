/** The conversation list: newest activity first, with unread counts. */
import type { ConversationItem } from "../app/session.js";

function preview(c: ConversationItem): string {
  if (!c.active) return "You left or were removed";
  const m = c.last;
  if (!m) return c.kind === "group" ? `${c.members.length} members` : "No messages yet";
  const files = m.files.map((f) => `${f.type.startsWith("image/") ? "Image" : "File"}: ${f.name} `).join("");
  return `${m.outgoing ? "You: " : ""}${files}${m.text}`;
}

export function ConversationList({
  items,
  selected,
  onSelect,
}: {
  items: ConversationItem[];
  selected: string | undefined;
  onSelect: (id: string) => void;
}) {
  if (items.length === 0) return <p className="empty">No conversations yet. Start one with New chat.</p>;
  return (
    <ul className="conversations">
      {items.map((c) => (
        <li key={c.id}>
          <button
            type="button"
            className="conversation"
            aria-current={c.id === selected ? "true" : undefined}
            onClick={() => onSelect(c.id)}
            data-testid="conversation"
          >
            <span className="avatar" aria-hidden="true">
              {c.kind === "group" ? "#" : c.label.slice(0, 1).toUpperCase()}
            </span>
            <span className="conversation-text">
              <span className="conversation-label">{c.label}</span>
              <span className="conversation-preview">
                {c.request && <span className="tag">Request</span>}
                {preview(c)}
              </span>
            </span>
            {c.unread > 0 && (
              <span className="unread" aria-label={`${c.unread} unread`}>
                {c.unread}
              </span>
            )}
          </button>
        </li>
      ))}
    </ul>
  );
}
