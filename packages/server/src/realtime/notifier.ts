import type { Delivery, QueueItemRecord } from "../storage/types.js";

export type ItemListener = (item: QueueItemRecord) => void;

/**
 * Tells connected sockets about queue items after the transaction that appended them committed.
 * In-process now; a NATS/Redis fan-out can implement the same interface for several server nodes.
 */
export interface Notifier {
  publish(deliveries: Delivery[]): void;
  /** Returns the unsubscribe function. */
  subscribe(deviceId: string, listener: ItemListener): () => void;
  close(): Promise<void>;
}

export class InProcessNotifier implements Notifier {
  private readonly listeners = new Map<string, Set<ItemListener>>();

  publish(deliveries: Delivery[]): void {
    for (const { deviceId, item } of deliveries) {
      for (const listener of this.listeners.get(deviceId) ?? []) {
        try {
          listener(item);
        } catch {
          // One broken socket must not stop delivery to the others; the item stays queued anyway.
        }
      }
    }
  }

  subscribe(deviceId: string, listener: ItemListener): () => void {
    let set = this.listeners.get(deviceId);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(deviceId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(deviceId);
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
