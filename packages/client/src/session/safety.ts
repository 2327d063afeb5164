/**
 * Child-safety calls of the SDK (docs/safety.md): the message-request inbox, contacts, blocking, who may
 * message this account, and the moderator's lift. Reached through `SafelightClient.safety`.
 */
import type { Authed } from "./context.js";
import type { Directory } from "./directory.js";

export type InboundSetting = "everyone" | "teens" | "contacts";

/** Reason codes the server sends; the words are the client's (docs/safety.md). */
export const SAFETY_NOTICE_TEXT: Record<string, string> = {
  "adult-stranger":
    "This message request is from an adult you are not connected to. Only accept it if you know them in real life. You can decline or block without them being told.",
  "flagged-sender":
    "Our automatic checks restricted this account after it contacted many people it does not know. Be careful; you can block or report it.",
};

export function noticeText(reason: string): string {
  return SAFETY_NOTICE_TEXT[reason] ?? "Be careful with this account.";
}

export interface SafetyNotice {
  id: string;
  reason: string;
  text: string;
  /** The account the notice is about. */
  accountId: string;
  name: string;
  sentAt: number;
}

export interface MessageRequest {
  accountId: string;
  name: string;
  createdAt: number;
  notices: { reason: string; text: string }[];
}

export interface Person {
  accountId: string;
  name: string;
  since: number;
}

export interface SafetyAction {
  actionId: string;
  accountId: string;
  name: string;
  action: string;
  rule: string;
  detail: string;
  createdAt: number;
  createdBy: string;
  liftedAt?: number;
  liftedBy?: string;
}

export class SafetyCalls {
  constructor(
    private readonly authed: Authed,
    private readonly dir: Directory,
  ) {}

  private async idOf(name: string): Promise<string> {
    return (await this.dir.byName(name)).accountId;
  }

  async requests(): Promise<MessageRequest[]> {
    const { requests } = await this.authed((a) =>
      a.http.request<{ requests: { accountId: string; name: string; createdAt: number; notices: string[] }[] }>("GET", "/v1/requests"),
    );
    return requests.map((r) => ({ ...r, notices: r.notices.map((reason) => ({ reason, text: noticeText(reason) })) }));
  }

  /** Accepts NAME's message request (or approves NAME as a contact in advance). */
  async accept(name: string): Promise<void> {
    const id = await this.idOf(name);
    await this.authed((a) => a.http.request("POST", `/v1/requests/${id}/accept`, {}));
  }

  async decline(name: string): Promise<void> {
    const id = await this.idOf(name);
    await this.authed((a) => a.http.request("POST", `/v1/requests/${id}/decline`, {}));
  }

  async block(name: string): Promise<void> {
    const accountId = await this.idOf(name);
    await this.authed((a) => a.http.request("POST", "/v1/blocks", { accountId }));
  }

  async unblock(name: string): Promise<boolean> {
    const id = await this.idOf(name);
    const { unblocked } = await this.authed((a) => a.http.request<{ unblocked: boolean }>("DELETE", `/v1/blocks/${id}`));
    return unblocked;
  }

  async contacts(): Promise<Person[]> {
    return (await this.authed((a) => a.http.request<{ contacts: Person[] }>("GET", "/v1/contacts"))).contacts;
  }

  async blocks(): Promise<Person[]> {
    return (await this.authed((a) => a.http.request<{ blocks: Person[] }>("GET", "/v1/blocks"))).blocks;
  }

  async settings(inbound?: InboundSetting): Promise<{ ageBand: string; inbound: InboundSetting }> {
    return this.authed((a) =>
      inbound === undefined
        ? a.http.request<{ ageBand: string; inbound: InboundSetting }>("GET", "/v1/safety/settings")
        : a.http.request<{ ageBand: string; inbound: InboundSetting }>("PUT", "/v1/safety/settings", { inbound }),
    );
  }

  /** Moderators: automatic (and manual) safety actions, active ones by default. */
  async actions(opts: { name?: string; all?: boolean } = {}): Promise<SafetyAction[]> {
    const query = new URLSearchParams();
    if (opts.name) query.set("accountId", await this.idOf(opts.name));
    if (opts.all) query.set("active", "false");
    const qs = query.toString();
    return (await this.authed((a) => a.http.request<{ actions: SafetyAction[] }>("GET", `/v1/mod/safety/actions${qs ? "?" + qs : ""}`)))
      .actions;
  }

  /** Moderators: lifts every active safety action on NAME; returns how many. */
  async lift(name: string): Promise<number> {
    const id = await this.idOf(name);
    const { lifted } = await this.authed((a) =>
      a.http.request<{ lifted: number }>("POST", `/v1/mod/accounts/${id}/restrictions/lift`, {}),
    );
    return lifted;
  }
}
