/**
 * Child-safety rules that work on metadata only (docs/safety.md): age bands, contact rules at
 * KeyPackage-claim and commit-add time, message requests, blocks, risk signals and automatic actions.
 * Nothing here reads message content; the inputs are accounts, birthdates, claims, commits' Add
 * proposals (credentials), group membership and what recipients do with requests.
 */
import { messageId, randomId } from "../crypto.js";
import { ApiError } from "../errors.js";
import type { Notifier } from "../realtime/notifier.js";
import type { AccountFacts, ActionRecord, GroupRequestState, RequestAllowance, SafetyStore } from "../storage/safety.js";
import type { Delivery, DeviceRef, MemberRecord, QueueItemRecord } from "../storage/types.js";
import { bandOf, declaredAge, type AgeAssurance, type AgeBand, type InboundSetting, type RiskRule, type SafetyPolicy } from "./policy.js";

const HOUR = 60 * 60 * 1000;
/** Most entries a memo holds before it starts over (they only save queries). */
const MEMO_MAX = 10_000;
/** Longest a memoized read is kept, should a node miss the signal that it changed (NATS away). */
const MEMO_TTL_MS = 1000;

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
  /**
   * The reads every message's fan-out makes (refusers, a group's request state, active actions). Another
   * node may change them, so each change is signalled to every node ("safety"), which forgets them all;
   * a read in flight when a change is signalled is not kept (`generation`), and nothing is kept longer
   * than MEMO_TTL_MS, so a lost signal leaves a node stale for at most that long.
   */
  private readonly memo = new Map<string, unknown>();
  private generation = 0;
  private memoSince = 0;
  /** A device belongs to one account for life, so this is safe to be stale and never invalidated. */
  private readonly deviceAccounts = new Map<string, string>();

  constructor(
    readonly store: SafetyStore,
    readonly policy: SafetyPolicy,
    private readonly notifier: Notifier,
    private readonly ageOf: AgeAssurance = declaredAge,
  ) {}

  /** A "safety" signal (this node's or another's): forget every memoized read. */
  invalidate(): void {
    this.generation++;
    this.memo.clear();
  }

  /** After a write to the memoized state: forget here at once, and tell the other nodes. */
  private changed(accountId: string): void {
    this.invalidate();
    this.notifier.broadcast("safety", accountId);
  }

  private async memoized<T>(key: string, read: () => Promise<T>): Promise<T> {
    const now = Date.now();
    if (now - this.memoSince > MEMO_TTL_MS || this.memo.size >= MEMO_MAX) {
      this.memo.clear();
      this.memoSince = now;
    }
    if (this.memo.has(key)) return this.memo.get(key) as T;
    const generation = this.generation;
    const value = await read();
    if (generation === this.generation) this.memo.set(key, value);
    return value;
  }

  private refusersOf(accountId: string): Promise<ReadonlySet<string>> {
    return this.memoized(`refusers:${accountId}`, () => this.store.refusersOf(accountId));
  }

  private groupRequestState(groupId: Uint8Array): Promise<GroupRequestState> {
    return this.memoized(`group:${Buffer.from(groupId).toString("base64")}`, () => this.store.groupRequestState(groupId));
  }

  private activeActions(accountId: string): Promise<readonly ActionRecord[]> {
    return this.memoized(`actions:${accountId}`, () => this.store.activeActions(accountId));
  }

  private async accountsOfDevices(deviceIds: string[]): Promise<Map<string, string>> {
    const unknown = deviceIds.filter((d) => !this.deviceAccounts.has(d));
    if (unknown.length > 0) {
      if (this.deviceAccounts.size >= MEMO_MAX) this.deviceAccounts.clear();
      for (const [d, a] of await this.store.accountsOfDevices(unknown)) this.deviceAccounts.set(d, a);
    }
    const out = new Map<string, string>();
    for (const d of deviceIds) {
      const a = this.deviceAccounts.get(d);
      if (a !== undefined) out.set(d, a);
    }
    return out;
  }

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
    // SL-V101 (docs/safety.md, Age bands): no account for someone under ages.childUnder
    if (this.bandOfBirthdate(birthdate, now) === "child") {
      throw new ApiError(
        "SL_ERR_AGE_RESTRICTED",
        `Safelight accounts are for people aged ${this.policy.ages.childUnder} and over`,
      );
    }
  }

  private async facts(accountId: string): Promise<AccountFacts> {
    const a = await this.store.account(accountId);
    if (a === undefined) throw new ApiError("SL_ERR_NOT_FOUND", "no such account");
    return a;
  }

  async inboundOf(account: AccountFacts, now: number): Promise<InboundSetting> {
    const set = (await this.store.inbound(account.accountId)) as InboundSetting | undefined;
    return set ?? this.policy.defaultInbound[this.isMinor(account, now) ? "teen" : "adult"];
  }

  // ---- contact rules --------------------------------------------------------------------------------

  async isRestricted(accountId: string, action: "restrict-teen-contact" | "rate-limit"): Promise<boolean> {
    return (await this.activeActions(accountId)).some((a) => a.action === action);
  }

  /** A rate-limited account's allowance of new requests (distinct accounts a day); none otherwise. */
  private async allowance(accountId: string, now: number): Promise<RequestAllowance | undefined> {
    if (!(await this.isRestricted(accountId, "rate-limit"))) return undefined;
    return { max: this.policy.rateLimitedRequestsPerDay, since: now - 24 * HOUR };
  }

  /** Whether `from` may open a message request to `to`; throws the refusal. Reads only. */
  private async checkMayRequest(from: AccountFacts, to: AccountFacts, now: number): Promise<void> {
    const toMinor = this.isMinor(to, now);
    const fromAdult = !this.isMinor(from, now);
    // SL-V102 (docs/safety.md, Risk signals and actions): a restrict-teen-contact account opens no request to a teen
    if (toMinor && (await this.isRestricted(from.accountId, "restrict-teen-contact"))) {
      throw new ApiError(
        "SL_ERR_ACCOUNT_RESTRICTED",
        "your account is restricted from contacting teens after unusual activity; a moderator is reviewing it",
      );
    }
    // SL-V103 (docs/safety.md, Contacts, requests and the contact rules): no adult-to-teen request under adultToTeen "refuse"
    if (fromAdult && toMinor && this.policy.adultToTeen === "refuse") {
      throw new ApiError(
        "SL_ERR_CONTACT_RESTRICTED",
        `${to.name} is under ${this.policy.ages.adultFrom} and not one of your contacts: adults cannot start conversations with teens they are not connected to`,
      );
    }
    const inbound = await this.inboundOf(to, now);
    // SL-V104 (docs/safety.md, Contacts, requests and the contact rules): the recipient's inbound setting
    if (inbound === "contacts" || (inbound === "teens" && fromAdult)) {
      throw new ApiError("SL_ERR_CONTACT_RESTRICTED", `${to.name} only accepts messages from ${inbound === "contacts" ? "contacts" : "other teens"}`);
    }
    const allowance = await this.allowance(from.accountId, now);
    // SL-V105 (docs/safety.md, Risk signals and actions): a rate-limited account opens a few requests a day
    if (allowance && (await this.store.countEvents(from.accountId, ["request"], allowance.since, true)) >= allowance.max) throw rateLimited();
  }

  /** A new (or renewed) message request: counted, rules evaluated, recorded, safety notice sent. */
  private async openRequest(from: AccountFacts, to: AccountFacts, now: number): Promise<void> {
    const toMinor = this.isMinor(to, now);
    const fromAdult = !this.isMinor(from, now);
    // The allowance is checked again as the request is counted: another node may have used it up since.
    const counted = await this.store.recordRequest(from.accountId, to.accountId, fromAdult && toMinor, now, await this.allowance(from.accountId, now));
    if (!counted) throw rateLimited();
    await this.evaluate(from, now);
    // A rule that just fired may forbid this very request (the one over the threshold).
    if (toMinor && (await this.isRestricted(from.accountId, "restrict-teen-contact"))) await this.checkMayRequest(from, to, now);
    await this.store.putPendingRequest(from.accountId, to.accountId, now);
    this.changed(to.accountId); // the request's groups change state if it was not pending
    if (fromAdult && toMinor) await this.notify(to.accountId, from, "adult-stranger", now);
  }

  /**
   * POST /v1/key-packages/claim: claiming someone's KeyPackages is how every conversation with them
   * starts, so the contact rules run here. Contacts pass; a refusal by the recipient (block, declined
   * request) passes silently — nothing will be delivered; otherwise this opens a message request.
   */
  async beforeClaim(caller: DeviceRef, targetId: string, now = Date.now()): Promise<void> {
    if (caller.accountId === targetId) return;
    const me = await this.facts(caller.accountId);
    const them = await this.store.account(targetId);
    if (them === undefined) return; // the route answers 404
    if (await this.store.areContacts(me.accountId, targetId)) return;
    if (await this.store.isBlocked(targetId, me.accountId)) return;
    const existing = await this.store.request(me.accountId, targetId);
    if (existing?.status === "declined") return;
    await this.checkMayRequest(me, them, now);
    await this.openRequest(me, them, now);
  }

  /**
   * POST …/commits: each account the commit adds (named by the KeyPackage credentials) must be the
   * committer's contact, or be joining a conversation opened as a message request. An adult may add a
   * teen who is not a contact only into the 1:1 conversation of an allowed request. Returns the
   * accounts whose welcome is withheld (they blocked the committer or declined its request).
   */
  async beforeCommit(caller: DeviceRef, groupId: Uint8Array, members: MemberRecord[], adds: DeviceRef[], now = Date.now()): Promise<Set<string>> {
    const withhold = new Set<string>();
    const present = new Set(members.map((m) => m.accountId));
    const added = [...new Set(adds.map((a) => a.accountId))].filter((a) => a !== caller.accountId && !present.has(a));
    if (added.length === 0) return withhold;
    const everyone = new Set([...present, ...added]);
    const me = await this.facts(caller.accountId);
    const meAdult = !this.isMinor(me, now);
    // SL-V106 (docs/safety.md, Message requests): a 1:1 request conversation with a teen becomes no group before the teen accepts
    if (meAdult && everyone.size > 2) {
      for (const accountId of present) {
        const teen = await this.store.account(accountId);
        if (teen && this.isMinor(teen, now) && (await this.store.pendingRequestVia(groupId, accountId)) === me.accountId) {
          throw new ApiError(
            "SL_ERR_CONTACT_RESTRICTED",
            `${teen.name} has not accepted your message request: this conversation cannot become a group until they do`,
          );
        }
      }
    }
    for (const accountId of added) {
      if (await this.store.areContacts(me.accountId, accountId)) continue;
      const them = await this.facts(accountId);
      const request = await this.store.request(me.accountId, accountId);
      if (request?.status === "declined" || (await this.store.isBlocked(accountId, me.accountId))) {
        withhold.add(accountId);
        continue;
      }
      const oneToOne = [...everyone].every((a) => a === me.accountId || a === accountId);
      // SL-V107 (docs/safety.md, Contacts, requests and the contact rules): an adult adds a non-contact teen only into a 1:1
      if (meAdult && this.isMinor(them, now) && !oneToOne) {
        throw new ApiError(
          "SL_ERR_CONTACT_RESTRICTED",
          `${them.name} is under ${this.policy.ages.adultFrom} and not one of your contacts: adults cannot add teens they are not connected to to a group`,
        );
      }
      await this.checkMayRequest(me, them, now);
      if (request?.status !== "pending") await this.openRequest(me, them, now);
      await this.store.bindGroup(me.accountId, accountId, groupId);
      this.changed(accountId);
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
  async withheldFor(senderId: string, groupId: Uint8Array, now = Date.now()): Promise<Set<string>> {
    const [refusers, group, restricted] = await Promise.all([
      this.refusersOf(senderId),
      this.groupRequestState(groupId),
      this.isRestricted(senderId, "restrict-teen-contact"),
    ]);
    const withheld = new Set(refusers);
    for (const a of group.declined) withheld.add(a);
    if (restricted) {
      for (const r of await this.store.outgoingRequests(senderId, "pending")) {
        const recipient = await this.store.account(r.recipientId);
        if (recipient !== undefined && this.isMinor(recipient, now)) withheld.add(r.recipientId);
      }
    }
    return withheld;
  }

  /**
   * Replying is consent (docs/safety.md, Message requests): a message the recipient of a pending request
   * sends into that request's conversation accepts it, as `accept NAME` would, so contact rules, risk
   * counters and attachments follow. Returns the requester whose request the reply accepted.
   */
  async acceptByReply(replierId: string, groupId: Uint8Array, now = Date.now()): Promise<string | undefined> {
    const { pending } = await this.groupRequestState(groupId);
    if (!pending.has(replierId)) return undefined;
    const requesterId = await this.store.pendingRequestVia(groupId, replierId);
    if (requesterId === undefined) return undefined;
    const [replier, requester] = await Promise.all([this.facts(replierId), this.facts(requesterId)]);
    // SL-V108 (docs/safety.md, Message requests): a reply does not accept a request the policy now forbids
    if (this.isMinor(replier, now)) {
      if (await this.isRestricted(requesterId, "restrict-teen-contact")) {
        throw new ApiError("SL_ERR_ACCOUNT_RESTRICTED", `${requester.name} is restricted from contacting teens: this request cannot be accepted`);
      }
      if (!this.isMinor(requester, now) && this.policy.adultToTeen === "refuse") {
        throw new ApiError("SL_ERR_CONTACT_RESTRICTED", `${requester.name} is an adult you are not connected to: this request cannot be accepted`);
      }
    }
    await this.accept(replierId, requesterId, now);
    return requesterId;
  }

  /** After a fan-out: marks the items of a conversation that is still a pending request for its recipient. */
  async markRequests(groupId: Uint8Array, deliveries: Delivery[]): Promise<Delivery[]> {
    if (deliveries.length === 0) return deliveries;
    const { pending } = await this.groupRequestState(groupId);
    if (pending.size === 0) return deliveries;
    const accounts = await this.accountsOfDevices(deliveries.map((d) => d.deviceId));
    for (const d of deliveries) {
      const account = accounts.get(d.deviceId);
      if (account !== undefined && pending.has(account)) (d.item as MarkedItem).request = true;
    }
    return deliveries;
  }

  /** GET /v1/queue: request marks, and a last screen of what a refused account had queued before. */
  async screenQueue(device: DeviceRef, items: QueueItemRecord[]): Promise<MarkedItem[]> {
    if (items.length === 0) return items;
    const [blocks, declined, pendingGroups] = await Promise.all([
      this.store.blocksOf(device.accountId),
      this.store.incomingRequests(device.accountId, "declined"),
      this.store.pendingGroupsOf(device.accountId),
    ]);
    const refused = new Set([...blocks.map((b) => b.accountId), ...declined.map((r) => r.requesterId)]);
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
    if (dropped.length > 0) await this.store.dropQueueRows(dropped);
    return out;
  }

  /** GET /v1/blobs/:id: attachments from a pending request (or a blocked account) stay withheld. */
  async checkBlobDownload(callerAccountId: string, uploaderAccountId: string): Promise<void> {
    if (callerAccountId === uploaderAccountId) return;
    if (await this.store.areContacts(callerAccountId, uploaderAccountId)) return;
    const request = await this.store.request(uploaderAccountId, callerAccountId);
    // SL-V109 (docs/safety.md, Message requests): a request's attachments download only once it is accepted
    if ((request !== undefined && request.status !== "accepted") || (await this.store.isBlocked(callerAccountId, uploaderAccountId))) {
      throw new ApiError("SL_ERR_REQUEST_PENDING", "this attachment is from a message request: accept the request to download it");
    }
  }

  // ---- safety notices ---------------------------------------------------------------------------------

  private async notify(recipientId: string, about: AccountFacts, reason: NoticeReason, now: number): Promise<void> {
    const data = new TextEncoder().encode(JSON.stringify({ reason, accountId: about.accountId, name: about.name }));
    const event = { id: messageId(now), kind: "safety-notice" as const, sentAt: now, data };
    this.notifier.publish(await this.store.notify(recipientId, about.accountId, reason, event));
  }

  // ---- risk signals and actions --------------------------------------------------------------------------

  private async signalCount(account: AccountFacts, rule: RiskRule, since: number, now: number): Promise<{ count: number; rate?: number }> {
    switch (rule.signal) {
      case "distinct-teens-requested":
        return { count: await this.store.countEvents(account.accountId, ["request-teen"], since, true) };
      case "requests-declined-or-blocked": {
        const refused = await this.store.countEvents(account.accountId, ["request-declined", "request-blocked"], since, false);
        const sent = await this.store.countEvents(account.accountId, ["request"], since, true);
        return { count: refused, rate: sent === 0 ? 1 : refused / sent };
      }
      case "reports-received":
        return { count: await this.store.countReports(account.accountId, since) };
      case "new-account-requests": {
        const young = now - account.createdAt < (rule.accountAgeHours ?? 72) * HOUR;
        return { count: young ? await this.store.countEvents(account.accountId, ["request"], since, true) : 0 };
      }
    }
  }

  /** Runs every rule for the account; a rule whose count is over its threshold fires its actions once
   *  (until a moderator lifts them; its window then restarts at the lift). */
  async evaluate(account: AccountFacts, now = Date.now()): Promise<ActionRecord[]> {
    const fired: ActionRecord[] = [];
    // Read fresh: the memo may lag another node's fire or lift (fireRule itself fires a rule once).
    const active = await this.store.activeActions(account.accountId);
    for (const rule of this.policy.rules) {
      if (active.some((a) => a.rule === rule.name)) continue;
      const since = Math.max(now - rule.windowHours * HOUR, (await this.store.lastLift(account.accountId, rule.name)) ?? 0);
      const { count, rate } = await this.signalCount(account, rule, since, now);
      if (count <= rule.threshold) continue;
      if (rule.minRate !== undefined && rate !== undefined && rate < rule.minRate) continue;
      const detail = JSON.stringify({ signal: rule.signal, count, threshold: rule.threshold, windowHours: rule.windowHours });
      const records = rule.actions.map((action) => ({
        actionId: randomId(),
        accountId: account.accountId,
        action,
        rule: rule.name,
        detail,
        createdAt: now,
        createdBy: "auto",
      }));
      // Another node evaluating this account at the same moment may have fired the rule first.
      if (!(await this.store.fireRule(account.accountId, rule.name, records))) continue;
      this.changed(account.accountId);
      fired.push(...records.map((r) => ({ ...r, liftedAt: undefined, liftedBy: undefined })));
      if (rule.actions.includes("notify-recipients")) {
        for (const recipient of await this.store.requestedSince(account.accountId, now - rule.windowHours * HOUR)) {
          await this.notify(recipient, account, "flagged-sender", now);
        }
      }
    }
    return fired;
  }

  /** Retention: risk events older than every rule's window (and the rate-limit day) are not needed. */
  sweep(now = Date.now()): Promise<number> {
    const hours = Math.max(24, ...this.policy.rules.map((r) => r.windowHours));
    return this.store.pruneEvents(now - hours * HOUR);
  }

  // ---- what users do -------------------------------------------------------------------------------------

  async requestsFor(recipientId: string): Promise<RequestView[]> {
    const requests = await this.store.incomingRequests(recipientId, "pending");
    return Promise.all(
      requests.map(async (r) => ({
        accountId: r.requesterId,
        name: (await this.store.account(r.requesterId))?.name ?? r.requesterId,
        createdAt: r.createdAt,
        notices: await this.store.noticesAbout(recipientId, r.requesterId),
      })),
    );
  }

  /** Accepts a request; with none, approves the account as a contact in advance — except that a minor
   *  cannot pre-approve an adult (adults reach teens only through requests the policy allows). */
  async accept(recipientId: string, requesterId: string, now = Date.now()): Promise<void> {
    const request = await this.store.request(requesterId, recipientId);
    if (request === undefined && !(await this.store.areContacts(recipientId, requesterId))) {
      const me = await this.facts(recipientId);
      const them = await this.facts(requesterId);
      if (this.isMinor(me, now) && !this.isMinor(them, now)) {
        throw new ApiError("SL_ERR_NOT_FOUND", `there is no message request from ${them.name}`);
      }
    }
    await this.store.accept(recipientId, requesterId, now);
    this.changed(requesterId);
  }

  async decline(recipientId: string, requesterId: string, now = Date.now()): Promise<void> {
    if (!(await this.store.decline(recipientId, requesterId, now))) {
      throw new ApiError("SL_ERR_NOT_FOUND", "there is no pending message request from that account");
    }
    this.changed(requesterId);
    await this.evaluate(await this.facts(requesterId), now);
  }

  async block(blockerId: string, blockedId: string, now = Date.now()): Promise<void> {
    // SL-V110 (docs/safety.md, Blocking): an account blocks others, never itself
    if (blockerId === blockedId) throw new ApiError("SL_ERR_BAD_REQUEST", "you cannot block yourself");
    const refusedRequest = await this.store.block(blockerId, blockedId, now);
    this.changed(blockedId);
    if (refusedRequest) await this.evaluate(await this.facts(blockedId), now);
  }

  async unblock(blockerId: string, blockedId: string): Promise<boolean> {
    const unblocked = await this.store.unblock(blockerId, blockedId);
    this.changed(blockedId);
    return unblocked;
  }

  // ---- moderators -------------------------------------------------------------------------------------------

  /** Moderator check for the safety routes: the account's role (schema v3 `accounts.role`). */
  async isModerator(accountId: string): Promise<boolean> {
    const role = (await this.store.account(accountId))?.role;
    return role === "moderator" || role === "admin";
  }

  async lift(accountId: string, moderatorId: string, now = Date.now()): Promise<number> {
    await this.facts(accountId);
    const lifted = await this.store.liftActions(accountId, moderatorId, now);
    this.changed(accountId);
    return lifted;
  }
}

function rateLimited(): ApiError {
  return new ApiError("SL_ERR_RATE_LIMITED", "too many new conversations today; try again later");
}
