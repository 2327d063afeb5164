/**
 * SafelightClient: one device of one account. Wires the transport, the store and the MLS engine together;
 * the protocol rules themselves live in @safelight/protocol and on the server.
 */
import {
  fromB64,
  members,
} from "@safelight/protocol";
import type { QueueItem, ReportReason } from "../transport/api.js";
import type { SavedFile, StoredMessage } from "../store/types.js";
import { SessionContext } from "./context.js";
import { fetchWithheld } from "./attachments.js";
import { conversations, history } from "./history.js";
import { topUpKeyPackages } from "./keyPackages.js";
import { FrankVerifier } from "./frankVerifier.js";
import { applyApplication, applyCommit, applyWelcome } from "./incoming.js";
import { addLinkedDevice, addMember, createGroup, directConversation, removeMember, updateKeys } from "./groups.js";
import { sendInGroup } from "./messaging.js";
import { knownImageCalls } from "./knownImages.js";
import { moderationCalls } from "./moderation.js";
import { report, type ReportOptions, type ReportReceipt } from "./reports.js";
import { createLinkCode, linkDevice, register } from "./onboarding.js";
import { isTransient } from "./retry.js";
import { noticeText, SafetyCalls, type SafetyNotice } from "./safety.js";
import type { ClientOptions, ConversationSummary, OutgoingFile, ReceivedMessage } from "./types.js";

export type { HashListInfo } from "./knownImages.js";
export type { ClientOptions, ConversationSummary, FileSink, OutgoingFile, ReceivedMessage } from "./types.js";

/** How long a `device-linked` event is retried while the new device has no KeyPackage on the server. */
const LINK_RETRY_MS = 10 * 60 * 1000;
/** handle()'s answer for an item to leave queued and retry at a later sync. */
const DEFERRED = Symbol("deferred");

export class SafelightClient {
  private readonly ctx: SessionContext;
  private listeners = new Set<(m: ReceivedMessage) => void>();
  private readonly franks: FrankVerifier;
  private noticeListeners = new Set<(n: SafetyNotice) => void>();

  constructor(opts: ClientOptions) {
    this.ctx = new SessionContext(opts, () => this.drainQueue());
    this.franks = new FrankVerifier((call) => this.ctx.authed(call));
  }

  /** Loads an existing profile, if the store has one. */
  async open(): Promise<this> {
    const profile = await this.ctx.store.getProfile();
    if (profile) await this.ctx.attach(profile);
    return this;
  }

  get registered(): boolean {
    return this.ctx.attached;
  }

  get me(): { accountId: string; deviceId: string; name: string; serverUrl: string } {
    const p = this.ctx.requireProfile();
    return { accountId: p.accountId, deviceId: p.deviceId, name: p.name, serverUrl: p.serverUrl };
  }

  onMessage(listener: (m: ReceivedMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.ctx.store.close();
  }

  /** Safety notices the server sends during sync (docs/safety.md). */
  onSafetyNotice(listener: (n: SafetyNotice) => void): () => void {
    this.noticeListeners.add(listener);
    return () => this.noticeListeners.delete(listener);
  }

  /** Message requests, contacts, blocking, who may message this account (session/safety.ts). */
  get safety(): SafetyCalls {
    return new SafetyCalls((call) => this.ctx.authed(call), this.ctx.dir);
  }

  /** Accepts NAME's message request, then downloads the attachments withheld while it was pending;
   *  returns those now saved. */
  async acceptRequest(name: string): Promise<SavedFile[]> {
    return this.ctx.lock.run(async () => {
      await this.safety.accept(name);
      const peer = await this.ctx.dir.byName(name);
      return fetchWithheld(this.ctx, peer.accountId);
    });
  }

  // ---- account and devices ---------------------------------------------------------------------

  register(serverUrl: string, name: string, birthdate: string): Promise<void> {
    return register(this.ctx, serverUrl, name, birthdate);
  }

  /** Pairing, step 1 (existing device): a one-time code to type into the new device. */
  createLinkCode(): Promise<{ code: string; expiresAt: number }> {
    return createLinkCode(this.ctx);
  }

  /** Pairing, step 2 (new device): joins the account that issued the code. */
  linkDevice(serverUrl: string, code: string): Promise<void> {
    return linkDevice(this.ctx, serverUrl, code);
  }

  // ---- conversations ---------------------------------------------------------------------------

  /** Sends a 1:1 message, creating the direct conversation on first use. */
  async sendText(peerName: string, text: string, files: OutgoingFile[] = []): Promise<{ id: string; conversation: string }> {
    return this.ctx.lock.run(async () => {
      const group = await directConversation(this.ctx, peerName);
      return sendInGroup(this.ctx, group.groupId, text, files);
    });
  }

  async sendToGroup(groupId: string, text: string, files: OutgoingFile[] = []): Promise<{ id: string; conversation: string }> {
    return this.ctx.lock.run(() => sendInGroup(this.ctx, groupId, text, files));
  }

  async createGroup(title: string, memberNames: string[]): Promise<string> {
    return this.ctx.lock.run(() => createGroup(this.ctx, title, memberNames));
  }

  async addMember(groupId: string, name: string): Promise<void> {
    await this.ctx.lock.run(() => addMember(this.ctx, groupId, name));
  }

  async removeMember(groupId: string, name: string): Promise<void> {
    await this.ctx.lock.run(() => removeMember(this.ctx, groupId, name));
  }

  /** A commit with only an update path: fresh keys for this device, for post-compromise security
   *  (RFC 9420 §12.4, §16.6). */
  async updateKeys(groupId: string): Promise<void> {
    await this.ctx.lock.run(() => updateKeys(this.ctx, groupId));
  }

  conversations(): Promise<ConversationSummary[]> {
    return conversations(this.ctx.store, (id) => this.ctx.dir.nameOf(id));
  }

  /** The server's view of a group: epoch and member devices (what it routes by). */
  async serverView(groupId: string): Promise<{ epoch: number; members: { leaf: number; accountId: string; deviceId: string }[] }> {
    return this.ctx.authed((a) => a.group(groupId));
  }

  history(groupId?: string): Promise<StoredMessage[]> {
    return history(this.ctx.store, groupId);
  }

  // ---- receiving -------------------------------------------------------------------------------

  /** Fetches, decrypts and acknowledges everything queued for this device. */
  async sync(): Promise<ReceivedMessage[]> {
    return this.ctx.lock.run(async () => {
      const received = await this.drainQueue();
      await topUpKeyPackages(this.ctx);
      return received;
    });
  }

  private async drainQueue(): Promise<ReceivedMessage[]> {
    const received: ReceivedMessage[] = [];
    for (;;) {
      const { items } = await this.ctx.authed((a) => a.queue(100));
      const done: string[] = [];
      for (const item of items) {
        const message = (await this.ctx.store.isProcessed(item.id)) ? undefined : await this.handle(item);
        if (message === DEFERRED) continue;
        done.push(item.id);
        if (message) {
          received.push(message);
          for (const l of this.listeners) l(message);
        }
      }
      // Deferred items stay queued for the next sync; stop once a page holds nothing else.
      if (done.length === 0) return received;
      await this.ctx.authed((a) => a.ack(done));
    }
  }

  /** Applies one queue item. Items that fail MLS checks are recorded as processed and dropped: a forged
   *  or corrupt message must not block the queue, and it never reaches the user. */
  private async handle(item: QueueItem): Promise<ReceivedMessage | typeof DEFERRED | undefined> {
    const store = this.ctx.store;
    const data = item.data === undefined ? undefined : fromB64(item.data);
    try {
      switch (item.kind) {
        case "welcome":
          if (data) await applyWelcome(this.ctx, item.id, data);
          return undefined;
        case "commit":
          if (data && item.groupId) await applyCommit(this.ctx, item.id, item.groupId, data);
          return undefined;
        case "application":
          return data && item.groupId ? await applyApplication(this.ctx, this.franks, item, item.groupId, data) : undefined;
        case "device-linked":
          // The new device may not have uploaded its KeyPackages yet: retry at a later sync, for a while.
          if (item.sender && !(await addLinkedDevice(this.ctx, item.sender.deviceId)) && Date.now() - item.sentAt < LINK_RETRY_MS) {
            return DEFERRED;
          }
          await store.applyIncoming({ itemId: item.id });
          return undefined;
        case "safety-notice":
          if (data) this.emitNotice(item.id, item.sentAt, data);
          break;
      }
    } catch (err) {
      if (isTransient(err)) throw err;
      (this.ctx.opts.warn ?? console.warn)(`dropped queue item ${item.id} (${item.kind}): ${(err as Error).message}`);
    }
    await store.applyIncoming({ itemId: item.id });
    return undefined;
  }

  private emitNotice(id: string, sentAt: number, data: Uint8Array): void {
    const n = JSON.parse(new TextDecoder().decode(data)) as { reason: string; accountId: string; name: string };
    const notice = { id, reason: n.reason, text: noticeText(n.reason), accountId: n.accountId, name: n.name, sentAt };
    for (const l of this.noticeListeners) l(notice);
  }

  /** Reports a received message with up to `contextCount` preceding received messages of the same
   *  conversation, each with its franking opening, so the server can verify every one. */
  async report(messageId: string, reason: ReportReason, opts: ReportOptions = {}): Promise<ReportReceipt> {
    return report(this.ctx, messageId, reason, opts);
  }

  /** Known-image detection (docs/known-images.md): pictures for everyone, hash lists and figures for
   *  admins, detection items and evidence for moderators. */
  get knownImages() {
    return knownImageCalls(this.ctx);
  }

  /** The moderation queue; the server refuses these calls unless this account is a moderator. */
  get moderation() {
    return moderationCalls(this.ctx);
  }
}
