/**
 * SafelightClient: one device of one account. A thin facade: each public call takes the session lock where it
 * touches MLS group state and hands over to the module that does the job (docs/architecture.md, Client
 * session). The protocol rules themselves live in @safelight/protocol and on the server.
 */
import type { ReportReason } from "../transport/api.js";
import type { SavedFile, StoredMessage } from "../store/types.js";
import { fetchWithheld } from "./attachments.js";
import { SessionContext } from "./context.js";
import { addMember, createGroup, directConversation, removeMember, updateKeys } from "./groups.js";
import { conversations, history } from "./history.js";
import { knownImageCalls } from "./knownImages.js";
import { sendInGroup } from "./messaging.js";
import { moderationCalls } from "./moderation.js";
import { createLinkCode, linkDevice, register } from "./onboarding.js";
import { report, type ReportOptions, type ReportReceipt } from "./reports.js";
import { SafetyCalls, type SafetyNotice } from "./safety.js";
import { search, type SearchHit, type SearchOptions } from "./search.js";
import { SyncLoop } from "./sync.js";
import type { ClientOptions, ConversationSummary, OutgoingFile, ReceivedMessage } from "./types.js";

export type { HashListInfo } from "./knownImages.js";
export type { SearchHit, SearchOptions } from "./search.js";
export type { ClientOptions, ConversationSummary, FileSink, OutgoingFile, ReceivedMessage } from "./types.js";

export class SafelightClient {
  private readonly ctx: SessionContext;
  private readonly queue: SyncLoop;

  constructor(opts: ClientOptions) {
    this.ctx = new SessionContext(opts, () => this.queue.drain());
    this.queue = new SyncLoop(this.ctx);
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
    this.queue.messageListeners.add(listener);
    return () => this.queue.messageListeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.ctx.store.close();
  }

  /** Safety notices the server sends during sync (docs/safety.md). */
  onSafetyNotice(listener: (n: SafetyNotice) => void): () => void {
    this.queue.noticeListeners.add(listener);
    return () => this.queue.noticeListeners.delete(listener);
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

  /** Messages on this device whose text contains `text` (case-insensitive); reads only the local store. */
  search(text: string, opts: SearchOptions = {}): Promise<SearchHit[]> {
    return search(this.ctx.store, (id) => this.ctx.dir.nameOf(id), text, opts);
  }

  // ---- receiving -------------------------------------------------------------------------------

  /** Fetches, decrypts and acknowledges everything queued for this device. */
  async sync(): Promise<ReceivedMessage[]> {
    return this.ctx.lock.run(() => this.queue.sync());
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
