-- Digest subscriptions, the single-use tokens mails carry, and the outbox of mails.
CREATE TABLE subscriptions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    frequency       TEXT NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    topics          TEXT NOT NULL DEFAULT '[]',
    manage_token    TEXT NOT NULL UNIQUE,
    confirmed_at    BIGINT,
    unsubscribed_at BIGINT,
    paused_at       BIGINT,
    failures        INTEGER NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL
);

CREATE TABLE mail_tokens (
    token_hash TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    subject    BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    subscription_id BIGINT REFERENCES subscriptions (id) ON DELETE CASCADE,
    recipient       TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'skipped', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    due_at          BIGINT NOT NULL,
    lease_owner     TEXT,
    lease_until     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    finished_at     BIGINT
);

CREATE INDEX outbox_pending ON outbox (due_at, id) WHERE status = 'pending';
CREATE INDEX outbox_of_subscription ON outbox (subscription_id) WHERE status = 'pending';

CREATE TABLE digest_papers (
    subscription_id BIGINT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    paper_key       BIGINT NOT NULL,
    outbox_id       BIGINT NOT NULL,
    PRIMARY KEY (subscription_id, paper_key)
);
