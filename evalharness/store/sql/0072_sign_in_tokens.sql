-- Staying signed in across reloads and new tabs: the browser keeps a signed, expiring token; the server keeps
-- a row per token so that signing out, the idle timeout and expiry end it, and every use is re-checked against
-- the account (its session_version).
CREATE TABLE sign_in_tokens (
    token_id        VARCHAR PRIMARY KEY,
    name            VARCHAR NOT NULL,
    session_version BIGINT NOT NULL,
    issued_at       TIMESTAMP NOT NULL DEFAULT current_timestamp,
    expires_at      TIMESTAMP NOT NULL,
    last_seen       TIMESTAMP NOT NULL DEFAULT current_timestamp,
    revoked_at      TIMESTAMP
);
-- The key tokens are signed with, made on first use (EVALHARNESS_SESSION_SECRET overrides it).
CREATE TABLE dashboard_secrets (
    name       VARCHAR PRIMARY KEY,
    secret     VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
