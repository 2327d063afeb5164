/** A message request from someone who is not a contact: what they sent is readable, their attachments are
 *  withheld by the server until accepted, and declining or blocking is never shown to them. */
import type { MessageRequest } from "@safelight/client";
import { useSession } from "../app/context.js";
import { FormError } from "./FormError.js";
import { useAction } from "./useAction.js";

export function RequestBanner({ request, inGroup }: { request: MessageRequest; inGroup: boolean }) {
  const session = useSession();
  const { busy, error, run } = useAction();
  return (
    <section className="request" aria-label="Message request">
      <p>
        <strong>{request.name}</strong> {inGroup ? "added you to this group" : "wants to message you"}. You are not connected
        yet: their attachments stay hidden until you accept.
      </p>
      {request.notices.map((n) => (
        <p key={n.reason} className="safety-notice" role="note">
          {n.text}
        </p>
      ))}
      <div className="row">
        <button type="button" className="primary" disabled={busy} onClick={() => void run(() => session.acceptRequest(request.name))}>
          Accept
        </button>
        <button type="button" disabled={busy} onClick={() => void run(() => session.declineRequest(request.name, false))}>
          Decline
        </button>
        <button type="button" className="danger" disabled={busy} onClick={() => void run(() => session.declineRequest(request.name, true))}>
          Block {request.name}
        </button>
      </div>
      <FormError message={error} />
    </section>
  );
}
