-- Submissions: which members brought a paper to the hub, one row per member and paper. The
-- first row (lowest id) is the paper's "submitted by"; a deleted account leaves its rows with
-- no account.
CREATE TABLE submissions (
    id         INTEGER PRIMARY KEY,
    paper_key  INTEGER NOT NULL REFERENCES papers (key),
    account_id INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL
);

CREATE UNIQUE INDEX submissions_once ON submissions (paper_key, account_id);
