-- Display names: what the hub shows of a member beside comments and submissions (the email is
-- a login and stays private). Accounts made before get their email's local part.
ALTER TABLE accounts ADD COLUMN name TEXT NOT NULL DEFAULT '';
UPDATE accounts SET name = split_part(email, '@', 1);
