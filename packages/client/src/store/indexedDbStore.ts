/**
 * ClientStore in the browser's IndexedDB: device keys, MLS group state and history never leave the page's
 * origin. Every ClientStore method runs in one IndexedDB transaction, so an interrupted sync (tab closed,
 * reload) never half-applies a queue item. Decrypted attachments live in their own object store.
 */
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

/** 2 added `events` and the messages' `ref` index. */
const VERSION = 2;
const STORES = ["kv", "keyPackages", "groups", "accounts", "processed", "messages", "files", "events"] as const;
type StoreName = (typeof STORES)[number];

/** A decrypted attachment (or a copy of one this device sent), kept for previews after a reload. */
export interface StoredFile {
  name: string;
  bytes: Uint8Array;
}

/** Messages get an auto-increment `n` so listings keep arrival order (like the SQLite store's counter). */
type MessageRow = StoredMessage & { n?: number };
type EventRow = StoredEvent & { n?: number };

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
  });
}

function upgrade(db: IDBDatabase, tx: IDBTransaction, oldVersion: number): void {
  if (oldVersion < 1) {
    db.createObjectStore("kv");
    db.createObjectStore("keyPackages", { keyPath: "ref" });
    const groups = db.createObjectStore("groups", { keyPath: "groupId" });
    groups.createIndex("peer", "peerAccountId");
    db.createObjectStore("accounts", { keyPath: "accountId" });
    db.createObjectStore("processed");
    const messages = db.createObjectStore("messages", { keyPath: "n", autoIncrement: true });
    messages.createIndex("id", "id", { unique: true });
    messages.createIndex("group", ["groupId", "n"]);
    db.createObjectStore("files");
  }
  if (oldVersion < 2) {
    // Messages without a `ref` (older ones) are simply absent from this index.
    tx.objectStore("messages").createIndex("ref", ["groupId", "ref"]);
    const events = db.createObjectStore("events", { keyPath: "n", autoIncrement: true });
    events.createIndex("id", "id", { unique: true });
    events.createIndex("group", ["groupId", "n"]);
  }
}

function withoutN<T extends object>(row: T & { n?: number }): T {
  const { n: _n, ...rest } = row;
  return rest as T;
}

export class IndexedDbClientStore implements ClientStore {
  private constructor(private readonly db: IDBDatabase) {}

  /** Opens (creating on first use) the database `name`; one database per browser profile and origin. */
  static async open(name = "safelight", factory: IDBFactory = indexedDB): Promise<IndexedDbClientStore> {
    const req = factory.open(name, VERSION);
    req.onupgradeneeded = (e) => upgrade(req.result, req.transaction!, e.oldVersion);
    return new IndexedDbClientStore(await request(req));
  }

  /** Runs `fn` in one transaction and resolves when it has committed. */
  private async tx<T>(names: StoreName[], mode: IDBTransactionMode, fn: (tx: IDBTransaction) => Promise<T>): Promise<T> {
    const tx = this.db.transaction(names, mode);
    const finished = done(tx);
    try {
      const result = await fn(tx);
      await finished;
      return result;
    } catch (err) {
      try {
        tx.abort();
      } catch {
        // Already finished or aborted.
      }
      finished.catch(() => undefined);
      throw err;
    }
  }

  private get<T>(name: StoreName, key: IDBValidKey): Promise<T | undefined> {
    return this.tx([name], "readonly", (tx) => request(tx.objectStore(name).get(key) as IDBRequest<T | undefined>));
  }

  async getProfile(): Promise<Profile | undefined> {
    return this.get<Profile>("kv", "profile");
  }

  async saveProfile(profile: Profile): Promise<void> {
    await this.tx(["kv"], "readwrite", (tx) => request(tx.objectStore("kv").put(profile, "profile")));
  }

  async putKeyPackages(list: StoredKeyPackage[]): Promise<void> {
    await this.tx(["keyPackages"], "readwrite", async (tx) => {
      const store = tx.objectStore("keyPackages");
      await Promise.all(list.map((k) => request(store.put(k))));
    });
  }

  async getKeyPackage(ref: string): Promise<StoredKeyPackage | undefined> {
    return this.get<StoredKeyPackage>("keyPackages", ref);
  }

  async getGroup(groupId: string): Promise<StoredGroup | undefined> {
    return this.get<StoredGroup>("groups", groupId);
  }

  async listGroups(): Promise<StoredGroup[]> {
    const all = await this.tx(["groups"], "readonly", (tx) => request(tx.objectStore("groups").getAll() as IDBRequest<StoredGroup[]>));
    return all.sort((a, b) => a.updatedAt - b.updatedAt);
  }

  async findDirect(peerAccountId: string): Promise<StoredGroup | undefined> {
    const all = await this.tx(["groups"], "readonly", (tx) =>
      request(tx.objectStore("groups").index("peer").getAll(peerAccountId) as IDBRequest<StoredGroup[]>),
    );
    return all.filter((g) => g.kind === "direct" && g.active).sort((a, b) => a.updatedAt - b.updatedAt)[0];
  }

  async saveGroup(group: StoredGroup): Promise<void> {
    await this.tx(["groups"], "readwrite", (tx) => request(tx.objectStore("groups").put(clean(group))));
  }

  /** Kept in "kv" under a prefixed key, so adding verifications needed no schema version bump. */
  async saveVerification(v: Verification): Promise<void> {
    await this.tx(["kv"], "readwrite", (tx) => request(tx.objectStore("kv").put(v, `verification:${v.accountId}`)));
  }

  async getVerification(accountId: string): Promise<Verification | undefined> {
    return this.get<Verification>("kv", `verification:${accountId}`);
  }

  async setVerifiedOnly(groupId: string, on: boolean): Promise<void> {
    const key = `verified-only:${groupId}`;
    await this.tx(["kv"], "readwrite", async (tx) => {
      if (on) await request(tx.objectStore("kv").put(true, key));
      else await request(tx.objectStore("kv").delete(key));
    });
  }

  async isVerifiedOnly(groupId: string): Promise<boolean> {
    return (await this.get<boolean>("kv", `verified-only:${groupId}`)) === true;
  }

  /** Held messages of a conversation are one "kv" entry, a list in the order they were held. */
  async holdMessage(m: HeldMessage): Promise<void> {
    const key = `held:${m.groupId}`;
    await this.tx(["kv"], "readwrite", async (tx) => {
      const list = ((await request(tx.objectStore("kv").get(key))) as HeldMessage[] | undefined) ?? [];
      await request(tx.objectStore("kv").put([...list, m], key));
    });
  }

  async listHeld(groupId: string): Promise<HeldMessage[]> {
    return (await this.get<HeldMessage[]>("kv", `held:${groupId}`)) ?? [];
  }

  async deleteHeld(id: string): Promise<void> {
    await this.tx(["kv"], "readwrite", async (tx) => {
      const store = tx.objectStore("kv");
      const keys = (await request(store.getAllKeys())).filter((k) => typeof k === "string" && k.startsWith("held:"));
      for (const key of keys) {
        const list = (await request(store.get(key))) as HeldMessage[];
        if (list.some((m) => m.id === id)) await request(store.put(list.filter((m) => m.id !== id), key));
      }
    });
  }

  async saveAccount(account: KnownAccount): Promise<void> {
    await this.tx(["accounts"], "readwrite", (tx) => request(tx.objectStore("accounts").put(account)));
  }

  async getAccount(accountId: string): Promise<KnownAccount | undefined> {
    return this.get<KnownAccount>("accounts", accountId);
  }

  async getKtState(): Promise<KtState | undefined> {
    return this.get<KtState>("kv", "keyTransparency");
  }

  async saveKtState(state: KtState): Promise<void> {
    await this.tx(["kv"], "readwrite", (tx) => request(tx.objectStore("kv").put(state, "keyTransparency")));
  }

  async isProcessed(itemId: string): Promise<boolean> {
    return (await this.get<boolean>("processed", itemId)) !== undefined;
  }

  async applyIncoming(change: IncomingChange): Promise<void> {
    await this.tx(["processed", "groups", "messages", "events", "keyPackages"], "readwrite", async (tx) => {
      await request(tx.objectStore("processed").put(true, change.itemId));
      if (change.group) await request(tx.objectStore("groups").put(clean(change.group)));
      if (change.message) await this.insertOnce(tx, "messages", change.message);
      if (change.event) await this.insertOnce(tx, "events", change.event);
      for (const m of change.deviceChanges ?? []) await this.insertOnce(tx, "messages", m);
      if (change.consumedKeyPackageRef) {
        const store = tx.objectStore("keyPackages");
        const kp = (await request(store.get(change.consumedKeyPackageRef))) as StoredKeyPackage | undefined;
        // Last-resort packages may be used again (RFC 9420 §16.8); one-time packages are deleted.
        if (kp && !kp.lastResort) await request(store.delete(change.consumedKeyPackageRef));
      }
    });
  }

  async saveOutgoing(message: StoredMessage, group: StoredGroup): Promise<void> {
    await this.tx(["groups", "messages"], "readwrite", async (tx) => {
      await request(tx.objectStore("groups").put(clean(group)));
      await this.insertOnce(tx, "messages", message);
    });
  }

  /** INSERT OR IGNORE by id, as in the SQLite store. */
  private async insertOnce(tx: IDBTransaction, name: "messages" | "events", row: StoredMessage | StoredEvent): Promise<void> {
    const store = tx.objectStore(name);
    const existing = await request(store.index("id").getKey(row.id));
    if (existing === undefined) await request(store.add(clean(row)));
  }

  async updateMessageFiles(id: string, files: SavedFile[]): Promise<void> {
    await this.tx(["messages"], "readwrite", async (tx) => {
      const store = tx.objectStore("messages");
      const row = await request(store.index("id").get(id) as IDBRequest<MessageRow | undefined>);
      if (row) await request(store.put({ ...row, files }));
    });
  }

  async getMessage(id: string): Promise<StoredMessage | undefined> {
    const row = await this.tx(["messages"], "readonly", (tx) =>
      request(tx.objectStore("messages").index("id").get(id) as IDBRequest<MessageRow | undefined>),
    );
    return row ? withoutN<StoredMessage>(row) : undefined;
  }

  async listMessages(groupId?: string): Promise<StoredMessage[]> {
    return (await this.listRows<MessageRow>("messages", groupId)).map((r) => withoutN<StoredMessage>(r));
  }

  async deleteMessagesBefore(groupId: string, t: number): Promise<number> {
    return this.tx(["messages"], "readwrite", async (tx) => {
      const store = tx.objectStore("messages");
      const rows = await request(store.index("group").getAll(IDBKeyRange.bound([groupId, 0], [groupId, Infinity])) as IDBRequest<MessageRow[]>);
      const old = rows.filter((r) => r.sentAt < t);
      for (const r of old) await request(store.delete(r.n!));
      return old.length;
    });
  }

  async findByRef(groupId: string, ref: string): Promise<StoredMessage | undefined> {
    const row = await this.tx(["messages"], "readonly", (tx) =>
      request(tx.objectStore("messages").index("ref").get([groupId, ref]) as IDBRequest<MessageRow | undefined>),
    );
    return row ? withoutN<StoredMessage>(row) : undefined;
  }

  async saveEvent(event: StoredEvent): Promise<void> {
    await this.tx(["events"], "readwrite", (tx) => this.insertOnce(tx, "events", event));
  }

  async listEvents(groupId?: string): Promise<StoredEvent[]> {
    return (await this.listRows<EventRow>("events", groupId)).map((r) => withoutN<StoredEvent>(r));
  }

  /** A store's rows in arrival order, of one conversation or all. */
  private listRows<T>(name: "messages" | "events", groupId?: string): Promise<T[]> {
    return this.tx([name], "readonly", (tx) => {
      const store = tx.objectStore(name);
      const req = groupId ? store.index("group").getAll(IDBKeyRange.bound([groupId, 0], [groupId, Infinity])) : store.getAll();
      return request(req as IDBRequest<T[]>);
    });
  }

  // ---- attachments (browser-only; not part of ClientStore) --------------------------------------

  async putFile(key: string, file: StoredFile): Promise<void> {
    await this.tx(["files"], "readwrite", (tx) => request(tx.objectStore("files").put(file, key)));
  }

  async getFile(key: string): Promise<StoredFile | undefined> {
    return this.get<StoredFile>("files", key);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/** IndexedDB rejects `undefined`-valued index keys only in keyPath position; dropping undefined fields keeps
 *  records small and avoids indexing absent peers. */
function clean<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Where the web app keeps one attachment: per message id and file name. */
export function fileKey(messageId: string, name: string): string {
  return `${messageId}/${name}`;
}
