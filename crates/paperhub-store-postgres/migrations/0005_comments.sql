-- Comments on papers, with replies. Markdown as written; rendered (sanitised) when shown.
CREATE TABLE comments (
    id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    paper_key  BIGINT  NOT NULL REFERENCES papers (key),
    parent_id  BIGINT  REFERENCES comments (id),
    account_id BIGINT  REFERENCES accounts (id) ON DELETE SET NULL,
    body       TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    edited_at  BIGINT,
    hidden     BOOLEAN NOT NULL DEFAULT FALSE,
    deleted    BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE INDEX comments_paper ON comments (paper_key, id);
