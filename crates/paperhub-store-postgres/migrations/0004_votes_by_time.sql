-- Trending counts the votes of a recent window: votes by time.
CREATE INDEX votes_created_at ON votes (created_at, paper_key);
