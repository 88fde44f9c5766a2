-- Each paper's upvotes, kept by triggers beside the votes themselves, so that a list shows its
-- papers' counts by one lookup each instead of counting every vote again. The triggers fire
-- for every way a vote comes and goes (given, taken back, its account deleted); the row lock
-- on a paper's total keeps concurrent votes on several nodes exact.
CREATE TABLE vote_totals (
    paper_key BIGINT PRIMARY KEY REFERENCES papers (key),
    n         BIGINT NOT NULL
);

INSERT INTO vote_totals (paper_key, n)
SELECT paper_key, COUNT(*) FROM votes GROUP BY paper_key;

CREATE FUNCTION vote_totals_keep() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO vote_totals (paper_key, n) VALUES (NEW.paper_key, 1)
        ON CONFLICT (paper_key) DO UPDATE SET n = vote_totals.n + 1;
    ELSE
        UPDATE vote_totals SET n = n - 1 WHERE paper_key = OLD.paper_key;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER votes_counted AFTER INSERT OR DELETE ON votes
FOR EACH ROW EXECUTE FUNCTION vote_totals_keep();
