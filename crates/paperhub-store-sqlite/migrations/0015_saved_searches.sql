-- Members' saved searches (alerts: their new papers go into the member's digest and feed),
-- and the hashed secret of each member's private feed URLs.
CREATE TABLE saved_searches (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    q          TEXT NOT NULL,
    mode       TEXT,
    author     TEXT,
    category   TEXT,
    from_day   TEXT,
    until_day  TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, name)
) WITHOUT ROWID;

CREATE TABLE feed_tokens (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
