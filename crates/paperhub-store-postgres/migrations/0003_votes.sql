-- Upvotes: one per account per paper. Counted by paper through the second index.
CREATE TABLE votes (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    paper_key  BIGINT NOT NULL REFERENCES papers (key),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, paper_key)
);

CREATE INDEX votes_paper ON votes (paper_key);
