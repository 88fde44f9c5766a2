-- Members' libraries: tags of saved (label 1) and rejected (label -1) papers, notes, seen marks.
CREATE TABLE library_tags (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE library_entries (
    tag_id    INTEGER NOT NULL REFERENCES library_tags (id) ON DELETE CASCADE,
    paper_key INTEGER NOT NULL REFERENCES papers (key),
    label     INTEGER NOT NULL CHECK (label IN (1, -1)),
    added_at  INTEGER NOT NULL,
    PRIMARY KEY (tag_id, paper_key)
) WITHOUT ROWID;

CREATE INDEX library_entries_paper ON library_entries (paper_key);

CREATE TABLE library_notes (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    paper_key  INTEGER NOT NULL REFERENCES papers (key),
    body       TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, paper_key)
) WITHOUT ROWID;

CREATE TABLE seen_papers (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    paper_key  INTEGER NOT NULL REFERENCES papers (key),
    seen_at    INTEGER NOT NULL,
    PRIMARY KEY (account_id, paper_key)
) WITHOUT ROWID;

-- Papers by DOI (from their metadata), for matching a reference manager's entries.
CREATE INDEX papers_doi ON papers (lower(json_extract(meta, '$.doi')));
