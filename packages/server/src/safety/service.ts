/**
 * Child-safety rules that work on metadata only (docs/safety.md): age bands, contact rules at
 * KeyPackage-claim and commit-add time, message requests, blocks, risk signals and automatic actions.
 * Nothing here reads message content; the inputs are accounts, birthdates, claims, commits' Add
 * proposals (credentials), group membership and what recipients do with requests.
 */
import { messageId, randomId } from "../crypto.js";
import { ApiError } from "../errors.js";
import type { Notifier } from "../realtime/notifier.js";
import type { Delivery, DeviceRef, MemberRecord, QueueItemRecord } from "../storage/types.js";
import { bandOf, declaredAge, type AgeAssurance, type AgeBand, type InboundSetting, type RiskRule, type SafetyPolicy } from "./policy.js";
import type { AccountFacts, ActionRecord, SafetyStore } from "./store.js";

const HOUR = 60 * 60 * 1000;

/** Reason codes of safety notices; clients choose the words (docs/safety.md). */
export type NoticeReason = "adult-stranger" | "flagged-sender";

/** A queue item as the safety layer hands it on: marked when it belongs to a pending message request. */
export type MarkedItem = QueueItemRecord & { request?: boolean };

export interface RequestView {
  accountId: string;
  name: string;
  createdAt: number;
  notices: string[];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export class SafetyService {
  constructor(
    readonly store: SafetyStore,
    readonly policy: SafetyPolicy,
    private readonly notifier: Notifier,
    private readonly ageOf: AgeAssurance = declaredAge,
  ) {}

  // ---- age bands -----------------------------------------------------------------------------------

  bandOfBirthdate(birthdate: string, now: number): AgeBand {
    return bandOf(this.ageOf({ accountId: "", birthdate }, now), this.policy);
  }

  band(account: AccountFacts, now: number): AgeBand {
    return bandOf(this.ageOf(account, now), this.policy);
  }

  /** Children and teens get the protections; a child account exists only if the policy's ages changed. */
  private isMinor(account: AccountFacts, now: number): boolean {
    return this.band(account, now) !== "adult";
  }

  /** Registration: under `ages.childUnder` is refused (policy `children: "refuse"`). */
  checkRegistration(birthdate: string, now: number): void {
    if (this.bandOfBirthdate(birthdate, now) === "child") {
      throw new ApiError(
        "SL_ERR_AGE_RESTRICTED",
        `Safelight accounts are for people aged ${this.policy.ages.childUnder} and over`,
      );
    }
  }

  private facts(accountId: string): AccountFacts {
    const a = this.store.account(accountId);
    if (a === undefined) throw new ApiError("SL_ERR_NOT_FOUND", "no such account");
    return a;
  }

  inboundOf(account: AccountFacts, now: number): InboundSetting {
    const set = this.store.inbound(account.accountId) as InboundSetting | undefined;
    return set ?? this.policy.defaultInbound[this.isMinor(account, now) ? "teen" : "adult"];
  }

  // ---- contact rules --------------------------------------------------------------------------------

  isRestricted(accountId: string, action: "restrict-teen-contact" | "rate-limit"): boolean {
    return this.store.activeActions(accountId).some((a) => a.action === action);
  }

  /** Whether `from` may open a message request to `to`; throws the refusal. Reads only. */
  private checkMayRequest(from: AccountFacts, to: AccountFacts, now: number): void {
    const toMinor = this.isMinor(to, now);
    const fromAdult = !this.isMinor(from, now);
    if (toMinor && this.isRestricted(from.accountId, "restrict-teen-contact")) {
      throw new ApiError(
        "SL_ERR_ACCOUNT_RESTRICTED",
        "your account is restricted from contacting teens after unusual activity; a moderator is reviewing it",
      );
    }
    if (fromAdult && toMinor && this.policy.adultToTeen === "refuse") {
      throw new ApiError(
        "SL_ERR_CONTACT_RESTRICTED",
        `${to.name} is under ${this.policy.ages.adultFrom} and not one of your contacts: adults cannot start conversations with teens they are not connected to`,
      );
    }
    const inbound = this.inboundOf(to, now);
    if (inbound === "contacts" || (inbound === "teens" && fromAdult)) {
      throw new ApiError("SL_ERR_CONTACT_RESTRICTED", `${to.name} only accepts messages from ${inbound === "contacts" ? "contacts" : "other teens"}`);
    }
    if (this.isRestricted(from.accountId, "rate-limit")) {
      const recent = this.store.countEvents(from.accountId, ["request"], now - 24 * HOUR, true);
      if (recent >= this.policy.rateLimitedRequestsPerDay) {
        throw new ApiError("SL_ERR_RATE_LIMITED", "too many new conversations today; try again later");
      }
    }
  }

  /** A new (or renewed) message request: counted, rules evaluated, recorded, safety notice sent. */
  private openRequest(from: AccountFacts, to: AccountFacts, now: number): void {
    const toMinor = this.isMinor(to, now);
    const fromAdult = !this.isMinor(from, now);
    this.store.recordEvent(from.accountId, "request", to.accountId, now);
    if (fromAdult && toMinor) this.store.recordEvent(from.accountId, "request-teen", to.accountId, now);
    this.evaluate(from, now);
    // A rule that just fired may forbid this very request (the one over the threshold).
    if (toMinor && this.isRestricted(from.accountId, "restrict-teen-contact")) this.checkMayRequest(from, to, now);
    if (this.store.request(from.accountId, to.accountId)?.status !== "pending") {
      this.store.setRequest(from.accountId, to.accountId, "pending", now);
    }
    if (fromAdult && toMinor) this.notify(to.accountId, from, "adult-stranger", now);
  }

  /**
   * POST /v1/key-packages/claim: claiming someone's KeyPackages is how every conversation with them
   * starts, so the contact rules run here. Contacts pass; a refusal by the recipient (block, declined
   * request) passes silently — nothing will be delivered; otherwise this opens a message request.
   */
  beforeClaim(caller: DeviceRef, targetId: string, now = Date.now()): void {
    if (caller.accountId === targetId) return;
    const me = this.facts(caller.accountId);
    const them = this.store.account(targetId);
    if (them === undefined) return; // the route answers 404
    if (this.store.areContacts(me.accountId, targetId)) return;
    if (this.store.isBlocked(targetId, me.accountId)) return;
    const existing = this.store.request(me.accountId, targetId);
    if (existing?.status === "declined") return;
    this.checkMayRequest(me, them, now);
    this.openRequest(me, them, now);
  }

  /**
   * POST …/commits: each account the commit adds (named by the KeyPackage credentials) must be the
   * committer's contact, or be joining a conversation opened as a message request. An adult may add a
   * teen who is not a contact only into the 1:1 conversation of an allowed request. Returns the
   * accounts whose welcome is withheld (they blocked the committer or declined its request).
   */
  beforeCommit(caller: DeviceRef, groupId: Uint8Array, members: MemberRecord[], adds: DeviceRef[], now = Date.now()): Set<string> {
    const withhold = new Set<string>();
    const present = new Set(members.map((m) => m.accountId));
    const added = [...new Set(adds.map((a) => a.accountId))].filter((a) => a !== caller.accountId && !present.has(a));
    if (added.length === 0) return withhold;
    const everyone = new Set([...present, ...added]);
    const me = this.facts(caller.accountId);
    const meAdult = !this.isMinor(me, now);
    // A 1:1 request conversation with a teen cannot be turned into a group before the teen accepts.
    if (meAdult && everyone.size > 2) {
      for (const accountId of present) {
        const teen = this.store.account(accountId);
        if (teen && this.store.pendingRequestVia(groupId, accountId) === me.accountId && this.isMinor(teen, now)) {
          throw new ApiError(
            "SL_ERR_CONTACT_RESTRICTED",
            `${teen.name} has not accepted your message request: this conversation cannot become a group until they do`,
          );
        }
      }
    }
    for (const accountId of added) {
      if (this.store.areContacts(me.accountId, accountId)) continue;
      const them = this.facts(accountId);
      const request = this.store.request(me.accountId, accountId);
      if (this.store.isBlocked(accountId, me.accountId) || request?.status === "declined") {
        withhold.add(accountId);
        continue;
      }
      const oneToOne = [...everyone].every((a) => a === me.accountId || a === accountId);
      if (meAdult && this.isMinor(them, now) && !oneToOne) {
        throw new ApiError(
          "SL_ERR_CONTACT_RESTRICTED",
          `${them.name} is under ${this.policy.ages.adultFrom} and not one of your contacts: adults cannot add teens they are not connected to to a group`,
        );
      }
      this.checkMayRequest(me, them, now);
      if (request?.status !== "pending") this.openRequest(me, them, now);
      this.store.bindGroup(me.accountId, accountId, groupId);
    }
    return withhold;
  }

  // ---- delivery ----------------------------------------------------------------------------------------

  /**
   * Accounts that must not receive what `senderId` sends in this group: they blocked the sender,
   * declined its request, or declined the request this group is; and, while the sender is restricted
   * from contacting teens, the teens its requests are still pending with. Passed to the storage
   * transaction that fans the message out, so nothing is queued for them; the sender is never told.
   */
  withheldFor(senderId: string, groupId: Uint8Array, now = Date.now()): Set<string> {
    const withheld = new Set(this.store.refusersOf(senderId));
    for (const a of this.store.groupRequestState(groupId).declined) withheld.add(a);
    if (this.isRestricted(senderId, "restrict-teen-contact")) {
      for (const r of this.store.outgoingRequests(senderId, "pending")) {
        const recipient = this.store.account(r.recipientId);
        if (recipient !== undefined && this.isMinor(recipient, now)) withheld.add(r.recipientId);
      }
    }
    return withheld;
  }

  /** After a fan-out: marks the items of a conversation that is still a pending request for its recipient. */
  markRequests(groupId: Uint8Array, deliveries: Delivery[]): Delivery[] {
    if (deliveries.length === 0) return deliveries;
    const { pending } = this.store.groupRequestState(groupId);
    if (pending.size === 0) return deliveries;
    const accounts = this.store.accountsOfDevices(deliveries.map((d) => d.deviceId));
    for (const d of deliveries) {
      const account = accounts.get(d.deviceId);
      if (account !== undefined && pending.has(account)) (d.item as MarkedItem).request = true;
    }
    return deliveries;
  }

  /** GET /v1/queue: request marks, and a last screen of what a refused account had queued before. */
  screenQueue(device: DeviceRef, items: QueueItemRecord[]): MarkedItem[] {
    if (items.length === 0) return items;
    const refused = new Set([
      ...this.store.blocksOf(device.accountId).map((b) => b.accountId),
      ...this.store.incomingRequests(device.accountId, "declined").map((r) => r.requesterId),
    ]);
    const pendingGroups = this.store.pendingGroupsOf(device.accountId);
    const out: MarkedItem[] = [];
    const dropped: { deviceId: string; messageId: string }[] = [];
    for (const item of items) {
      const contentLike = item.kind === "application" || item.kind === "welcome";
      if (contentLike && item.sender && refused.has(item.sender.accountId)) {
        dropped.push({ deviceId: device.deviceId, messageId: item.id });
        continue;
      }
      const gid = item.groupId;
      const request = gid !== undefined && pendingGroups.some((g) => sameBytes(g, gid));
      out.push(request ? { ...item, request: true } : item);
    }
    if (dropped.length > 0) this.store.dropQueueRows(dropped);
    return out;
  }

  /** GET /v1/blobs/:id: attachments from a pending request (or a blocked account) stay withheld. */
  checkBlobDownload(callerAccountId: string, uploaderAccountId: string): void {
    if (callerAccountId === uploaderAccountId) return;
    if (this.store.areContacts(callerAccountId, uploaderAccountId)) return;
    const request = this.store.request(uploaderAccountId, callerAccountId);
    if (this.store.isBlocked(callerAccountId, uploaderAccountId) || (request !== undefined && request.status !== "accepted")) {
      throw new ApiError("SL_ERR_REQUEST_PENDING", "this attachment is from a message request: accept the request to download it");
    }
  }

  // ---- safety notices ---------------------------------------------------------------------------------

  private notify(recipientId: string, about: AccountFacts, reason: NoticeReason, now: number): void {
    if (!this.store.addNotice(recipientId, about.accountId, reason, now)) return;
    const data = new TextEncoder().encode(JSON.stringify({ reason, accountId: about.accountId, name: about.name }));
    const deliveries = this.store.enqueueForAccount(recipientId, { id: messageId(now), kind: "safety-notice", sentAt: now, data });
    this.notifier.publish(deliveries);
  }

  // ---- risk signals and actions --------------------------------------------------------------------------

  private signalCount(account: AccountFacts, rule: RiskRule, since: number, now: number): { count: number; rate?: number } {
    switch (rule.signal) {
      case "distinct-teens-requested":
        return { count: this.store.countEvents(account.accountId, ["request-teen"], since, true) };
      case "requests-declined-or-blocked": {
        const refused = this.store.countEvents(account.accountId, ["request-declined", "request-blocked"], since, false);
        const sent = this.store.countEvents(account.accountId, ["request"], since, true);
        return { count: refused, rate: sent === 0 ? 1 : refused / sent };
      }
      case "reports-received":
        return { count: this.store.countReports(account.accountId, since) };
      case "new-account-requests": {
        const young = now - account.createdAt < (rule.accountAgeHours ?? 72) * HOUR;
        return { count: young ? this.store.countEvents(account.accountId, ["request"], since, true) : 0 };
      }
    }
  }

  /** Runs every rule for the account; a rule whose count is over its threshold fires its actions once
   *  (until a moderator lifts them; its window then restarts at the lift). */
  evaluate(account: AccountFacts, now = Date.now()): ActionRecord[] {
    const fired: ActionRecord[] = [];
    const active = this.store.activeActions(account.accountId);
    for (const rule of this.policy.rules) {
      if (active.some((a) => a.rule === rule.name)) continue;
      const since = Math.max(now - rule.windowHours * HOUR, this.store.lastLift(account.accountId, rule.name) ?? 0);
      const { count, rate } = this.signalCount(account, rule, since, now);
      if (count <= rule.threshold) continue;
      if (rule.minRate !== undefined && rate !== undefined && rate < rule.minRate) continue;
      const detail = JSON.stringify({ signal: rule.signal, count, threshold: rule.threshold, windowHours: rule.windowHours });
      for (const action of rule.actions) {
        const record = { actionId: randomId(), accountId: account.accountId, action, rule: rule.name, detail, createdAt: now, createdBy: "auto" };
        this.store.addAction(record);
        fired.push({ ...record, liftedAt: undefined, liftedBy: undefined });
        if (action === "notify-recipients") {
          for (const recipient of this.store.requestedSince(account.accountId, now - rule.windowHours * HOUR)) {
            this.notify(recipient, account, "flagged-sender", now);
          }
        }
      }
    }
    return fired;
  }

  /** Retention: risk events older than every rule's window (and the rate-limit day) are not needed. */
  sweep(now = Date.now()): number {
    const hours = Math.max(24, ...this.policy.rules.map((r) => r.windowHours));
    return this.store.pruneEvents(now - hours * HOUR);
  }

  // ---- what users do -------------------------------------------------------------------------------------

  requestsFor(recipientId: string): RequestView[] {
    return this.store.incomingRequests(recipientId, "pending").map((r) => ({
      accountId: r.requesterId,
      name: this.store.account(r.requesterId)?.name ?? r.requesterId,
      createdAt: r.createdAt,
      notices: this.store.noticesAbout(recipientId, r.requesterId),
    }));
  }

  /** Accepts a request; with none, approves the account as a contact in advance — except that a minor
   *  cannot pre-approve an adult (adults reach teens only through requests the policy allows). */
  accept(recipientId: string, requesterId: string, now = Date.now()): void {
    const request = this.store.request(requesterId, recipientId);
    if (request === undefined && !this.store.areContacts(recipientId, requesterId)) {
      const me = this.facts(recipientId);
      const them = this.facts(requesterId);
      if (this.isMinor(me, now) && !this.isMinor(them, now)) {
        throw new ApiError("SL_ERR_NOT_FOUND", `there is no message request from ${them.name}`);
      }
    }
    this.store.transaction(() => {
      this.store.unblock(recipientId, requesterId);
      this.store.setRequest(requesterId, recipientId, "accepted", now);
    });
  }

  decline(recipientId: string, requesterId: string, now = Date.now()): void {
    const request = this.store.request(requesterId, recipientId);
    if (request?.status !== "pending") throw new ApiError("SL_ERR_NOT_FOUND", "there is no pending message request from that account");
    this.store.transaction(() => {
      this.store.setRequest(requesterId, recipientId, "declined", now);
      this.store.recordEvent(requesterId, "request-declined", recipientId, now);
      this.store.dropQueuedFrom(recipientId, requesterId);
    });
    this.evaluate(this.facts(requesterId), now);
  }

  block(blockerId: string, blockedId: string, now = Date.now()): void {
    if (blockerId === blockedId) throw new ApiError("SL_ERR_BAD_REQUEST", "you cannot block yourself");
    const pending = this.store.request(blockedId, blockerId)?.status === "pending";
    this.store.transaction(() => {
      this.store.block(blockerId, blockedId, now);
      if (pending) this.store.recordEvent(blockedId, "request-blocked", blockerId, now);
      this.store.dropQueuedFrom(blockerId, blockedId);
    });
    if (pending) this.evaluate(this.facts(blockedId), now);
  }

  unblock(blockerId: string, blockedId: string): boolean {
    return this.store.unblock(blockerId, blockedId);
  }

  // ---- moderators -------------------------------------------------------------------------------------------

  /** Moderator check for the safety routes: the account's role (schema v3 `accounts.role`). */
  isModerator(accountId: string): boolean {
    const role = this.store.account(accountId)?.role;
    return role === "moderator" || role === "admin";
  }

  lift(accountId: string, moderatorId: string, now = Date.now()): number {
    this.facts(accountId);
    return this.store.liftActions(accountId, moderatorId, now);
  }
}
