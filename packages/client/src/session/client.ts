/**
 * SafelightClient: one device of one account. A thin facade: each public call takes the session lock where it
 * touches MLS group state and hands over to the module that does the job (docs/architecture.md, Client
 * session). The protocol rules themselves live in @safelight/protocol and on the server.
 */
import type { SafetyNumber } from "@safelight/protocol";
import type { ReportReason } from "../transport/moderationTypes.js";
import type { HeldMessage, SavedFile, TypingIndicators } from "../store/types.js";
import { fetchWithheld } from "./attachments.js";
import type { DeviceChange } from "./deviceChanges.js";
import { listDevices, removeDevice, type AccountDeviceInfo } from "./devices.js";
import { SessionContext } from "./context.js";
import { SafelightError } from "../errors.js";
import { markRead, react, Typing, TYPING_SETTINGS } from "./controls.js";
import { addMember, createGroup, directConversation, removeMember, updateKeys } from "./groups.js";
import { disappearing, expireMessages, setDisappearing, type DisappearingSetting } from "./disappearing.js";
import { conversations, history } from "./history.js";
import { knownImageCalls } from "./knownImages.js";
import { confirmDevices, sendOrHold, unconfirmedAccounts, type SendResult } from "./holding.js";
import { parseCheckpoint, type KeyTransparencyAlarm } from "./keyTransparency.js";
import { moderationCalls } from "./moderation.js";
import { createLinkCode, linkDevice, register } from "./onboarding.js";
import { report, type ReportOptions, type ReportReceipt } from "./reports.js";
import { SafetyCalls, type SafetyNotice } from "./safety.js";
import { search, type SearchHit, type SearchOptions } from "./search.js";
import { SyncLoop } from "./sync.js";
import type {
  ClientOptions,
  ConversationEvent,
  ConversationSummary,
  HistoryMessage,
  OutgoingFile,
  ReceivedMessage,
  SendOptions,
} from "./types.js";
import { markVerified, safetyNumberWith, verificationOf, type ContactVerification } from "./verification.js";

export type { ContactVerification } from "./verification.js";
export { TIMER_LABELS, timerText, type DisappearingSetting } from "./disappearing.js";
export type { SendResult } from "./holding.js";
export { deviceChangeText, type DeviceChange } from "./deviceChanges.js";
export type { AccountDeviceInfo } from "./devices.js";
export { TYPING_SETTINGS } from "./controls.js";
export type { HashListInfo } from "./knownImages.js";
export type { SearchHit, SearchOptions } from "./search.js";
export type {
  ClientOptions,
  ConversationEvent,
  ConversationSummary,
  FileSink,
  HistoryMessage,
  MessageStatus,
  OutgoingFile,
  ReceivedMessage,
  SendOptions,
} from "./types.js";

export class SafelightClient {
  private readonly ctx: SessionContext;
  private readonly queue: SyncLoop;
  private readonly typingIndicators: Typing;

  constructor(opts: ClientOptions) {
    this.ctx = new SessionContext(opts, () => this.queue.drain());
    this.queue = new SyncLoop(this.ctx);
    this.typingIndicators = new Typing(this.ctx);
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

  /** A device joined or left a conversation's roster (docs/safety-numbers.md, "Device changes"). */
  onDeviceChange(listener: (c: DeviceChange) => void): () => void {
    this.queue.deviceListeners.add(listener);
    return () => this.queue.deviceListeners.delete(listener);
  }

  /** Receipts, reactions and typing from other members, as sync applies them (docs/messaging.md). */
  onEvent(listener: (e: ConversationEvent) => void): () => void {
    this.queue.eventListeners.add(listener);
    return () => this.queue.eventListeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.ctx.store.close();
  }

  /** A device of this account in the key-transparency log that this device did not accept
   *  (docs/key-transparency.md, "Own-account monitoring"); checked on every sync. */
  onKeyTransparencyAlarm(listener: (a: KeyTransparencyAlarm) => void): () => void {
    this.queue.alarmListeners.add(listener);
    return () => this.queue.alarmListeners.delete(listener);
  }

  /** The newest key-transparency head this device has verified, as `TREESIZE:ROOT`, to compare with
   *  another device or an auditor (the gossip step of docs/key-transparency.md). */
  keyTransparencyCheckpoint(): Promise<string | undefined> {
    return this.ctx.kt.checkpoint();
  }

  /** Checks another party's checkpoint against this device's view; throws SL_ERR_KT_INCONSISTENT on a
   *  split view. */
  async compareKeyTransparency(checkpoint: string): Promise<void> {
    await this.ctx.kt.compare(parseCheckpoint(checkpoint));
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

  /** This account's devices, oldest first; `current` is this one. */
  devices(): Promise<AccountDeviceInfo[]> {
    return listDevices(this.ctx);
  }

  /** Removes another device of this account (a lost phone): the server ends its access at once, then this
   *  device commits its removal from every conversation, so it gets no keys for later epochs. Returns the
   *  conversations it was taken out of. The removed device's next call fails with SL_ERR_DEVICE_REVOKED. */
  async removeDevice(deviceId: string): Promise<string[]> {
    return this.ctx.lock.run(() => removeDevice(this.ctx, deviceId));
  }

  // ---- verification (docs/safety-numbers.md) ---------------------------------------------------

  /** The safety number with NAME, from both accounts' current device sets. */
  safetyNumber(name: string): Promise<SafetyNumber> {
    return safetyNumberWith(this.ctx, name);
  }

  /** Marks NAME verified if THEIRS (their 60 digits, or their QR payload as text) matches; otherwise
   *  throws SL_CLIENT_SAFETY_NUMBER_MISMATCH and stores nothing. */
  markVerified(name: string, theirs: string): Promise<void> {
    return markVerified(this.ctx, name, theirs);
  }

  verification(name: string): Promise<ContactVerification> {
    return verificationOf(this.ctx, name);
  }

  // ---- conversations ---------------------------------------------------------------------------

  /** Sends a 1:1 message, creating the direct conversation on first use. */
  /** Sends (or, in a "verified contacts only" conversation with unconfirmed devices, holds) a message. */
  async sendText(peerName: string, text: string, files: OutgoingFile[] = [], opts: SendOptions = {}): Promise<SendResult> {
    return this.ctx.lock.run(async () => {
      const group = await directConversation(this.ctx, peerName);
      return this.sendIn(group.groupId, text, files, opts);
    });
  }

  async sendToGroup(groupId: string, text: string, files: OutgoingFile[] = [], opts: SendOptions = {}): Promise<SendResult> {
    return this.ctx.lock.run(() => this.sendIn(groupId, text, files, opts));
  }

  private async sendIn(groupId: string, text: string, files: OutgoingFile[], opts: SendOptions): Promise<SendResult> {
    const sent = await sendOrHold(this.ctx, groupId, text, files, opts.replyTo);
    if (sent.held !== true) this.typingIndicators.sent(groupId);
    return sent;
  }

  /** "Verified contacts only" for one conversation (docs/safety-numbers.md, "Holding messages"). */
  setVerifiedOnly(groupId: string, on: boolean): Promise<void> {
    return this.ctx.store.setVerifiedOnly(groupId, on);
  }

  isVerifiedOnly(groupId: string): Promise<boolean> {
    return this.ctx.store.isVerifiedOnly(groupId);
  }

  /** Texts held in this conversation until its new devices are confirmed, oldest first. */
  heldMessages(groupId: string): Promise<HeldMessage[]> {
    return this.ctx.store.listHeld(groupId);
  }

  /** Accounts in the conversation with devices not among those verified; their new devices await confirmation. */
  async unconfirmedDevices(groupId: string): Promise<string[]> {
    return Promise.all((await unconfirmedAccounts(this.ctx, groupId)).map((id) => this.ctx.dir.nameOf(id)));
  }

  /** Accepts the members' current devices and sends the messages held for them. */
  async confirmDevices(groupId: string): Promise<SendResult[]> {
    return this.ctx.lock.run(() => confirmDevices(this.ctx, groupId));
  }

  /** Reacts to a message (an id from history) with one emoji, or takes that reaction back. */
  async react(messageId: string, emoji: string, opts: { remove?: boolean } = {}): Promise<void> {
    await this.ctx.lock.run(() => react(this.ctx, messageId, emoji, opts.remove === true));
  }

  /** Tells the other members these messages were shown (a read receipt), unless read receipts are off or
   *  the conversation holds a pending request; returns how many messages the receipt named. */
  async markRead(groupId: string, messageIds: string[]): Promise<number> {
    if (messageIds.length === 0) return 0;
    return this.ctx.lock.run(() => markRead(this.ctx, groupId, messageIds));
  }

  /** Typing indicator, throttled and withheld where docs/messaging.md says; returns whether one was sent. */
  async typing(groupId: string, on: boolean): Promise<boolean> {
    return this.ctx.lock.run(() => this.typingIndicators.set(groupId, on));
  }

  /** Whom this device sends typing indicators to: the user's choice, or the age band's default. */
  typingSetting(): Promise<TypingIndicators> {
    return this.typingIndicators.setting();
  }

  async setTypingIndicators(setting: TypingIndicators): Promise<void> {
    if (!TYPING_SETTINGS.includes(setting)) throw new SafelightError("SL_CLIENT_BAD_INPUT", `typing indicators are one of ${TYPING_SETTINGS.join(", ")}`);
    await this.ctx.updateProfile({ typingIndicators: setting });
  }

  /** Whether this device sends read receipts and shows others'. */
  get readReceipts(): boolean {
    return this.ctx.requireProfile().readReceipts !== false;
  }

  async setReadReceipts(on: boolean): Promise<void> {
    await this.ctx.updateProfile({ readReceipts: on });
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

  /** An account's name (cached by the directory), or its id when the server does not know it. */
  nameOf(accountId: string): Promise<string> {
    return this.ctx.dir.nameOf(accountId);
  }

  /** The server's view of a group: epoch and member devices (what it routes by). */
  async serverView(groupId: string): Promise<{ epoch: number; members: { leaf: number; accountId: string; deviceId: string }[] }> {
    return this.ctx.authed((a) => a.group(groupId));
  }

  /** Sets the conversation's disappearing-messages timer in seconds (0: off; docs/messaging.md). */
  async setDisappearing(groupId: string, seconds: number): Promise<void> {
    await this.ctx.lock.run(() => setDisappearing(this.ctx, groupId, seconds));
  }

  /** The conversation's current disappearing-messages timer. */
  disappearing(groupId: string): Promise<DisappearingSetting> {
    return disappearing(this.ctx.store, groupId);
  }

  /** Stored messages, after deleting those whose disappearing timer ran out. */
  async history(groupId?: string): Promise<HistoryMessage[]> {
    await expireMessages(this.ctx.store, this.ctx.now());
    return history(this.ctx.store, { accountId: this.ctx.requireProfile().accountId, readReceipts: this.readReceipts }, groupId);
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
