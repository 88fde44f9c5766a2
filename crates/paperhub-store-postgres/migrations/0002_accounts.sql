-- Accounts and their API tokens. A password is kept only as its argon2id hash (PHC string),
-- a token only as the hex SHA-256 of it. Times are seconds since 1970, as in SQLite.
CREATE TABLE accounts (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('member', 'moderator', 'admin')),
    banned        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT  NOT NULL
);

CREATE TABLE api_tokens (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash TEXT   NOT NULL UNIQUE,
    label      TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX api_tokens_account ON api_tokens (account_id);
