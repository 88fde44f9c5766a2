-- Digest subscriptions, the single-use tokens mails carry, and the outbox of mails.
CREATE TABLE subscriptions (
    id              INTEGER PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    frequency       TEXT NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    topics          TEXT NOT NULL DEFAULT '[]',
    manage_token    TEXT NOT NULL UNIQUE,
    confirmed_at    INTEGER,
    unsubscribed_at INTEGER,
    paused_at       INTEGER,
    failures        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);

-- The SHA-256 of each token, what it is for and about whom (a subscription or an account).
CREATE TABLE mail_tokens (
    token_hash TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    subject    INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

-- One row per mail, named by its idempotency key.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    subscription_id INTEGER REFERENCES subscriptions (id) ON DELETE CASCADE,
    recipient       TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'skipped', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    due_at          INTEGER NOT NULL,
    lease_owner     TEXT,
    lease_until     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER
);

CREATE INDEX outbox_pending ON outbox (due_at, id) WHERE status = 'pending';
CREATE INDEX outbox_of_subscription ON outbox (subscription_id) WHERE status = 'pending';

-- The papers each subscriber was mailed: none goes to the same subscriber twice.
CREATE TABLE digest_papers (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    paper_key       INTEGER NOT NULL,
    outbox_id       INTEGER NOT NULL,
    PRIMARY KEY (subscription_id, paper_key)
) WITHOUT ROWID;
