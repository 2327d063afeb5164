/**
 * The page's one Safelight device: the SDK client on IndexedDB, live delivery over the WebSocket, and a
 * change counter the UI subscribes to. MLS runs here, in the page; the server only ever gets ciphertext.
 */
import {
  SafelightClient,
  type ContactVerification,
  type ConversationEvent,
  type KeyTransparencyAlarm,
  type ConversationSummary,
  type DisappearingSetting,
  type HistoryMessage,
  type MessageRequest,
  type OutgoingFile,
  type ReportReason,
  type SearchHit,
  type StoredMessage,
  type TypingIndicators,
} from "@safelight/client";
import { fromB64, openAttachment, type SafetyNumber } from "@safelight/protocol";
import {
  coalesce,
  connectLive,
  fileKey,
  indexedDbFileSink,
  IndexedDbClientStore,
  type LiveConnection,
  type LiveState,
} from "@safelight/client/browser";
import { ImageProtection } from "./imageProtection.js";
import { Notifier } from "./notifications.js";
import { ReadMarks } from "./readMarks.js";

/**
 * The server announces a linked device before that device has uploaded its KeyPackages, and the SDK skips
 * (and consumes) the announcement if it finds none to claim. Holding sync back briefly after such a push
 * gives the new device time to upload. (SDK follow-up: keep the item queued until the packages exist.)
 */
const LINK_GRACE_MS = 8_000;
/** How long a "typing" shows without a newer one: the sender repeats it every 3 s while typing
 *  (docs/messaging.md), so a lapse means they stopped or went away. */
const TYPING_SHOWN_MS = 6_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type Phase = "loading" | "other-tab" | "signed-out" | "ready" | "failed";

export interface ConversationItem extends ConversationSummary {
  /** What the list shows: the title, or for 1:1 the other person's name. */
  label: string;
  last: StoredMessage | undefined;
  unread: number;
  /** A pending message request from someone in this conversation who is not a contact yet (docs/safety.md). */
  request: MessageRequest | undefined;
}

type Listener = () => void;

export class Session {
  phase: Phase = "loading";
  connection: LiveState = "connecting";
  error = "";
  /** Bumped on every change; React reads it through useSyncExternalStore. */
  revision = 0;
  conversations: ConversationItem[] = [];
  requests: MessageRequest[] = [];
  /** Whether the server lets this account use the moderator console (probed on sign-in and by the console). */
  moderator = false;
  readonly notifier = new Notifier();

  private client: SafelightClient | undefined;
  private store: IndexedDbClientStore | undefined;
  private live: LiveConnection | undefined;
  private marks: ReadMarks | undefined;
  private protection: ImageProtection | undefined;
  private names = new Map<string, string>();
  private listeners = new Set<Listener>();
  private readonly serverUrl: string;
  private holdSyncUntil = 0;
  private alarms: KeyTransparencyAlarm[] = [];
  /** Per conversation: who is typing, until when. */
  private typingUntil = new Map<string, Map<string, number>>();

  constructor(serverUrl = location.origin) {
    this.serverUrl = serverUrl;
  }

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getRevision = (): number => this.revision;

  private changed(): void {
    this.revision++;
    for (const l of this.listeners) l();
  }

  get me() {
    return this.client!.me;
  }

  waitForOtherTab(): void {
    this.phase = "other-tab";
    this.changed();
  }

  async start(): Promise<void> {
    this.phase = "loading";
    try {
      this.store = await IndexedDbClientStore.open();
      this.client = this.newClient(this.store);
      await this.client.open();
      if (this.client.registered) await this.enter();
      else this.phase = "signed-out";
    } catch (err) {
      this.phase = "failed";
      this.error = `Could not open this browser's Safelight storage: ${(err as Error).message}`;
    }
    this.changed();
  }

  private newClient(store: IndexedDbClientStore): SafelightClient {
    const client = new SafelightClient({
      store,
      fileSink: indexedDbFileSink(store),
      warn: (m) => console.warn(m),
    });
    client.onMessage((m) => {
      this.names.set(m.fromAccountId, m.from);
      this.typingUntil.get(m.conversation)?.delete(m.from);
      this.notifier.onMessage(m);
    });
    client.onEvent((e) => this.onEvent(e));
    // A device of this account that this browser did not accept (docs/key-transparency.md): shown until dismissed.
    client.onKeyTransparencyAlarm((a) => {
      this.alarms = [...this.alarms, a];
      this.changed();
    });
    return client;
  }

  /** Key-transparency alarms not yet dismissed, oldest first. */
  get keyTransparencyAlarms(): readonly KeyTransparencyAlarm[] {
    return this.alarms;
  }

  dismissAlarm(alarm: KeyTransparencyAlarm): void {
    this.alarms = this.alarms.filter((a) => a !== alarm);
    this.changed();
  }

  private onEvent(e: ConversationEvent): void {
    if (e.type !== "typing") return; // receipts and reactions show through history, re-read on refresh
    const who = this.typingUntil.get(e.conversation) ?? new Map<string, number>();
    this.typingUntil.set(e.conversation, who);
    if (!e.on) who.delete(e.from);
    else {
      who.set(e.from, Date.now() + TYPING_SHOWN_MS);
      setTimeout(() => this.changed(), TYPING_SHOWN_MS + 50);
    }
    this.changed();
  }

  /** Names of the people typing in a conversation now. */
  typingIn(groupId: string): string[] {
    const now = Date.now();
    return [...(this.typingUntil.get(groupId) ?? [])].filter(([, until]) => until > now).map(([name]) => name);
  }

  /** Tells the others this person is typing (or stopped); throttled and withheld by the SDK. Best effort. */
  typing(groupId: string, on: boolean): void {
    this.client!.typing(groupId, on).catch((err: unknown) => console.warn("typing indicator not sent", err));
  }

  async register(name: string, birthdate: string): Promise<void> {
    await this.client!.register(this.serverUrl, name, birthdate);
    await this.enter();
  }

  async link(code: string): Promise<void> {
    await this.client!.linkDevice(this.serverUrl, code.trim());
    await this.enter();
  }

  private async enter(): Promise<void> {
    this.marks = new ReadMarks(this.client!.me.accountId);
    this.protection = new ImageProtection(this.client!.me.accountId);
    this.names.set(this.client!.me.accountId, this.client!.me.name);
    this.phase = "ready";
    // Offline, the last age band the server reported stands (and before any, the protected one).
    const band = this.client!.safety.settings().then(
      (s) => this.protection!.setAgeBand(s.ageBand),
      (err: unknown) => console.warn("age band not refreshed", err),
    );
    await Promise.all([this.refresh(), band]);
    void this.probeModerator();
    const sync = coalesce(
      async () => {
        const wait = this.holdSyncUntil - Date.now();
        if (wait > 0) await sleep(wait);
        const got = await this.client!.sync();
        // Refresh even when nothing new arrived: commits change members and titles too.
        await this.refresh();
        return got;
      },
      (err) => console.warn("sync failed", err),
    );
    this.live = connectLive({
      serverUrl: this.serverUrl,
      token: async () => (await this.store!.getProfile())?.token,
      onPush: (item) => {
        if (item?.kind === "device-linked") this.holdSyncUntil = Date.now() + LINK_GRACE_MS;
        sync();
      },
      onDown: sync,
      onState: (state) => {
        this.connection = state;
        this.changed();
      },
    });
    // The browser knows before the socket does when the network returns.
    addEventListener("online", () => this.live?.reconnectNow());
    // Coming back to the tab marks the open conversation read.
    document.addEventListener("visibilitychange", () => this.changed());
  }

  /** Rebuilds the conversation list (labels, last message, unread counts) from the store. */
  async refresh(): Promise<void> {
    const client = this.client!;
    const me = client.me;
    const all = await client.history();
    const lastByGroup = new Map<string, StoredMessage>();
    for (const m of all) if (!m.device && m.timer === undefined) lastByGroup.set(m.groupId, m);
    const summaries = await client.conversations();
    // Offline, keep the last known inbox rather than hiding pending requests.
    this.requests = await client.safety.requests().catch(() => this.requests);
    this.conversations = summaries
      .map((c) => ({
        ...c,
        label: c.kind === "group" ? c.title || "Untitled group" : c.members.filter((n) => n !== me.name)[0] ?? me.name,
        last: lastByGroup.get(c.id),
        unread: this.marks!.unread(c.id, all),
        request: this.requests.find((r) => c.members.includes(r.name)),
      }))
      .sort((a, b) => (b.last?.receivedAt ?? 0) - (a.last?.receivedAt ?? 0));
    this.changed();
  }

  /** Marks what the open, visible conversation shows as read here, and sends the read receipt for it. */
  markRead(groupId: string, messages: StoredMessage[]): void {
    const unread = this.marks?.unreadOf(groupId, messages) ?? [];
    if (!this.marks?.markRead(groupId, messages)) return;
    void this.refresh();
    if (unread.length) {
      this.client!.markRead(groupId, unread.map((m) => m.id)).catch((err: unknown) => console.warn("read receipt not sent", err));
    }
  }

  /** Safety numbers and verified contacts (docs/safety-numbers.md). */
  safetyNumber(peerName: string): Promise<SafetyNumber> {
    return this.client!.safetyNumber(peerName);
  }

  markVerified(peerName: string, theirs: string): Promise<void> {
    return this.client!.markVerified(peerName, theirs);
  }

  verification(peerName: string): Promise<ContactVerification> {
    return this.client!.verification(peerName);
  }

  /** "Verified contacts only" and the texts it holds (docs/safety-numbers.md, "Holding messages"). */
  async setVerifiedOnly(groupId: string, on: boolean): Promise<void> {
    await this.client!.setVerifiedOnly(groupId, on);
    this.changed();
  }

  isVerifiedOnly(groupId: string): Promise<boolean> {
    return this.client!.isVerifiedOnly(groupId);
  }

  async held(groupId: string): Promise<{ count: number; unconfirmed: string[] }> {
    const [list, unconfirmed] = await Promise.all([this.client!.heldMessages(groupId), this.client!.unconfirmedDevices(groupId)]);
    return { count: list.length, unconfirmed };
  }

  async confirmDevices(groupId: string): Promise<void> {
    await this.client!.confirmDevices(groupId);
    await this.refresh();
  }

  /** The conversation's disappearing-messages timer (docs/messaging.md), set by any member. */
  disappearing(groupId: string): Promise<DisappearingSetting> {
    return this.client!.disappearing(groupId);
  }

  async setDisappearing(groupId: string, seconds: number): Promise<void> {
    await this.client!.setDisappearing(groupId, seconds);
    this.changed();
  }

  /** The first of others' messages that arrived after the conversation's read mark: where "new messages" starts. */
  firstUnread(groupId: string, messages: HistoryMessage[]): string | undefined {
    return this.marks?.unreadOf(groupId, messages)[0]?.id;
  }

  history(groupId: string): Promise<HistoryMessage[]> {
    return this.client!.history(groupId);
  }

  async react(messageId: string, emoji: string, remove: boolean): Promise<void> {
    await this.client!.react(messageId, emoji, { remove });
    this.changed();
  }

  typingSetting(): Promise<TypingIndicators> {
    return this.client!.typingSetting();
  }

  setTypingIndicators(setting: TypingIndicators): Promise<void> {
    return this.client!.setTypingIndicators(setting);
  }

  get readReceipts(): boolean {
    return this.client!.readReceipts;
  }

  async setReadReceipts(on: boolean): Promise<void> {
    await this.client!.setReadReceipts(on);
    this.changed();
  }

  /** Messages of this browser's history containing `text`, oldest first: the SDK searches its local store only
   *  (docs/architecture.md, privacy ledger), never the server. */
  search(text: string): Promise<SearchHit[]> {
    return this.client!.search(text);
  }

  /** A sender's display name; accounts are cached by the SDK when it checks their credentials. */
  async nameOf(accountId: string): Promise<string> {
    const known = this.names.get(accountId) ?? (await this.store!.getAccount(accountId))?.name;
    if (known) this.names.set(accountId, known);
    return known ?? accountId;
  }

  async startDirect(peerName: string, text: string): Promise<string> {
    const sent = await this.client!.sendText(peerName, text);
    await this.refresh();
    return sent.conversation;
  }

  async send(groupId: string, text: string, files: OutgoingFile[] = [], replyTo?: string): Promise<void> {
    const sent = await this.client!.sendToGroup(groupId, text, files, replyTo ? { replyTo } : {});
    // Keep our own copy so the sender's preview survives a reload (the SDK stores no outgoing bytes).
    for (const f of files) await this.store!.putFile(fileKey(sent.id, f.name), { name: f.name, bytes: f.bytes });
    await this.refresh();
  }

  async createGroup(title: string, members: string[]): Promise<string> {
    const id = await this.client!.createGroup(title, members);
    await this.refresh();
    return id;
  }

  async addMember(groupId: string, name: string): Promise<void> {
    await this.client!.addMember(groupId, name);
    await this.refresh();
  }

  async removeMember(groupId: string, name: string): Promise<void> {
    await this.client!.removeMember(groupId, name);
    await this.refresh();
  }

  /** Accepting makes them a contact and downloads the attachments the server withheld meanwhile. */
  async acceptRequest(name: string): Promise<void> {
    await this.client!.acceptRequest(name);
    await this.refresh();
  }

  /** Whether received pictures are checked for likely nudity before they show (docs/image-safety.md). */
  get imageProtection(): ImageProtection {
    return this.protection!;
  }

  /** Blocking is silent: the other person is not told. */
  async block(name: string): Promise<void> {
    await this.client!.safety.block(name);
    await this.refresh();
  }

  /** Declining or blocking is silent: the other person is not told. */
  async declineRequest(name: string, block: boolean): Promise<void> {
    if (block) return this.block(name);
    await this.client!.safety.decline(name);
    await this.refresh();
  }

  /** With `revealFiles`, the message's decrypted attachments stored in this browser go with the report, so
   *  the server can check them against known-image lists and keep them as evidence (docs/known-images.md). */
  async report(message: StoredMessage, reason: ReportReason, note: string, revealFiles: boolean): Promise<{ verified: number; attachments?: number }> {
    const attachments: { messageId: string; name: string; type: string; bytes: Uint8Array }[] = [];
    for (const f of revealFiles ? message.files.filter((f) => !f.error) : []) {
      const bytes = await this.file(message.id, f.name);
      if (bytes) attachments.push({ messageId: message.id, name: f.name, type: f.type, bytes });
    }
    return this.client!.report(message.id, reason, { ...(note ? { note } : {}), ...(attachments.length ? { attachments } : {}) });
  }

  createLinkCode(): Promise<{ code: string; expiresAt: number }> {
    return this.client!.createLinkCode();
  }

  /** The moderation calls (docs/moderation.md); the server refuses them unless this account is a moderator. */
  get moderation() {
    return this.client!.moderation;
  }

  /** Moderator safety actions (docs/safety.md) and known-image detection (docs/known-images.md). */
  get safety() {
    return this.client!.safety;
  }

  get knownImages() {
    return this.client!.knownImages;
  }

  /** Asks the server whether this account is a moderator (403 SL_ERR_FORBIDDEN otherwise). */
  async probeModerator(): Promise<boolean> {
    try {
      await this.client!.moderation.reports("open");
      this.moderator = true;
    } catch (err) {
      if ((err as { code?: string }).code === "SL_ERR_FORBIDDEN") this.moderator = false;
    }
    this.changed();
    return this.moderator;
  }

  /** A reported attachment for a moderator: the encrypted blob with this device's session, opened here with
   *  the key and digest from the franked (verified) message content. */
  async reportedFile(ref: { blobId: string; key: string; digest: string }): Promise<Uint8Array> {
    const download = async () =>
      fetch(`${this.serverUrl}/v1/blobs/${encodeURIComponent(ref.blobId)}`, {
        headers: { authorization: `Bearer ${(await this.store!.getProfile())?.token ?? ""}` },
      });
    let res = await download();
    if (res.status === 401) {
      // An expired token: a sync renews it by signing a login challenge with the device key.
      await this.client!.sync();
      res = await download();
    }
    if (!res.ok) throw new Error(`could not download the attachment (HTTP ${res.status})`);
    const key = fromB64(ref.key);
    const digest = fromB64(ref.digest);
    if (!key || !digest) throw new Error("malformed attachment reference");
    return openAttachment(new Uint8Array(await res.arrayBuffer()), key, digest);
  }

  async file(messageId: string, name: string): Promise<Uint8Array | undefined> {
    return (await this.store!.getFile(fileKey(messageId, name)))?.bytes;
  }
}
