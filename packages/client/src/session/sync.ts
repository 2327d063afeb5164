/** The sync loop: fetches this device's queue page by page, applies each item in order, tells listeners,
 *  and acknowledges what it processed (docs/architecture.md, Message flow: at-least-once delivery, items
 *  made idempotent by their ids). */
import { fromB64 } from "@safelight/protocol";
import type { QueueItem } from "../transport/api.js";
import type { StoredMessage } from "../store/types.js";
import type { SessionContext } from "./context.js";
import { toDeviceChange, type DeviceChange } from "./deviceChanges.js";
import { FrankVerifier } from "./frankVerifier.js";
import { addLinkedDevice, removeOwnDevice } from "./groups.js";
import { sendReceipts } from "./controls.js";
import { expireMessages } from "./disappearing.js";
import { applyApplication, applyCommit, applyWelcome, type Applied } from "./incoming.js";
import { topUpKeyPackages } from "./keyPackages.js";
import type { KeyTransparencyAlarm } from "./keyTransparency.js";
import { isTransient } from "./retry.js";
import { noticeText, type SafetyNotice } from "./safety.js";
import type { ConversationEvent, ReceivedMessage } from "./types.js";

/** How long a `device-linked` event is retried while the new device has no KeyPackage on the server. */
const LINK_RETRY_MS = 10 * 60 * 1000;
/** handle()'s answer for an item to leave queued and retry at a later sync. */
const DEFERRED = Symbol("deferred");

export class SyncLoop {
  readonly messageListeners = new Set<(m: ReceivedMessage) => void>();
  readonly noticeListeners = new Set<(n: SafetyNotice) => void>();
  readonly alarmListeners = new Set<(a: KeyTransparencyAlarm) => void>();
  readonly deviceListeners = new Set<(c: DeviceChange) => void>();
  readonly eventListeners = new Set<(e: ConversationEvent) => void>();
  private readonly franks: FrankVerifier;
  /** References of received messages, per conversation, whose delivery receipt is still to send. */
  private readonly undelivered = new Map<string, string[]>();

  constructor(private readonly ctx: SessionContext) {
    this.franks = new FrankVerifier(ctx.serverKeys);
  }

  /** Fetches, decrypts and acknowledges everything queued, sends the delivery receipts, tops up this
   *  device's KeyPackages, and reads the key-transparency log for devices of this account it did not
   *  accept, or that were removed (docs/key-transparency.md). */
  async sync(): Promise<ReceivedMessage[]> {
    const received = await this.drain();
    await expireMessages(this.ctx.store, this.ctx.now());
    await this.sendDeliveryReceipts();
    await topUpKeyPackages(this.ctx);
    const { alarms, revoked } = await this.ctx.kt.monitor();
    for (const alarm of alarms) for (const l of this.alarmListeners) l(alarm);
    // Another device removed one of this account's devices: take it out here too, in case the remover
    // stopped half way or is not in every conversation this device is in (a no-op otherwise).
    for (const deviceId of revoked) await removeOwnDevice(this.ctx, deviceId);
    return received;
  }

  /** One receipt per conversation for what arrived (docs/messaging.md). A failure loses only the receipt. */
  private async sendDeliveryReceipts(): Promise<void> {
    for (const [groupId, refs] of this.undelivered) {
      this.undelivered.delete(groupId);
      try {
        await sendReceipts(this.ctx, groupId, "delivered", refs);
      } catch (err) {
        if (isTransient(err)) throw err;
        (this.ctx.opts.warn ?? console.warn)(`delivery receipt not sent to ${groupId}: ${(err as Error).message}`);
      }
    }
  }

  async drain(): Promise<ReceivedMessage[]> {
    const received: ReceivedMessage[] = [];
    for (;;) {
      const { items } = await this.ctx.authed((a) => a.queue(100));
      const done: string[] = [];
      for (const item of items) {
        const applied = (await this.ctx.store.isProcessed(item.id)) ? undefined : await this.handle(item);
        if (applied === DEFERRED) continue;
        done.push(item.id);
        if (applied && "event" in applied) for (const l of this.eventListeners) l(applied.event);
        if (applied && "message" in applied) {
          const { message, ref } = applied;
          received.push(message);
          // No receipt into a pending request (it would accept it, SL-V108) or for this account's own messages.
          if (ref && !message.request && message.fromAccountId !== this.ctx.requireProfile().accountId) {
            this.undelivered.set(message.conversation, [...(this.undelivered.get(message.conversation) ?? []), ref]);
          }
          for (const l of this.messageListeners) l(message);
        }
      }
      // Deferred items stay queued for the next sync; stop once a page holds nothing else.
      if (done.length === 0) return received;
      await this.ctx.authed((a) => a.ack(done));
    }
  }

  /** Applies one queue item. Items that fail MLS checks are recorded as processed and dropped: a forged
   *  or corrupt message must not block the queue, and it never reaches the user. */
  private async handle(item: QueueItem): Promise<Applied | typeof DEFERRED> {
    const ctx = this.ctx;
    const data = item.data === undefined ? undefined : fromB64(item.data);
    try {
      switch (item.kind) {
        case "welcome":
          if (data) await applyWelcome(ctx, item.id, data);
          return undefined;
        case "commit":
          if (data && item.groupId) await this.emitDeviceChanges(await applyCommit(ctx, item, item.groupId, data));
          return undefined;
        case "application":
          return data && item.groupId ? await applyApplication(ctx, this.franks, item, item.groupId, data) : undefined;
        case "device-linked":
          // The new device may not have uploaded its KeyPackages yet: retry at a later sync, for a while.
          if (item.sender && !(await addLinkedDevice(ctx, item.sender.deviceId)) && Date.now() - item.sentAt < LINK_RETRY_MS) {
            return DEFERRED;
          }
          await ctx.store.applyIncoming({ itemId: item.id });
          return undefined;
        case "safety-notice":
          if (data) this.emitNotice(item.id, item.sentAt, data);
          break;
      }
    } catch (err) {
      if (isTransient(err)) throw err;
      (ctx.opts.warn ?? console.warn)(`dropped queue item ${item.id} (${item.kind}): ${(err as Error).message}`);
    }
    await ctx.store.applyIncoming({ itemId: item.id });
    return undefined;
  }

  async emitDeviceChanges(entries: StoredMessage[]): Promise<void> {
    for (const entry of entries) {
      const change = await toDeviceChange(this.ctx, entry);
      for (const l of this.deviceListeners) l(change);
    }
  }

  private emitNotice(id: string, sentAt: number, data: Uint8Array): void {
    const n = JSON.parse(new TextDecoder().decode(data)) as { reason: string; accountId: string; name: string };
    const notice = { id, reason: n.reason, text: noticeText(n.reason), accountId: n.accountId, name: n.name, sentAt };
    for (const l of this.noticeListeners) l(notice);
  }
}
