-- Upvotes: one per account per paper. Counted by paper through the second index.
CREATE TABLE votes (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    paper_key  INTEGER NOT NULL REFERENCES papers (key),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, paper_key)
) WITHOUT ROWID;

CREATE INDEX votes_paper ON votes (paper_key);
