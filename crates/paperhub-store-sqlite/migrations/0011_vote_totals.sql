-- Each paper's upvotes, kept by triggers beside the votes themselves, so that a list shows its
-- papers' counts by one lookup each instead of counting every vote again. The triggers fire
-- for every way a vote comes and goes (given, taken back, its account deleted).
CREATE TABLE vote_totals (
    paper_key INTEGER PRIMARY KEY REFERENCES papers (key),
    n         INTEGER NOT NULL
);

INSERT INTO vote_totals (paper_key, n)
SELECT paper_key, COUNT(*) FROM votes GROUP BY paper_key;

CREATE TRIGGER votes_counted AFTER INSERT ON votes
BEGIN
    INSERT INTO vote_totals (paper_key, n) VALUES (NEW.paper_key, 1)
    ON CONFLICT (paper_key) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER votes_uncounted AFTER DELETE ON votes
BEGIN
    UPDATE vote_totals SET n = n - 1 WHERE paper_key = OLD.paper_key;
END;
