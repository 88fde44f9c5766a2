-- Paper embeddings for search by meaning, one per paper and model. `seq` is the paper's
-- sequence number when it was embedded: a paper changed since (a newer version) is embedded
-- again. Vectors are little-endian f32.
CREATE TABLE embeddings (
    key     INTEGER NOT NULL REFERENCES papers (key),
    model   TEXT    NOT NULL,
    seq     INTEGER NOT NULL,
    vector  BLOB    NOT NULL,
    PRIMARY KEY (model, key)
) WITHOUT ROWID;
