-- Judge: rubrics by hash, the verdict cache, and which verdicts each run's CAS rests on.
-- Every rubric file a verdict was made under, byte for byte (its sha256 is the key).
CREATE TABLE judge_rubrics (
    rubric_hash VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    version     VARCHAR NOT NULL,
    text        VARCHAR NOT NULL,
    first_seen  TIMESTAMP NOT NULL DEFAULT current_timestamp
);
-- One row per judge request that produced a valid verdict (the cache), or that failed for good (status
-- invalid | failed; replaced when retried). Keyed by sha256(judge identity, prompt version, rubric hash,
-- item content, candidate text, sample index).
CREATE TABLE judge_calls (
    cache_key         VARCHAR PRIMARY KEY,
    judge_identity    VARCHAR NOT NULL,      -- sha256 of provider, model, base_url (local), temperature, prompt version
    judge_provider    VARCHAR NOT NULL,
    judge_model       VARCHAR NOT NULL,
    rubric_hash       VARCHAR NOT NULL,
    item_id           VARCHAR NOT NULL,
    item_key          VARCHAR NOT NULL,      -- sha256 of what the judge saw of the item
    candidate_sha256  VARCHAR NOT NULL,
    candidate_text    VARCHAR NOT NULL,
    sample_index      INTEGER NOT NULL,
    status            VARCHAR NOT NULL,      -- ok | invalid | failed
    overall           INTEGER,               -- 1..5 when ok
    criteria_json     VARCHAR,               -- {"criterion id": 1..5} when ok
    rationale         VARCHAR,
    flags             VARCHAR[],
    error             VARCHAR,               -- why it is not ok
    raw_response      VARCHAR,               -- the last answer as received (for checking an invalid one)
    attempts          INTEGER NOT NULL,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    latency_s         DOUBLE PRECISION,
    created_at        TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE INDEX judge_calls_item ON judge_calls (item_id, candidate_sha256);
-- Per run and item: the k verdicts the item's CAS rests on, their spread, and whether they disagree.
CREATE TABLE judge_run_items (
    run_id          VARCHAR NOT NULL,
    item_id         VARCHAR NOT NULL,
    judge_identity  VARCHAR NOT NULL,
    judge_model     VARCHAR NOT NULL,
    rubric_hash     VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,        -- scored | failed | not_scored
    reason          VARCHAR,
    cache_keys      VARCHAR[] NOT NULL,
    overall_scores  INTEGER[],               -- one per sample, in sample order, when scored
    cas             DOUBLE PRECISION,                  -- mean of (overall - 1) / 4 over the samples, when scored
    spread          INTEGER,                 -- max - min of overall_scores
    unstable        BOOLEAN NOT NULL DEFAULT false,
    flags           VARCHAR[],               -- every flag raised by any sample
    PRIMARY KEY (run_id, item_id)
);
