-- Members' libraries: tags of saved (label 1) and rejected (label -1) papers, notes, seen marks.
CREATE TABLE library_tags (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE library_entries (
    tag_id    BIGINT NOT NULL REFERENCES library_tags (id) ON DELETE CASCADE,
    paper_key BIGINT NOT NULL REFERENCES papers (key),
    label     BIGINT NOT NULL CHECK (label IN (1, -1)),
    added_at  BIGINT NOT NULL,
    PRIMARY KEY (tag_id, paper_key)
);

CREATE INDEX library_entries_paper ON library_entries (paper_key);

CREATE TABLE library_notes (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    paper_key  BIGINT NOT NULL REFERENCES papers (key),
    body       TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, paper_key)
);

CREATE TABLE seen_papers (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    paper_key  BIGINT NOT NULL REFERENCES papers (key),
    seen_at    BIGINT NOT NULL,
    PRIMARY KEY (account_id, paper_key)
);

-- Papers by DOI (from their metadata), for matching a reference manager's entries.
CREATE INDEX papers_doi ON papers (lower(meta::jsonb ->> 'doi'));
