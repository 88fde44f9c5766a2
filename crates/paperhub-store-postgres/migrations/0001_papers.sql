-- Papers, one row each; the same columns as the SQLite schema. The full metadata is kept as
-- JSON text in `meta` (text, not jsonb: it is written in bulk and read whole, never queried
-- inside). Keys and sequence numbers are handed out by the writer that holds the `last_seq`
-- row (see paperhub-store's matching rule), so they follow commit order.
CREATE TABLE papers (
    key         BIGINT      PRIMARY KEY,
    id          TEXT        NOT NULL,
    arxiv_id    TEXT,
    source_key  TEXT,
    source_id   TEXT,
    title_hash  BIGINT      NOT NULL,
    version     INTEGER,
    listed_on   DATE,
    format      TEXT,
    meta        TEXT        NOT NULL,
    seq         BIGINT      NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    changed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX papers_id         ON papers (id);
CREATE UNIQUE INDEX papers_arxiv_id   ON papers (arxiv_id)   WHERE arxiv_id IS NOT NULL;
CREATE UNIQUE INDEX papers_source_key ON papers (source_key) WHERE source_key IS NOT NULL;
CREATE INDEX papers_source_id         ON papers (source_id)  WHERE source_id IS NOT NULL;
CREATE INDEX papers_listed_on         ON papers (listed_on, key) WHERE listed_on IS NOT NULL;
CREATE INDEX papers_title_hash        ON papers (title_hash);
CREATE INDEX papers_seq               ON papers (seq);

-- Small persistent values: the change counter (its row is the writers' lock), harvest
-- checkpoints.
CREATE TABLE state (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO state (name, value) VALUES ('last_seq', '0');

-- Paper vectors per model, stored once for every node. `seq` is the paper's sequence number
-- when it was embedded; `change` numbers the model's writes for the nodes' catch-up.
-- Vectors are little-endian f32.
CREATE TABLE embeddings (
    model   TEXT   NOT NULL,
    key     BIGINT NOT NULL REFERENCES papers (key),
    seq     BIGINT NOT NULL,
    change  BIGINT NOT NULL,
    vector  BYTEA  NOT NULL,
    PRIMARY KEY (model, key)
);
CREATE UNIQUE INDEX embeddings_by_change ON embeddings (model, change);
