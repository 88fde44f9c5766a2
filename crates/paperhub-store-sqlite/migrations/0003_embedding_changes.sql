-- Embedding change numbers: each stored or replaced vector gets the next number of its model,
-- so a vector index saved to disk can catch up with exactly the vectors written since it was
-- saved. Vectors stored before this migration are numbered by key.
ALTER TABLE embeddings ADD COLUMN change INTEGER NOT NULL DEFAULT 0;
UPDATE embeddings SET change = key;
CREATE UNIQUE INDEX embeddings_by_change ON embeddings (model, change);
