/**
 * Device changes are never silent (docs/safety-numbers.md, "Device changes"): every device a commit adds
 * to or removes from a conversation's MLS roster (RFC 9420 §12.1.1, §12.1.3) becomes a timeline entry on
 * this device, derived from the group states before and after the commit, not from anything the server says.
 */
import { members, type GroupState } from "@safelight/protocol";
import type { StoredMessage } from "../store/types.js";
import type { SessionContext } from "./context.js";

/** What the SDK tells listeners (SafelightClient.onDeviceChange) and the CLI prints in `sync`. */
export interface DeviceChange {
  id: string;
  conversation: string;
  accountId: string;
  name: string;
  deviceId: string;
  change: "added" | "removed";
  at: number;
  /** This account had verified that contact: the verification no longer holds (verification() says so). */
  verifiedContactChanged: boolean;
}

/** The roster difference between two states of one group, as timeline entries with ids `${idPrefix}:n`. */
export function rosterChanges(before: GroupState, after: GroupState, groupId: string, idPrefix: string, at: number): StoredMessage[] {
  const key = (m: { accountId: string; deviceId: string }) => `${m.accountId}.${m.deviceId}`;
  const was = new Map(members(before).map((m) => [key(m), m]));
  const now = new Map(members(after).map((m) => [key(m), m]));
  const added = [...now].filter(([k]) => !was.has(k)).map(([, m]) => ({ m, device: "added" as const }));
  const removed = [...was].filter(([k]) => !now.has(k)).map(([, m]) => ({ m, device: "removed" as const }));
  return [...added, ...removed].map(({ m, device }, i) => ({
    id: `${idPrefix}:${i}`,
    groupId,
    senderAccountId: m.accountId,
    senderDeviceId: m.deviceId,
    text: "",
    sentAt: at,
    receivedAt: at,
    files: [],
    outgoing: false,
    device,
  }));
}

export async function toDeviceChange(ctx: SessionContext, entry: StoredMessage): Promise<DeviceChange> {
  return {
    id: entry.id,
    conversation: entry.groupId,
    accountId: entry.senderAccountId,
    name: await ctx.dir.nameOf(entry.senderAccountId),
    deviceId: entry.senderDeviceId,
    change: entry.device ?? "added",
    at: entry.sentAt,
    verifiedContactChanged: (await ctx.store.getVerification(entry.senderAccountId)) !== undefined,
  };
}

/** One line for people: "bob added a device 'x'". */
export function deviceChangeText(c: Pick<DeviceChange, "name" | "deviceId" | "change">): string {
  return `${c.name} ${c.change === "added" ? "added" : "removed"} a device '${c.deviceId}'`;
}
