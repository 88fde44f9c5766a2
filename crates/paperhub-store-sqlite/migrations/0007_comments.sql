-- Comments on papers, with replies. Markdown as written; rendered (sanitised) when shown.
CREATE TABLE comments (
    id         INTEGER PRIMARY KEY,
    paper_key  INTEGER NOT NULL REFERENCES papers (key),
    parent_id  INTEGER REFERENCES comments (id),
    account_id INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    edited_at  INTEGER,
    hidden     INTEGER NOT NULL DEFAULT 0,
    deleted    INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX comments_paper ON comments (paper_key, id);
