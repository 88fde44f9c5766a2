-- When an account confirmed its email address (by the link of its confirmation mail).
ALTER TABLE accounts ADD COLUMN email_confirmed_at BIGINT;
