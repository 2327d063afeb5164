import type { Delivery, QueueItemRecord } from "../storage/types.js";

export type ItemListener = (item: QueueItemRecord) => void;

/**
 * Cluster-wide signals, each carrying one id and never content: an account's sessions were revoked (a ban
 * ends its sockets on every node), a device was removed from its account (its sockets end), or a cache a node holds is stale (franking keys, hash lists, the
 * safety reads memoized for fan-out) and must be reloaded from the database.
 */
export type SignalTopic = "account-revoked" | "device-revoked" | "franking-keys" | "hash-lists" | "safety";
export type SignalListener = (id: string) => void;

/**
 * Tells connected sockets about queue items after the transaction that appended them committed, and
 * carries the cluster signals. In-process for one node (this file); over NATS for several (natsNotifier.ts).
 */
export interface Notifier {
  publish(deliveries: Delivery[]): void;
  /** Returns the unsubscribe function. */
  subscribe(deviceId: string, listener: ItemListener): () => void;
  /** Reaches the listeners of every node, this one included. */
  broadcast(topic: SignalTopic, id: string): void;
  /** Returns the unsubscribe function. */
  onSignal(topic: SignalTopic, listener: SignalListener): () => void;
  /** For /healthz: which fan-out, and whether it reaches the other nodes now. */
  readonly backend: "in-process" | "nats";
  readonly connected: boolean;
  close(): Promise<void>;
}

/** Listener sets by key; a throwing listener does not stop the others. */
export class ListenerMap<K, V> {
  private readonly sets = new Map<K, Set<(value: V) => void>>();

  add(key: K, listener: (value: V) => void): () => void {
    let set = this.sets.get(key);
    if (set === undefined) {
      set = new Set();
      this.sets.set(key, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.sets.get(key) === set) this.sets.delete(key);
    };
  }

  emit(key: K, value: V): void {
    for (const listener of this.sets.get(key) ?? []) {
      try {
        listener(value);
      } catch {
        // One broken socket must not stop delivery to the others; the item stays queued anyway.
      }
    }
  }

  clear(): void {
    this.sets.clear();
  }
}

export class InProcessNotifier implements Notifier {
  readonly backend = "in-process";
  readonly connected = true;
  private readonly items = new ListenerMap<string, QueueItemRecord>();
  private readonly signals = new ListenerMap<SignalTopic, string>();

  publish(deliveries: Delivery[]): void {
    for (const { deviceId, item } of deliveries) this.items.emit(deviceId, item);
  }

  subscribe(deviceId: string, listener: ItemListener): () => void {
    return this.items.add(deviceId, listener);
  }

  broadcast(topic: SignalTopic, id: string): void {
    this.signals.emit(topic, id);
  }

  onSignal(topic: SignalTopic, listener: SignalListener): () => void {
    return this.signals.add(topic, listener);
  }

  async close(): Promise<void> {
    this.items.clear();
    this.signals.clear();
  }
}
