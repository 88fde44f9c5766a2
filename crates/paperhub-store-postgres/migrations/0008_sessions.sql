-- Web sessions: the SHA-256 of each session cookie's secret, whom it signs in, and until when.
-- Deleting an account ends its sessions.
CREATE TABLE sessions (
    session_hash TEXT PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);

CREATE INDEX sessions_of_account ON sessions (account_id);
