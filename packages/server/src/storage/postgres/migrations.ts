/**
 * PostgreSQL schema migrations, applied in order under an advisory lock so nodes starting together
 * migrate once; `schema_migrations` records which ran. Never edit a shipped migration: append one.
 * Native types: bytea for bytes, bigint for counts and sequence numbers, timestamptz for times.
 */
import type { Pool } from "./pool.js";
import { inTransaction } from "./pool.js";

export interface PgMigration {
  version: number;
  sql: string;
}

export const PG_MIGRATIONS: PgMigration[] = [
  // v1: accounts, devices, sessions, KeyPackages, groups, messages and queues, franking, blobs.
  {
    version: 1,
    sql: `
  CREATE TABLE accounts (
    account_id text PRIMARY KEY,
    name text NOT NULL CONSTRAINT accounts_name_key UNIQUE,
    birthdate text NOT NULL,
    created_at timestamptz NOT NULL,
    role text NOT NULL DEFAULT 'user',
    banned_at timestamptz
  );
  CREATE TABLE devices (
    device_id text PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts(account_id),
    signature_key bytea NOT NULL CONSTRAINT devices_signature_key_key UNIQUE,
    created_at timestamptz NOT NULL,
    queue_seq bigint NOT NULL DEFAULT 0
  );
  CREATE INDEX devices_account ON devices(account_id, created_at);
  CREATE TABLE challenges (challenge text PRIMARY KEY, expires_at timestamptz NOT NULL);
  CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    account_id text NOT NULL,
    device_id text NOT NULL REFERENCES devices(device_id),
    expires_at timestamptz NOT NULL
  );
  CREATE INDEX sessions_device ON sessions(device_id);
  CREATE TABLE link_codes (
    code_hash bytea PRIMARY KEY,
    account_id text NOT NULL,
    device_id text NOT NULL,
    expires_at timestamptz NOT NULL
  );
  CREATE TABLE key_packages (
    kp_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id text NOT NULL REFERENCES devices(device_id),
    last_resort boolean NOT NULL,
    data bytea NOT NULL
  );
  CREATE INDEX key_packages_device ON key_packages(device_id, last_resort, kp_id);
  CREATE TABLE groups (
    group_id bytea PRIMARY KEY,
    epoch bigint NOT NULL,
    created_at timestamptz NOT NULL
  );
  CREATE TABLE group_members (
    group_id bytea NOT NULL REFERENCES groups(group_id),
    leaf integer NOT NULL,
    account_id text NOT NULL,
    device_id text NOT NULL,
    PRIMARY KEY (group_id, leaf)
  );
  CREATE INDEX group_members_device ON group_members(device_id);
  CREATE TABLE messages (
    message_id text PRIMARY KEY,
    kind text NOT NULL,
    group_id bytea,
    epoch bigint,
    sender_account text,
    sender_device text,
    sent_at timestamptz NOT NULL,
    data bytea,
    frank jsonb
  );
  CREATE TABLE queue (
    device_id text NOT NULL,
    seq bigint NOT NULL,
    message_id text NOT NULL REFERENCES messages(message_id),
    PRIMARY KEY (device_id, seq),
    CONSTRAINT queue_device_message UNIQUE (device_id, message_id)
  );
  CREATE INDEX queue_message ON queue(message_id);
  CREATE TABLE blobs (
    blob_id text PRIMARY KEY,
    account_id text NOT NULL,
    size bigint NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
  );
  CREATE INDEX blobs_expiry ON blobs(expires_at);
  CREATE TABLE franking_keys (
    key_id text PRIMARY KEY,
    hmac_key bytea NOT NULL,
    sign_key bytea NOT NULL,
    public_key bytea NOT NULL,
    created_at timestamptz NOT NULL,
    retired_at timestamptz
  );
  -- At most one active key: two nodes rotating at once cannot both publish one.
  CREATE UNIQUE INDEX franking_keys_one_active ON franking_keys((true)) WHERE retired_at IS NULL;
  CREATE TABLE message_recipients (
    message_id text NOT NULL,
    account_id text NOT NULL,
    group_id bytea NOT NULL,
    sent_at timestamptz NOT NULL,
    PRIMARY KEY (message_id, account_id)
  );
  CREATE INDEX message_recipients_time ON message_recipients(sent_at);
  `,
  },
  // v2: verifiable reports, decisions and the hash-chained audit log (docs/franking.md, docs/moderation.md).
  {
    version: 2,
    sql: `
  CREATE TABLE reports (
    report_id text PRIMARY KEY,
    reporter_account text NOT NULL,
    reported_message_id text NOT NULL,
    reported_account text NOT NULL,
    group_id bytea NOT NULL,
    reason text NOT NULL,
    note text NOT NULL,
    created_at timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'decided')),
    CONSTRAINT reports_once UNIQUE (reporter_account, reported_message_id)
  );
  CREATE INDEX reports_status ON reports(status, created_at);
  CREATE INDEX reports_reported ON reports(reported_account);
  CREATE TABLE report_messages (
    report_id text NOT NULL REFERENCES reports(report_id),
    position integer NOT NULL,
    message_id text NOT NULL,
    sender_account text NOT NULL,
    accepted_at timestamptz NOT NULL,
    content bytea NOT NULL,
    key_id text NOT NULL,
    server_frank bytea NOT NULL,
    signature bytea NOT NULL,
    proof jsonb,
    verified boolean NOT NULL,
    PRIMARY KEY (report_id, position)
  );
  CREATE TABLE decisions (
    decision_id text PRIMARY KEY,
    report_id text REFERENCES reports(report_id),
    subject_account text NOT NULL,
    moderator_account text NOT NULL,
    action text NOT NULL,
    note text NOT NULL,
    created_at timestamptz NOT NULL
  );
  CREATE INDEX decisions_subject ON decisions(subject_account, created_at);
  CREATE TABLE audit_log (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL,
    actor_account text NOT NULL,
    action text NOT NULL,
    subject text NOT NULL,
    detail text NOT NULL,
    prev_hash bytea NOT NULL,
    hash bytea NOT NULL CONSTRAINT audit_log_hash_key UNIQUE
  );
  CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit log is append-only'; END $$;
  CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
  `,
  },
  // v3: child-safety rules on metadata (docs/safety.md), shared by every node: message requests and the
  // groups they travel in, blocks, inbound settings, risk events over sliding windows, automatic actions
  // (reversible by moderators), safety notices.
  {
    version: 3,
    sql: `
  CREATE TABLE safety_requests (
    requester_id text NOT NULL,
    recipient_id text NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'accepted', 'declined')),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (requester_id, recipient_id)
  );
  CREATE INDEX safety_requests_recipient ON safety_requests(recipient_id, status);
  CREATE TABLE safety_request_groups (
    recipient_id text NOT NULL,
    group_id bytea NOT NULL,
    requester_id text NOT NULL,
    PRIMARY KEY (recipient_id, group_id, requester_id)
  );
  CREATE INDEX safety_request_groups_group ON safety_request_groups(group_id);
  CREATE TABLE safety_blocks (
    blocker_id text NOT NULL,
    blocked_id text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
  );
  CREATE INDEX safety_blocks_blocked ON safety_blocks(blocked_id);
  CREATE TABLE safety_settings (
    account_id text PRIMARY KEY,
    inbound text NOT NULL,
    updated_at timestamptz NOT NULL
  );
  CREATE TABLE safety_events (
    event_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id text NOT NULL,
    kind text NOT NULL,
    subject_id text NOT NULL,
    at timestamptz NOT NULL
  );
  CREATE INDEX safety_events_account ON safety_events(account_id, kind, at);
  CREATE INDEX safety_events_at ON safety_events(at);
  CREATE TABLE safety_actions (
    action_id text PRIMARY KEY,
    account_id text NOT NULL,
    action text NOT NULL,
    rule text NOT NULL,
    detail text NOT NULL,
    created_at timestamptz NOT NULL,
    created_by text NOT NULL,
    lifted_at timestamptz,
    lifted_by text
  );
  CREATE INDEX safety_actions_account ON safety_actions(account_id, rule, lifted_at);
  CREATE INDEX safety_actions_created ON safety_actions(created_at);
  CREATE TABLE safety_notices (
    account_id text NOT NULL,
    subject_id text NOT NULL,
    reason text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (account_id, subject_id, reason)
  );
  `,
  },
  // v4: known-image detection (docs/known-images.md): hash lists, pictures, encrypted evidence, detection
  // queue items and authority reports.
  {
    version: 4,
    sql: `
  CREATE TABLE hash_lists (
    list_id text PRIMARY KEY,
    name text NOT NULL,
    source_org text NOT NULL,
    threshold integer NOT NULL,
    status text NOT NULL CHECK (status IN ('active', 'retired')),
    hash_count bigint NOT NULL,
    distinct_count bigint NOT NULL,
    imported_by text NOT NULL,
    imported_at timestamptz NOT NULL,
    retired_by text,
    retired_at timestamptz,
    replaces text REFERENCES hash_lists(list_id)
  );
  CREATE INDEX hash_lists_status ON hash_lists(status, imported_at);
  -- Millions of rows per national list: no index beyond the primary key, which serves both the ordered
  -- read that builds the in-memory index and the lookup of a matched entry.
  CREATE TABLE hash_list_entries (
    list_id text NOT NULL REFERENCES hash_lists(list_id),
    position integer NOT NULL,
    hash bytea NOT NULL CHECK (length(hash) = 32),
    entry_id text,
    label text,
    PRIMARY KEY (list_id, position)
  );
  CREATE TABLE pictures (
    owner_kind text NOT NULL CHECK (owner_kind IN ('account', 'group')),
    owner_id text NOT NULL,
    uploaded_by text NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'ok', 'refused')),
    content_type text NOT NULL,
    data bytea,
    sha256 bytea NOT NULL,
    pdq text,
    created_at timestamptz NOT NULL,
    checked_at timestamptz,
    PRIMARY KEY (owner_kind, owner_id)
  );
  -- matches stays text: the custody record keeps the JSON exactly as it was preserved (jsonb would
  -- reorder its keys).
  CREATE TABLE evidence (
    evidence_id text PRIMARY KEY,
    kind text NOT NULL,
    subject_account text NOT NULL,
    report_id text,
    name text NOT NULL,
    content_type text NOT NULL,
    size bigint NOT NULL,
    sha256 bytea NOT NULL,
    pdq text,
    quality integer,
    matches text NOT NULL,
    nonce bytea NOT NULL,
    ciphertext bytea NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    viewed_by_esp boolean NOT NULL DEFAULT false
  );
  CREATE INDEX evidence_expiry ON evidence(expires_at);
  CREATE INDEX evidence_report ON evidence(report_id, created_at) WHERE report_id IS NOT NULL;
  CREATE TABLE detection_items (
    report_id text PRIMARY KEY,
    priority text NOT NULL CHECK (priority IN ('high', 'normal')),
    source text NOT NULL,
    flagged boolean NOT NULL,
    created_at timestamptz NOT NULL
  );
  CREATE INDEX detection_items_time ON detection_items(created_at);
  CREATE TABLE authority_reports (
    report_id text PRIMARY KEY,
    produced_by text NOT NULL,
    produced_at timestamptz NOT NULL,
    json_path text NOT NULL,
    xml_path text NOT NULL,
    json_sha256 bytea NOT NULL
  );
  `,
  },
  // v5: attachment bytes, so every node serves every blob (storage/postgres/blobs.ts).
  {
    version: 5,
    sql: `
  CREATE TABLE blob_contents (
    blob_id text PRIMARY KEY,
    complete boolean NOT NULL DEFAULT false,
    chunks integer NOT NULL DEFAULT 0,
    touched_at timestamptz NOT NULL
  );
  CREATE INDEX blob_contents_incomplete ON blob_contents(touched_at) WHERE NOT complete;
  CREATE TABLE blob_chunks (
    blob_id text NOT NULL REFERENCES blob_contents(blob_id) ON DELETE CASCADE,
    seq integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (blob_id, seq)
  );
  -- Ciphertext does not compress: store it out of line without trying.
  ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
  `,
  },
  // v6: the key-transparency log (docs/key-transparency.md); `seq` is the 0-based leaf index and `time`
  // the exact ms value the leaf encodes.
  {
    version: 6,
    sql: `
  CREATE TABLE kt_log (
    seq bigint PRIMARY KEY,
    account_id text NOT NULL,
    device_id text NOT NULL,
    action text NOT NULL,
    public_key bytea NOT NULL,
    time bigint NOT NULL
  );
  -- Devices registered before the log existed are its first entries, oldest first.
  INSERT INTO kt_log (seq, account_id, device_id, action, public_key, time)
    SELECT ROW_NUMBER() OVER (ORDER BY created_at, device_id) - 1, account_id, device_id, 'add', signature_key,
      round(EXTRACT(EPOCH FROM created_at) * 1000)::bigint FROM devices;
  `,
  },
  // v7: a removed device keeps its row, with the time it was removed (docs/key-transparency.md, "Removing a device").
  {
    version: 7,
    sql: `
  ALTER TABLE devices ADD COLUMN revoked_at timestamptz;
  -- The sweep drops what is still queued to removed devices.
  CREATE INDEX devices_revoked ON devices(device_id) WHERE revoked_at IS NOT NULL;
  `,
  },
];

/** Arbitrary constant naming the migration lock (pg_advisory_xact_lock takes a bigint). */
const MIGRATION_LOCK = 0x5afe_1197;

export async function migratePg(pool: Pool, schema: string): Promise<void> {
  await inTransaction(pool, async (c) => {
    await c.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await c.query("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    const { rows } = await c.query<{ version: number }>("SELECT version FROM schema_migrations");
    const applied = new Set(rows.map((r) => r.version));
    for (const m of [...PG_MIGRATIONS].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      await c.query(m.sql);
      await c.query("INSERT INTO schema_migrations (version) VALUES ($1)", [m.version]);
    }
  });
}
