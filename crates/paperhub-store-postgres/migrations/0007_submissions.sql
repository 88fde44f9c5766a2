-- Submissions: which members brought a paper to the hub, one row per member and paper. The
-- first row (lowest id) is the paper's "submitted by"; a deleted account leaves its rows with
-- no account.
CREATE TABLE submissions (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    paper_key  BIGINT NOT NULL REFERENCES papers (key),
    account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);

CREATE UNIQUE INDEX submissions_once ON submissions (paper_key, account_id);
