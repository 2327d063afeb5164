/**
 * Schema migrations, applied in order; PRAGMA user_version records how many ran.
 * Never edit a shipped migration: append a new one. SQL stays portable (PostgreSQL later).
 */
export const MIGRATIONS: string[] = [
  `
  CREATE TABLE accounts (
    account_id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    birthdate TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE devices (
    device_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    signature_key BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    queue_seq INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX devices_account ON devices(account_id);
  CREATE TABLE challenges (
    challenge TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
  );
  CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    account_id TEXT NOT NULL,
    device_id TEXT NOT NULL REFERENCES devices(device_id),
    expires_at INTEGER NOT NULL
  );
  CREATE TABLE link_codes (
    code_hash BLOB PRIMARY KEY,
    account_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE TABLE key_packages (
    kp_id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL REFERENCES devices(device_id),
    last_resort INTEGER NOT NULL,
    data BLOB NOT NULL
  );
  CREATE INDEX key_packages_device ON key_packages(device_id, last_resort, kp_id);
  CREATE TABLE groups (
    group_id BLOB PRIMARY KEY,
    epoch INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE group_members (
    group_id BLOB NOT NULL REFERENCES groups(group_id),
    leaf INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    PRIMARY KEY (group_id, leaf)
  );
  CREATE INDEX group_members_device ON group_members(device_id);
  CREATE TABLE messages (
    message_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    group_id BLOB,
    epoch INTEGER,
    sender_account TEXT,
    sender_device TEXT,
    sent_at INTEGER NOT NULL,
    data BLOB
  );
  CREATE TABLE queue (
    device_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    message_id TEXT NOT NULL REFERENCES messages(message_id),
    PRIMARY KEY (device_id, seq)
  );
  CREATE UNIQUE INDEX queue_device_message ON queue(device_id, message_id);
  CREATE INDEX queue_message ON queue(message_id);
  CREATE TABLE blobs (
    blob_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX blobs_expiry ON blobs(expires_at);
  `,
  // v2: message franking (docs/franking.md) — keys, the stamp on each message, who received it.
  `
  CREATE TABLE franking_keys (
    key_id TEXT PRIMARY KEY,
    hmac_key BLOB NOT NULL,
    sign_key BLOB NOT NULL,
    public_key BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    retired_at INTEGER
  );
  ALTER TABLE messages ADD COLUMN frank TEXT;
  CREATE TABLE message_recipients (
    message_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    group_id BLOB NOT NULL,
    sent_at INTEGER NOT NULL,
    PRIMARY KEY (message_id, account_id)
  );
  CREATE INDEX message_recipients_time ON message_recipients(sent_at);
  `,
  // v3: verifiable reports and moderation (docs/franking.md, docs/moderation.md).
  `
  ALTER TABLE accounts ADD COLUMN role TEXT NOT NULL DEFAULT 'user';
  ALTER TABLE accounts ADD COLUMN banned_at INTEGER;
  CREATE TABLE reports (
    report_id TEXT PRIMARY KEY,
    reporter_account TEXT NOT NULL,
    reported_message_id TEXT NOT NULL,
    reported_account TEXT NOT NULL,
    group_id BLOB NOT NULL,
    reason TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    UNIQUE (reporter_account, reported_message_id)
  );
  CREATE INDEX reports_status ON reports(status, created_at);
  CREATE INDEX reports_reported ON reports(reported_account);
  CREATE TABLE report_messages (
    report_id TEXT NOT NULL REFERENCES reports(report_id),
    position INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    sender_account TEXT NOT NULL,
    accepted_at INTEGER NOT NULL,
    content BLOB NOT NULL,
    key_id TEXT NOT NULL,
    server_frank BLOB NOT NULL,
    signature BLOB NOT NULL,
    verified INTEGER NOT NULL,
    PRIMARY KEY (report_id, position)
  );
  CREATE TABLE decisions (
    decision_id TEXT PRIMARY KEY,
    report_id TEXT,
    subject_account TEXT NOT NULL,
    moderator_account TEXT NOT NULL,
    action TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX decisions_subject ON decisions(subject_account);
  CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor_account TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
  );
  CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
  CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
  `,
  // v4: child-safety rules on metadata (docs/safety.md) — message requests, blocks, inbound settings,
  // risk events over sliding windows, automatic actions (reversible by moderators), safety notices.
  `
  CREATE TABLE safety_requests (
    requester_id TEXT NOT NULL,
    recipient_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (requester_id, recipient_id)
  );
  CREATE INDEX safety_requests_recipient ON safety_requests(recipient_id, status);
  CREATE TABLE safety_request_groups (
    recipient_id TEXT NOT NULL,
    group_id BLOB NOT NULL,
    requester_id TEXT NOT NULL,
    PRIMARY KEY (recipient_id, group_id, requester_id)
  );
  CREATE INDEX safety_request_groups_group ON safety_request_groups(group_id);
  CREATE TABLE safety_blocks (
    blocker_id TEXT NOT NULL,
    blocked_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
  );
  CREATE INDEX safety_blocks_blocked ON safety_blocks(blocked_id);
  CREATE TABLE safety_settings (
    account_id TEXT PRIMARY KEY,
    inbound TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE safety_events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    at INTEGER NOT NULL
  );
  CREATE INDEX safety_events_account ON safety_events(account_id, kind, at);
  CREATE TABLE safety_actions (
    action_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    action TEXT NOT NULL,
    rule TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    lifted_at INTEGER,
    lifted_by TEXT
  );
  CREATE INDEX safety_actions_account ON safety_actions(account_id, lifted_at);
  CREATE TABLE safety_notices (
    account_id TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, subject_id, reason)
  );
  `,
  // v5: known-image detection (docs/known-images.md): hash lists, pictures, encrypted evidence, authority reports.
  `
  CREATE TABLE hash_lists (
    list_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    source_org TEXT NOT NULL,
    threshold INTEGER NOT NULL,
    status TEXT NOT NULL,
    hash_count INTEGER NOT NULL,
    distinct_count INTEGER NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at INTEGER NOT NULL,
    retired_by TEXT,
    retired_at INTEGER,
    replaces TEXT
  );
  CREATE TABLE hash_list_entries (
    list_id TEXT NOT NULL REFERENCES hash_lists(list_id),
    position INTEGER NOT NULL,
    hash BLOB NOT NULL,
    entry_id TEXT,
    label TEXT,
    PRIMARY KEY (list_id, position)
  );
  CREATE TABLE pictures (
    owner_kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    status TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data BLOB,
    sha256 BLOB NOT NULL,
    pdq TEXT,
    created_at INTEGER NOT NULL,
    checked_at INTEGER,
    PRIMARY KEY (owner_kind, owner_id)
  );
  CREATE TABLE evidence (
    evidence_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject_account TEXT NOT NULL,
    report_id TEXT,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 BLOB NOT NULL,
    pdq TEXT,
    quality INTEGER,
    matches TEXT NOT NULL,
    nonce BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    viewed_by_esp INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX evidence_expiry ON evidence(expires_at);
  CREATE INDEX evidence_report ON evidence(report_id);
  CREATE TABLE detection_items (
    report_id TEXT PRIMARY KEY,
    priority TEXT NOT NULL,
    source TEXT NOT NULL,
    flagged INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE authority_reports (
    report_id TEXT PRIMARY KEY,
    produced_by TEXT NOT NULL,
    produced_at INTEGER NOT NULL,
    json_path TEXT NOT NULL,
    xml_path TEXT NOT NULL,
    json_sha256 BLOB NOT NULL
  );
  `,
  // v6: batch-signed franks (docs/franking.md): each reported message keeps its inclusion proof (JSON).
  `
  ALTER TABLE report_messages ADD COLUMN proof TEXT;
  `,
  // v7: every message writes a queue row and a recipient row, and every ack deletes one: as WITHOUT ROWID
  // tables keyed by their primary key each is one B-tree fewer (SQLite-specific; the PostgreSQL schema
  // will say the same with its own types). The queue's reference to messages is kept by the code that
  // writes both in one transaction and the sweep that deletes only unreferenced messages; dropping the
  // foreign key drops the index it needed on queue(message_id).
  `
  CREATE TABLE queue_v7 (
    device_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    PRIMARY KEY (device_id, seq)
  ) WITHOUT ROWID;
  INSERT INTO queue_v7 (device_id, seq, message_id) SELECT device_id, seq, message_id FROM queue;
  DROP TABLE queue;
  ALTER TABLE queue_v7 RENAME TO queue;
  CREATE UNIQUE INDEX queue_device_message ON queue(device_id, message_id);
  CREATE TABLE message_recipients_v7 (
    message_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    group_id BLOB NOT NULL,
    sent_at INTEGER NOT NULL,
    PRIMARY KEY (message_id, account_id)
  ) WITHOUT ROWID;
  INSERT INTO message_recipients_v7 (message_id, account_id, group_id, sent_at)
    SELECT message_id, account_id, group_id, sent_at FROM message_recipients;
  DROP TABLE message_recipients;
  ALTER TABLE message_recipients_v7 RENAME TO message_recipients;
  CREATE INDEX message_recipients_time ON message_recipients(sent_at);
  `,
  // The key-transparency log (docs/key-transparency.md): one row per device-key change, `seq` is the
  // 0-based leaf index. Written in the transaction that changes the device, so the database orders it.
  `
  CREATE TABLE kt_log (
    seq INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    action TEXT NOT NULL,
    public_key BLOB NOT NULL,
    time INTEGER NOT NULL
  );
  -- Devices registered before the log existed are its first entries, oldest first.
  INSERT INTO kt_log (seq, account_id, device_id, action, public_key, time)
    SELECT ROW_NUMBER() OVER (ORDER BY created_at, device_id) - 1, account_id, device_id, 'add', signature_key, created_at FROM devices;
  `,
  // A removed device keeps its row (its key stays taken and it can never log in again) with the time it
  // was removed; every lookup of an account's devices skips it (docs/key-transparency.md, "Removing a device").
  `
  ALTER TABLE devices ADD COLUMN revoked_at INTEGER;
  -- The sweep drops what is still queued to removed devices.
  CREATE INDEX devices_revoked ON devices(device_id) WHERE revoked_at IS NOT NULL;
  `,
];
