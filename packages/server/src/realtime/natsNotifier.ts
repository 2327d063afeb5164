/**
 * Cross-node fan-out over NATS core pub/sub, for several server nodes on one PostgreSQL. A signal
 * carries ids only, never content: the node holding a device's socket reads the new items from the
 * database. Signals are fire-and-forget: a lost one delays delivery until the client next reads its
 * queue (on connect, on its timer), it never loses a message, which stays queued until acked.
 */
import { connect, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { randomId } from "../crypto.js";
import type { Delivery, Storage } from "../storage/types.js";
import { InProcessNotifier, type ItemListener, type Notifier, type SignalListener, type SignalTopic } from "./notifier.js";

export interface NatsNotifierOptions {
  /** e.g. `nats://127.0.0.1:4222`. */
  url: string;
  /** Subject prefix shared by the nodes of one deployment (tests give each run its own). */
  prefix?: string;
}

/** Items fetched for one signal: the queue page a client would read. */
const FETCH_LIMIT = 100;
/** Ids already pushed per device, remembered so a signal does not push an item twice. */
const PUSHED_MEMORY = 1000;

interface DeviceSubscription {
  sub: Subscription;
  listeners: number;
  pushed: Set<string>;
}

export class NatsNotifier implements Notifier {
  private readonly local = new InProcessNotifier();
  private readonly devices = new Map<string, DeviceSubscription>();
  /** Tells this node's own messages apart: it has already acted on them locally. */
  private readonly node = randomId();
  readonly backend = "nats";
  private up = true;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly storage: Storage,
    private readonly prefix: string,
  ) {
    nc.subscribe(`${prefix}.signal.*`, {
      callback: (err, msg) => {
        if (err !== null) return;
        const [node, id] = msg.string().split(" ");
        const topic = msg.subject.slice(prefix.length + ".signal.".length) as SignalTopic;
        if (node !== this.node && id !== undefined) this.local.broadcast(topic, id);
      },
    });
    void this.watchStatus();
  }

  static async open(storage: Storage, options: NatsNotifierOptions): Promise<NatsNotifier> {
    const nc = await connect({ servers: options.url, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
    const notifier = new NatsNotifier(nc, storage, options.prefix ?? "safelight");
    // The signal subscription is live on the NATS server once flush returns: a signal another node
    // broadcasts right after this node starts is not lost.
    await nc.flush();
    return notifier;
  }

  publish(deliveries: Delivery[]): void {
    for (const d of deliveries) this.remember(d.deviceId, d.item.id);
    this.local.publish(deliveries);
    for (const deviceId of new Set(deliveries.map((d) => d.deviceId))) {
      this.nc.publish(`${this.prefix}.queue.${deviceId}`, this.node);
    }
  }

  subscribe(deviceId: string, listener: ItemListener): () => void {
    const unsubscribe = this.local.subscribe(deviceId, listener);
    let entry = this.devices.get(deviceId);
    if (entry === undefined) {
      // Device ids are base64url (crypto.ts randomId): valid single subject tokens.
      const sub = this.nc.subscribe(`${this.prefix}.queue.${deviceId}`, {
        callback: (err, msg) => {
          if (err === null && msg.string() !== this.node) void this.pushFromQueue(deviceId);
        },
      });
      entry = { sub, listeners: 0, pushed: new Set() };
      this.devices.set(deviceId, entry);
    }
    entry.listeners++;
    const mine = entry;
    return () => {
      unsubscribe();
      if (--mine.listeners === 0) {
        mine.sub.unsubscribe();
        if (this.devices.get(deviceId) === mine) this.devices.delete(deviceId);
      }
    };
  }

  broadcast(topic: SignalTopic, id: string): void {
    this.local.broadcast(topic, id);
    this.nc.publish(`${this.prefix}.signal.${topic}`, `${this.node} ${id}`);
  }

  onSignal(topic: SignalTopic, listener: SignalListener): () => void {
    return this.local.onSignal(topic, listener);
  }

  async close(): Promise<void> {
    await this.local.close();
    this.devices.clear();
    await this.nc.drain().catch(() => {});
  }

  /** Whether NATS is reachable now, for /health (the client reconnects by itself). */
  get connected(): boolean {
    return this.up && !this.nc.isClosed();
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === "disconnect") this.up = false;
      else if (s.type === "reconnect") this.up = true;
    }
  }

  private remember(deviceId: string, id: string): void {
    const pushed = this.devices.get(deviceId)?.pushed;
    if (pushed === undefined) return;
    pushed.add(id);
    if (pushed.size > PUSHED_MEMORY) pushed.delete(pushed.values().next().value as string);
  }

  private async pushFromQueue(deviceId: string): Promise<void> {
    let items;
    try {
      items = await this.storage.listQueue(deviceId, FETCH_LIMIT);
    } catch {
      return; // The database is away: the client reads its queue when it reconnects.
    }
    const fresh = items.filter((item) => !this.devices.get(deviceId)?.pushed.has(item.id));
    for (const item of fresh) this.remember(deviceId, item.id);
    this.local.publish(fresh.map((item) => ({ deviceId, item })));
  }
}
