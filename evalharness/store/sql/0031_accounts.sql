-- Reviewer accounts, hardened: a normalised name for uniqueness and sign-in (NFC, case-folded, spaces collapsed;
-- filled in by the code, which knows Unicode case folding), and a version that every change to the account
-- (password, role) bumps, so sessions opened before the change end.
ALTER TABLE reviewers ADD COLUMN name_key VARCHAR;
ALTER TABLE reviewers ADD COLUMN session_version BIGINT DEFAULT 0;
-- Wrong passwords per (account name, source): counted before the password is checked, in one transaction, so
-- parallel guesses cannot slip past the limit; kept per source, so a stranger cannot lock an admin out.
-- Unknown names get rows too: a failed sign-in looks the same whatever the name.
CREATE TABLE sign_in_failures (
    name_key        VARCHAR NOT NULL,
    source          VARCHAR NOT NULL,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    locked_until    TIMESTAMP,
    last_attempt    TIMESTAMP,
    PRIMARY KEY (name_key, source)
);
-- Sign-in attempts per source (whatever the name) in a sliding window: a source over the limit waits.
CREATE TABLE sign_in_sources (
    source        VARCHAR PRIMARY KEY,
    window_start  TIMESTAMP NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    blocked_until TIMESTAMP
);
