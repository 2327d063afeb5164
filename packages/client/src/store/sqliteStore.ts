/** ClientStore on one SQLite file per profile (Node). */
import Database from "better-sqlite3";
import type {
  ClientStore,
  IncomingChange,
  KnownAccount,
  KtState,
  Profile,
  SavedFile,
  StoredGroup,
  StoredEvent,
  StoredKeyPackage,
  StoredMessage,
  Verification,
  HeldMessage,
} from "./types.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS profile (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL, sign_key BLOB NOT NULL, public_key BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS key_packages (ref TEXT PRIMARY KEY, key_package BLOB NOT NULL, private BLOB NOT NULL, last_resort INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS groups (group_id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, peer_account_id TEXT,
  state BLOB NOT NULL, active INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS groups_peer ON groups (peer_account_id) WHERE kind = 'direct';
CREATE TABLE IF NOT EXISTS accounts (account_id TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS key_transparency (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS verifications (account_id TEXT PRIMARY KEY, device_set TEXT NOT NULL, verified_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS verified_only (group_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS held (id TEXT PRIMARY KEY, group_id TEXT NOT NULL, text TEXT NOT NULL, held_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS processed (item_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS messages (id TEXT PRIMARY KEY, group_id TEXT NOT NULL, sender_account_id TEXT NOT NULL,
  sender_device_id TEXT NOT NULL, text TEXT NOT NULL, sent_at INTEGER NOT NULL, received_at INTEGER NOT NULL,
  files TEXT NOT NULL, outgoing INTEGER NOT NULL, n INTEGER NOT NULL, content BLOB, frank TEXT, device TEXT);
CREATE INDEX IF NOT EXISTS messages_group ON messages (group_id, n);
CREATE TABLE IF NOT EXISTS events (n INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, group_id TEXT NOT NULL,
  sender_account_id TEXT NOT NULL, sent_at INTEGER NOT NULL, control TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_group ON events (group_id, n);
`;

/** Columns added after the first release; a profile created before them gets them on open. */
const ADDED_MESSAGE_COLUMNS = ["device TEXT", "ref TEXT", "reply_to TEXT"];

interface GroupRow {
  group_id: string;
  kind: string;
  title: string;
  peer_account_id: string | null;
  state: Buffer;
  active: number;
  updated_at: number;
}

interface MessageRow {
  id: string;
  group_id: string;
  sender_account_id: string;
  sender_device_id: string;
  text: string;
  sent_at: number;
  received_at: number;
  files: string;
  outgoing: number;
  content: Buffer | null;
  frank: string | null;
  device: string | null;
  ref: string | null;
  reply_to: string | null;
}

interface EventRow {
  id: string;
  group_id: string;
  sender_account_id: string;
  sent_at: number;
  control: string;
}

const bytes = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function toGroup(r: GroupRow): StoredGroup {
  return {
    groupId: r.group_id,
    kind: r.kind === "direct" ? "direct" : "group",
    title: r.title,
    peerAccountId: r.peer_account_id ?? undefined,
    state: bytes(r.state),
    active: r.active === 1,
    updatedAt: r.updated_at,
  };
}

function toMessage(r: MessageRow): StoredMessage {
  return {
    id: r.id,
    groupId: r.group_id,
    senderAccountId: r.sender_account_id,
    senderDeviceId: r.sender_device_id,
    text: r.text,
    sentAt: r.sent_at,
    receivedAt: r.received_at,
    files: JSON.parse(r.files) as StoredMessage["files"],
    outgoing: r.outgoing === 1,
    ...(r.content ? { content: bytes(r.content) } : {}),
    ...(r.frank ? { frank: JSON.parse(r.frank) as StoredMessage["frank"] } : {}),
    ...(r.device === "added" || r.device === "removed" ? { device: r.device } : {}),
    ...(r.ref ? { ref: r.ref } : {}),
    ...(r.reply_to ? { replyTo: r.reply_to } : {}),
  };
}

function toEvent(r: EventRow): StoredEvent {
  return {
    id: r.id,
    groupId: r.group_id,
    senderAccountId: r.sender_account_id,
    sentAt: r.sent_at,
    control: JSON.parse(r.control) as StoredEvent["control"],
  };
}

export class SqliteClientStore implements ClientStore {
  private readonly db: Database.Database;
  private counter: number;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(SCHEMA);
    const present = new Set((this.db.prepare("PRAGMA table_info(messages)").all() as { name: string }[]).map((c) => c.name));
    for (const column of ADDED_MESSAGE_COLUMNS) {
      if (!present.has(column.split(" ")[0]!)) this.db.exec(`ALTER TABLE messages ADD COLUMN ${column}`);
    }
    this.db.exec("CREATE INDEX IF NOT EXISTS messages_ref ON messages (group_id, ref) WHERE ref IS NOT NULL");
    this.counter = (this.db.prepare("SELECT COALESCE(MAX(n), 0) AS n FROM messages").get() as { n: number }).n;
  }

  async getProfile(): Promise<Profile | undefined> {
    const row = this.db.prepare("SELECT json, sign_key, public_key FROM profile WHERE id = 1").get() as
      | { json: string; sign_key: Buffer; public_key: Buffer }
      | undefined;
    if (!row) return undefined;
    return { ...(JSON.parse(row.json) as Profile), signKey: bytes(row.sign_key), publicKey: bytes(row.public_key) };
  }

  async saveProfile(p: Profile): Promise<void> {
    const { signKey, publicKey, ...rest } = p;
    this.db
      .prepare("INSERT OR REPLACE INTO profile (id, json, sign_key, public_key) VALUES (1, ?, ?, ?)")
      .run(JSON.stringify(rest), signKey, publicKey);
  }

  async putKeyPackages(list: StoredKeyPackage[]): Promise<void> {
    const insert = this.db.prepare(
      "INSERT OR REPLACE INTO key_packages (ref, key_package, private, last_resort) VALUES (?, ?, ?, ?)",
    );
    this.db.transaction(() => {
      for (const k of list) insert.run(k.ref, k.keyPackage, k.privateKeyPackage, k.lastResort ? 1 : 0);
    })();
  }

  async getKeyPackage(ref: string): Promise<StoredKeyPackage | undefined> {
    const r = this.db.prepare("SELECT * FROM key_packages WHERE ref = ?").get(ref) as
      | { ref: string; key_package: Buffer; private: Buffer; last_resort: number }
      | undefined;
    return r
      ? { ref: r.ref, keyPackage: bytes(r.key_package), privateKeyPackage: bytes(r.private), lastResort: r.last_resort === 1 }
      : undefined;
  }

  async getGroup(groupId: string): Promise<StoredGroup | undefined> {
    const r = this.db.prepare("SELECT * FROM groups WHERE group_id = ?").get(groupId) as GroupRow | undefined;
    return r ? toGroup(r) : undefined;
  }

  async listGroups(): Promise<StoredGroup[]> {
    return (this.db.prepare("SELECT * FROM groups ORDER BY updated_at").all() as GroupRow[]).map(toGroup);
  }

  async saveVerification(v: Verification): Promise<void> {
    this.db
      .prepare("INSERT OR REPLACE INTO verifications (account_id, device_set, verified_at) VALUES (?, ?, ?)")
      .run(v.accountId, v.deviceSet, v.verifiedAt);
  }

  async getVerification(accountId: string): Promise<Verification | undefined> {
    const r = this.db.prepare("SELECT * FROM verifications WHERE account_id = ?").get(accountId) as
      | { account_id: string; device_set: string; verified_at: number }
      | undefined;
    return r ? { accountId: r.account_id, deviceSet: r.device_set, verifiedAt: r.verified_at } : undefined;
  }

  async setVerifiedOnly(groupId: string, on: boolean): Promise<void> {
    this.db.prepare(on ? "INSERT OR IGNORE INTO verified_only (group_id) VALUES (?)" : "DELETE FROM verified_only WHERE group_id = ?").run(groupId);
  }

  async isVerifiedOnly(groupId: string): Promise<boolean> {
    return this.db.prepare("SELECT 1 FROM verified_only WHERE group_id = ?").get(groupId) !== undefined;
  }

  async holdMessage(m: HeldMessage): Promise<void> {
    this.db.prepare("INSERT INTO held (id, group_id, text, held_at) VALUES (?, ?, ?, ?)").run(m.id, m.groupId, m.text, m.heldAt);
  }

  async listHeld(groupId: string): Promise<HeldMessage[]> {
    const rows = this.db.prepare("SELECT * FROM held WHERE group_id = ? ORDER BY held_at, rowid").all(groupId) as
      { id: string; group_id: string; text: string; held_at: number }[];
    return rows.map((r) => ({ id: r.id, groupId: r.group_id, text: r.text, heldAt: r.held_at }));
  }

  async deleteHeld(id: string): Promise<void> {
    this.db.prepare("DELETE FROM held WHERE id = ?").run(id);
  }

  async findDirect(peerAccountId: string): Promise<StoredGroup | undefined> {
    const r = this.db
      .prepare("SELECT * FROM groups WHERE kind = 'direct' AND peer_account_id = ? AND active = 1 ORDER BY updated_at LIMIT 1")
      .get(peerAccountId) as GroupRow | undefined;
    return r ? toGroup(r) : undefined;
  }

  async saveGroup(g: StoredGroup): Promise<void> {
    this.writeGroup(g);
  }

  private writeGroup(g: StoredGroup): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO groups (group_id, kind, title, peer_account_id, state, active, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(g.groupId, g.kind, g.title, g.peerAccountId ?? null, g.state, g.active ? 1 : 0, g.updatedAt);
  }

  private writeMessage(m: StoredMessage): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO messages (id, group_id, sender_account_id, sender_device_id, text, sent_at, received_at, files, outgoing, n, content, frank, device, ref, reply_to)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        m.id,
        m.groupId,
        m.senderAccountId,
        m.senderDeviceId,
        m.text,
        m.sentAt,
        m.receivedAt,
        JSON.stringify(m.files),
        m.outgoing ? 1 : 0,
        ++this.counter,
        m.content ?? null,
        m.frank ? JSON.stringify(m.frank) : null,
        m.device ?? null,
        m.ref ?? null,
        m.replyTo ?? null,
      );
  }

  private writeEvent(e: StoredEvent): void {
    this.db
      .prepare("INSERT OR IGNORE INTO events (id, group_id, sender_account_id, sent_at, control) VALUES (?, ?, ?, ?, ?)")
      .run(e.id, e.groupId, e.senderAccountId, e.sentAt, JSON.stringify(e.control));
  }

  async saveAccount(a: KnownAccount): Promise<void> {
    this.db.prepare("INSERT OR REPLACE INTO accounts (account_id, json) VALUES (?, ?)").run(a.accountId, JSON.stringify(a));
  }

  async getAccount(accountId: string): Promise<KnownAccount | undefined> {
    const r = this.db.prepare("SELECT json FROM accounts WHERE account_id = ?").get(accountId) as
      | { json: string }
      | undefined;
    return r ? (JSON.parse(r.json) as KnownAccount) : undefined;
  }

  async getKtState(): Promise<KtState | undefined> {
    const row = this.db.prepare("SELECT json FROM key_transparency WHERE id = 1").get() as { json: string } | undefined;
    return row ? (JSON.parse(row.json) as KtState) : undefined;
  }

  async saveKtState(state: KtState): Promise<void> {
    this.db.prepare("INSERT OR REPLACE INTO key_transparency (id, json) VALUES (1, ?)").run(JSON.stringify(state));
  }

  async isProcessed(itemId: string): Promise<boolean> {
    return this.db.prepare("SELECT 1 FROM processed WHERE item_id = ?").get(itemId) !== undefined;
  }

  async applyIncoming(change: IncomingChange): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare("INSERT OR IGNORE INTO processed (item_id) VALUES (?)").run(change.itemId);
      if (change.group) this.writeGroup(change.group);
      if (change.message) this.writeMessage(change.message);
      for (const m of change.deviceChanges ?? []) this.writeMessage(m);
      if (change.event) this.writeEvent(change.event);
      if (change.consumedKeyPackageRef) {
        this.db.prepare("DELETE FROM key_packages WHERE ref = ? AND last_resort = 0").run(change.consumedKeyPackageRef);
      }
    })();
  }

  async saveOutgoing(message: StoredMessage, group: StoredGroup): Promise<void> {
    this.db.transaction(() => {
      this.writeGroup(group);
      this.writeMessage(message);
    })();
  }

  async updateMessageFiles(id: string, files: SavedFile[]): Promise<void> {
    this.db.prepare("UPDATE messages SET files = ? WHERE id = ?").run(JSON.stringify(files), id);
  }

  async getMessage(id: string): Promise<StoredMessage | undefined> {
    const r = this.db.prepare("SELECT * FROM messages WHERE id = ?").get(id) as MessageRow | undefined;
    return r ? toMessage(r) : undefined;
  }

  async listMessages(groupId?: string): Promise<StoredMessage[]> {
    const rows = groupId
      ? this.db.prepare("SELECT * FROM messages WHERE group_id = ? ORDER BY n").all(groupId)
      : this.db.prepare("SELECT * FROM messages ORDER BY n").all();
    return (rows as MessageRow[]).map(toMessage);
  }

  async deleteMessagesBefore(groupId: string, t: number): Promise<number> {
    return Number(this.db.prepare("DELETE FROM messages WHERE group_id = ? AND sent_at < ?").run(groupId, t).changes);
  }

  async findByRef(groupId: string, ref: string): Promise<StoredMessage | undefined> {
    const r = this.db.prepare("SELECT * FROM messages WHERE group_id = ? AND ref = ? ORDER BY n LIMIT 1").get(groupId, ref) as
      | MessageRow
      | undefined;
    return r ? toMessage(r) : undefined;
  }

  async saveEvent(event: StoredEvent): Promise<void> {
    this.writeEvent(event);
  }

  async listEvents(groupId?: string): Promise<StoredEvent[]> {
    const rows = groupId
      ? this.db.prepare("SELECT * FROM events WHERE group_id = ? ORDER BY n").all(groupId)
      : this.db.prepare("SELECT * FROM events ORDER BY n").all();
    return (rows as EventRow[]).map(toEvent);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
