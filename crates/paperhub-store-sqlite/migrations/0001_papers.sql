-- Papers, one row each. The full metadata is kept as JSON in `meta`; the columns beside it are
-- the ones the hub looks papers up or lists them by.
CREATE TABLE papers (
    key         INTEGER PRIMARY KEY,      -- compact key the search index refers to
    id          TEXT    NOT NULL UNIQUE,  -- stable hub id (arXiv id, s-…, t-…)
    arxiv_id    TEXT             UNIQUE,  -- canonical arXiv id without version
    source_key  TEXT             UNIQUE,  -- namespace:source_id, for papers from other corpora
    source_id   TEXT,
    title_key   TEXT    NOT NULL,
    version     INTEGER,
    listed_on   TEXT,                     -- YYYY-MM-DD
    format      TEXT,
    meta        TEXT    NOT NULL,         -- JSON of paperhub_core::PaperMeta
    seq         INTEGER NOT NULL,         -- sequence number of the latest change
    created_at  TEXT    NOT NULL,
    changed_at  TEXT    NOT NULL
);
CREATE INDEX papers_title_key ON papers (title_key);
CREATE INDEX papers_seq       ON papers (seq);
CREATE INDEX papers_listed_on ON papers (listed_on);
CREATE INDEX papers_source_id ON papers (source_id);

-- Small persistent values: the change counter, harvest checkpoints.
CREATE TABLE state (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO state (name, value) VALUES ('last_seq', '0');
