-- Papers, one row each. The full metadata is kept as JSON in `meta`; the columns beside it are
-- the ones the hub looks papers up or lists them by. Indexes on columns that are often NULL
-- (an arXiv paper has no source key, a corpus document no arXiv id) are partial, so a row
-- costs no index entry where it has no value.
CREATE TABLE papers (
    key         INTEGER PRIMARY KEY,      -- compact key the search index refers to
    id          TEXT    NOT NULL,         -- stable hub id (arXiv id, s-…, t-…)
    arxiv_id    TEXT,                     -- canonical arXiv id without version
    source_key  TEXT,                     -- namespace:source_id, for papers from other corpora
    source_id   TEXT,
    title_hash  INTEGER NOT NULL,         -- 64 bits of SHA-256 of the normalised title key
    version     INTEGER,
    listed_on   TEXT,                     -- YYYY-MM-DD
    format      TEXT,
    meta        TEXT    NOT NULL,         -- JSON of paperhub_core::PaperMeta
    seq         INTEGER NOT NULL,         -- sequence number of the latest change
    created_at  TEXT    NOT NULL,
    changed_at  TEXT    NOT NULL
);
CREATE UNIQUE INDEX papers_id         ON papers (id);
CREATE UNIQUE INDEX papers_arxiv_id   ON papers (arxiv_id)   WHERE arxiv_id IS NOT NULL;
CREATE UNIQUE INDEX papers_source_key ON papers (source_key) WHERE source_key IS NOT NULL;
CREATE INDEX papers_source_id         ON papers (source_id)  WHERE source_id IS NOT NULL;
CREATE INDEX papers_listed_on         ON papers (listed_on)  WHERE listed_on IS NOT NULL;
CREATE INDEX papers_title_hash        ON papers (title_hash);
CREATE INDEX papers_seq               ON papers (seq);

-- Small persistent values: the change counter, harvest checkpoints.
CREATE TABLE state (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO state (name, value) VALUES ('last_seq', '0');
