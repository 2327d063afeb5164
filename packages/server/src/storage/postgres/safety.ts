/**
 * The child-safety store on PostgreSQL (schema v3 in migrations.ts), shared by every node. The SQL is
 * storage/safety.ts's, numbered for pg. The check-then-write methods that must hold across nodes (the
 * daily request allowance, a rule firing once) take a transaction-scoped advisory lock on the account, so
 * two nodes doing them for one account take turns; the others are single statements whose outcome the
 * database decides (ON CONFLICT, UPDATE … WHERE status = 'pending').
 */
import { bytes } from "../bytes.js";
import {
  safetySql,
  toAccount,
  toAction,
  toGroupState,
  toRequest,
  toSince,
  type AccountEvent,
  type AccountFacts,
  type AccountRow,
  type ActionRecord,
  type ActionRow,
  type GroupRequestState,
  type NewAction,
  type RequestAllowance,
  type RequestRecord,
  type RequestRow,
  type RequestStatus,
  type SafetyStore,
  type Since,
} from "../safety.js";
import type { Delivery } from "../types.js";
import { inTransaction, millis, ts, type Client, type Pool } from "./pool.js";

const SQL = safetySql(millis);

/** Names the per-account safety lock (the first key of pg_advisory_xact_lock(int, int)). */
const SAFETY_LOCK = 0x5afe_5afe;

/** PgStorage's queue append (same transaction, same per-device sequence). */
export type PgEnqueue = (c: Client, event: AccountEvent, deviceIds: string[]) => Promise<Delivery[]>;

type Queryable = Pool | Client;

/** `?` placeholders as pg's `$1, $2, …` (no shared statement has a `?` inside a literal). */
function numbered(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

async function rows<R>(q: Queryable, sql: string, params: unknown[]): Promise<R[]> {
  return (await q.query(numbered(sql), params)).rows as R[];
}

async function changes(q: Queryable, sql: string, params: unknown[]): Promise<number> {
  return (await q.query(numbered(sql), params)).rowCount ?? 0;
}

async function lockAccount(c: Client, accountId: string): Promise<void> {
  await c.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [SAFETY_LOCK, accountId]);
}

async function count(q: Queryable, accountId: string, kinds: string[], since: number, distinct: boolean): Promise<number> {
  const [row] = await rows<{ n: number }>(q, SQL.countEvents(kinds.length, distinct), [accountId, ...kinds, ts(since)]);
  return row!.n;
}

export class PgSafetyStore implements SafetyStore {
  constructor(
    private readonly pool: Pool,
    private readonly enqueue: PgEnqueue,
  ) {}

  async account(accountId: string): Promise<AccountFacts | undefined> {
    const [row] = await rows<AccountRow>(this.pool, SQL.account, [accountId]);
    return row && toAccount(row);
  }

  async request(requesterId: string, recipientId: string): Promise<RequestRecord | undefined> {
    const [row] = await rows<RequestRow>(this.pool, SQL.request, [requesterId, recipientId]);
    return row && toRequest(row);
  }

  async areContacts(a: string, b: string): Promise<boolean> {
    return (await changes(this.pool, SQL.areContacts, [a, b, b, a])) > 0;
  }

  async outgoingRequests(requesterId: string, status: RequestStatus): Promise<RequestRecord[]> {
    return (await rows<RequestRow>(this.pool, SQL.outgoing, [requesterId, status])).map(toRequest);
  }

  async incomingRequests(recipientId: string, status: RequestStatus): Promise<RequestRecord[]> {
    return (await rows<RequestRow>(this.pool, SQL.incoming, [recipientId, status])).map(toRequest);
  }

  async contactsOf(accountId: string): Promise<Since[]> {
    return (await rows<{ account_id: string; since: number }>(this.pool, SQL.contactsOf, [accountId, accountId, accountId])).map(toSince);
  }

  async putPendingRequest(requesterId: string, recipientId: string, now: number): Promise<void> {
    await this.pool.query(numbered(SQL.putPending), [requesterId, recipientId, ts(now), ts(now)]);
  }

  async recordRequest(requesterId: string, recipientId: string, teen: boolean, now: number, allowance?: RequestAllowance): Promise<boolean> {
    const record = async (c: Queryable) => {
      await c.query(numbered(SQL.recordEvent), [requesterId, "request", recipientId, ts(now)]);
      if (teen) await c.query(numbered(SQL.recordEvent), [requesterId, "request-teen", recipientId, ts(now)]);
    };
    if (allowance === undefined) {
      await inTransaction(this.pool, record);
      return true;
    }
    // Counted and recorded under the account's lock: two nodes cannot both take the last request allowed.
    return inTransaction(this.pool, async (c) => {
      await lockAccount(c, requesterId);
      if ((await count(c, requesterId, ["request"], allowance.since, true)) >= allowance.max) return false;
      await record(c);
      return true;
    });
  }

  async bindGroup(requesterId: string, recipientId: string, groupId: Uint8Array): Promise<void> {
    await this.pool.query(numbered(SQL.bindGroup), [recipientId, groupId, requesterId]);
  }

  async groupRequestState(groupId: Uint8Array): Promise<GroupRequestState> {
    return toGroupState(await rows(this.pool, SQL.groupRequests, [groupId]));
  }

  async pendingGroupsOf(recipientId: string): Promise<Uint8Array[]> {
    return (await rows<{ group_id: Buffer }>(this.pool, SQL.pendingGroupsOf, [recipientId])).map((r) => bytes(r.group_id));
  }

  async pendingRequestVia(groupId: Uint8Array, recipientId: string): Promise<string | undefined> {
    return (await rows<{ requester_id: string }>(this.pool, SQL.pendingVia, [groupId, recipientId]))[0]?.requester_id;
  }

  async accept(recipientId: string, requesterId: string, now: number): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      await c.query(numbered(SQL.unblock), [recipientId, requesterId]);
      await c.query(numbered(SQL.accept), [requesterId, recipientId, ts(now), ts(now)]);
    });
  }

  async decline(recipientId: string, requesterId: string, now: number): Promise<boolean> {
    return inTransaction(this.pool, async (c) => {
      // The row lock of the UPDATE makes a second node's decline find it no longer pending.
      if ((await changes(c, SQL.decline, [ts(now), requesterId, recipientId])) === 0) return false;
      await c.query(numbered(SQL.recordEvent), [requesterId, "request-declined", recipientId, ts(now)]);
      await c.query(numbered(SQL.dropQueuedFrom), [recipientId, requesterId]);
      return true;
    });
  }

  async isBlocked(blockerId: string, blockedId: string): Promise<boolean> {
    return (await changes(this.pool, SQL.isBlocked, [blockerId, blockedId])) > 0;
  }

  async refusersOf(accountId: string): Promise<ReadonlySet<string>> {
    return new Set((await rows<{ account_id: string }>(this.pool, SQL.refusers, [accountId, accountId])).map((r) => r.account_id));
  }

  async block(blockerId: string, blockedId: string, now: number): Promise<boolean> {
    return inTransaction(this.pool, async (c) => {
      // ON CONFLICT: of two nodes blocking at once, only the one that inserted the row counts the refusal.
      const added = (await changes(c, SQL.block, [blockerId, blockedId, ts(now)])) > 0;
      const refused = added && (await changes(c, SQL.isPending, [blockedId, blockerId])) > 0;
      if (refused) await c.query(numbered(SQL.recordEvent), [blockedId, "request-blocked", blockerId, ts(now)]);
      await c.query(numbered(SQL.dropQueuedFrom), [blockerId, blockedId]);
      return refused;
    });
  }

  async unblock(blockerId: string, blockedId: string): Promise<boolean> {
    return (await changes(this.pool, SQL.unblock, [blockerId, blockedId])) > 0;
  }

  async blocksOf(blockerId: string): Promise<Since[]> {
    return (await rows<{ account_id: string; since: number }>(this.pool, SQL.blocksOf, [blockerId])).map(toSince);
  }

  async dropQueueRows(dropped: { deviceId: string; messageId: string }[]): Promise<void> {
    await this.pool.query("DELETE FROM queue WHERE (device_id, message_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))", [
      dropped.map((r) => r.deviceId),
      dropped.map((r) => r.messageId),
    ]);
  }

  async inbound(accountId: string): Promise<string | undefined> {
    return (await rows<{ inbound: string }>(this.pool, SQL.inbound, [accountId]))[0]?.inbound;
  }

  async setInbound(accountId: string, inbound: string, now: number): Promise<void> {
    await this.pool.query(numbered(SQL.setInbound), [accountId, inbound, ts(now)]);
  }

  countEvents(accountId: string, kinds: string[], since: number, distinct: boolean): Promise<number> {
    return count(this.pool, accountId, kinds, since, distinct);
  }

  pruneEvents(before: number): Promise<number> {
    return changes(this.pool, SQL.pruneEvents, [ts(before)]);
  }

  async countReports(accountId: string, since: number): Promise<number> {
    return (await rows<{ n: number }>(this.pool, SQL.countReports, [accountId, ts(since)]))[0]!.n;
  }

  async requestedSince(requesterId: string, since: number): Promise<string[]> {
    return (await rows<{ recipient_id: string }>(this.pool, SQL.requestedSince, [requesterId, ts(since)])).map((r) => r.recipient_id);
  }

  async fireRule(accountId: string, rule: string, actions: NewAction[]): Promise<boolean> {
    return inTransaction(this.pool, async (c) => {
      // Under the account's lock: of two nodes evaluating at once, the second finds the rule fired.
      await lockAccount(c, accountId);
      if ((await changes(c, SQL.ruleActive, [accountId, rule])) > 0) return false;
      for (const a of actions) {
        await c.query(numbered(SQL.addAction), [a.actionId, a.accountId, a.action, a.rule, a.detail, ts(a.createdAt), a.createdBy]);
      }
      return true;
    });
  }

  async activeActions(accountId: string): Promise<ActionRecord[]> {
    return (await rows<ActionRow>(this.pool, SQL.activeActions, [accountId])).map(toAction);
  }

  async lastLift(accountId: string, rule: string): Promise<number | undefined> {
    return (await rows<{ t: number | null }>(this.pool, SQL.lastLift, [accountId, rule]))[0]?.t ?? undefined;
  }

  async listActions(accountId: string | undefined, activeOnly: boolean, limit: number): Promise<ActionRecord[]> {
    const params = accountId ? [accountId, limit] : [limit];
    return (await rows<ActionRow>(this.pool, SQL.listActions(accountId !== undefined, activeOnly), params)).map(toAction);
  }

  liftActions(accountId: string, by: string, now: number): Promise<number> {
    return changes(this.pool, SQL.liftActions, [ts(now), by, accountId]);
  }

  async notify(recipientId: string, subjectId: string, reason: string, event: AccountEvent): Promise<Delivery[]> {
    return inTransaction(this.pool, async (c) => {
      // The notice's primary key decides which node sends it; the other inserts nothing.
      if ((await changes(c, SQL.addNotice, [recipientId, subjectId, reason, ts(event.sentAt)])) === 0) return [];
      const devices = await rows<{ device_id: string }>(c, SQL.accountDevices, [recipientId]);
      return this.enqueue(c, event, devices.map((d) => d.device_id));
    });
  }

  async noticesAbout(recipientId: string, subjectId: string): Promise<string[]> {
    return (await rows<{ reason: string }>(this.pool, SQL.noticesAbout, [recipientId, subjectId])).map((r) => r.reason);
  }

  async accountsOfDevices(deviceIds: string[]): Promise<Map<string, string>> {
    const found = await rows<{ device_id: string; account_id: string }>(
      this.pool,
      "SELECT device_id, account_id FROM devices WHERE device_id = ANY(?::text[])",
      [[...new Set(deviceIds)]],
    );
    return new Map(found.map((r) => [r.device_id, r.account_id]));
  }
}
