-- Web sessions: the SHA-256 of each session cookie's secret, whom it signs in, and until when.
-- Deleting an account ends its sessions.
CREATE TABLE sessions (
    session_hash TEXT PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);

CREATE INDEX sessions_of_account ON sessions (account_id);
