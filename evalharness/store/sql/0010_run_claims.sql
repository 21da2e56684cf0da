-- Who is working on a piece of work (checkpoint identity × settings × suite version) right now.
-- A second process asking for the same work waits for the holder, then reuses its run; a holder that died
-- (its process is gone on the same host, or its lease ran out elsewhere) is taken over, and its run resumed.
CREATE TABLE run_claims (
    checkpoint_identity VARCHAR NOT NULL,
    settings_hash       VARCHAR NOT NULL,
    suite_hash          VARCHAR NOT NULL,
    run_id              VARCHAR,
    owner               VARCHAR NOT NULL,   -- host:pid:token of the process holding the claim
    host                VARCHAR NOT NULL,
    pid                 BIGINT NOT NULL,
    claimed_at          TIMESTAMP NOT NULL DEFAULT current_timestamp,
    lease_until         TIMESTAMP NOT NULL, -- renewed while the holder works; after it, the claim is stale
    PRIMARY KEY (checkpoint_identity, settings_hash, suite_hash)
);
