/** The message search in the conversation-list header: while there is a query its hits replace the list.
 *  It asks the SDK's local search (docs/architecture.md, privacy ledger), so the text stays in this browser. */
import { useEffect, useState, type ReactNode } from "react";
import type { SearchHit } from "@safelight/client";
import { useSession } from "../app/context.js";

const when = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "short" });

export function MessageSearch({ onOpen, children }: { onOpen: (groupId: string) => void; children: ReactNode }) {
  const session = useSession();
  const [query, setQuery] = useState("");
  const [hits, setHits] = useState<SearchHit[]>([]);

  useEffect(() => {
    let current = true; // a slower, older query must not overwrite a newer one's hits
    void session.search(query).then((h) => current && setHits(h));
    return () => {
      current = false;
    };
  }, [session, query, session.revision]);

  return (
    <>
      <div className="search">
        <input
          type="search"
          aria-label="Search messages"
          placeholder="Search messages"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => e.key === "Escape" && setQuery("")}
        />
      </div>
      {!query.trim() ? (
        children
      ) : hits.length === 0 ? (
        <p className="empty">No messages match.</p>
      ) : (
        <ul className="conversations" aria-label="Search results">
          {[...hits].reverse().map((h) => (
            <li key={h.id}>
              <button
                type="button"
                className="conversation"
                data-testid="search-hit"
                onClick={() => {
                  setQuery("");
                  onOpen(h.groupId);
                }}
              >
                <span className="conversation-text">
                  <span className="conversation-label">
                    {h.outgoing ? "You" : h.from} <time dateTime={new Date(h.sentAt).toISOString()}>{when.format(h.sentAt)}</time>
                  </span>
                  <span className="conversation-preview">{h.text}</span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
