-- Core: suites, checkpoints, runs, the generation cache, scores, and the tables later parts fill.
CREATE TABLE suites (
    suite_hash   VARCHAR PRIMARY KEY,
    name         VARCHAR NOT NULL,
    version      VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,
    meta_json    VARCHAR NOT NULL,
    n_items      INTEGER NOT NULL,
    first_seen   TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE suite_items (
    suite_hash VARCHAR NOT NULL,
    item_id    VARCHAR NOT NULL,
    prompt     VARCHAR NOT NULL,
    reference  VARCHAR NOT NULL,
    system     VARCHAR,
    direction  VARCHAR NOT NULL,
    tags       VARCHAR[] NOT NULL,
    disallowed VARCHAR,
    narrative  VARCHAR,
    position   INTEGER NOT NULL,
    PRIMARY KEY (suite_hash, item_id)
);
CREATE TABLE checkpoints (
    identity      VARCHAR PRIMARY KEY,
    name          VARCHAR NOT NULL,
    backend       VARCHAR NOT NULL,
    model         VARCHAR NOT NULL,
    adapter       VARCHAR,
    parent        VARCHAR,
    manifest_json VARCHAR NOT NULL,
    first_seen    TIMESTAMP NOT NULL DEFAULT current_timestamp
);
-- status: running | complete | incomplete (some items failed or a required metric unscored)
CREATE TABLE runs (
    run_id              VARCHAR PRIMARY KEY,
    checkpoint_name     VARCHAR NOT NULL,
    checkpoint_identity VARCHAR NOT NULL,
    settings_hash       VARCHAR NOT NULL,
    suite_name          VARCHAR NOT NULL,
    suite_hash          VARCHAR NOT NULL,
    suite_version       VARCHAR NOT NULL,
    status              VARCHAR NOT NULL,
    code_version        VARCHAR NOT NULL,
    config_json         VARCHAR NOT NULL,
    started_at          TIMESTAMP NOT NULL DEFAULT current_timestamp,
    finished_at         TIMESTAMP,
    n_items             INTEGER NOT NULL,
    n_ok                INTEGER,
    n_failed            INTEGER,
    prompt_tokens       BIGINT,
    completion_tokens   BIGINT,
    cost_usd            DOUBLE PRECISION,
    summary_json        VARCHAR
);
-- Successful generations only, keyed by sha256(checkpoint identity, settings, system, prompt).
CREATE TABLE generations (
    cache_key           VARCHAR PRIMARY KEY,
    checkpoint_identity VARCHAR NOT NULL,
    settings_hash       VARCHAR NOT NULL,
    text                VARCHAR NOT NULL,
    prompt_tokens       INTEGER,
    completion_tokens   INTEGER,
    latency_s           DOUBLE PRECISION,
    attempts            INTEGER,
    created_at          TIMESTAMP NOT NULL DEFAULT current_timestamp
);
-- One row per item of a run: which generation it used, or why it failed.
CREATE TABLE run_items (
    run_id     VARCHAR NOT NULL,
    item_id    VARCHAR NOT NULL,
    cache_key  VARCHAR NOT NULL,
    status     VARCHAR NOT NULL,   -- ok | failed
    error      VARCHAR,
    updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (run_id, item_id)
);
CREATE TABLE loglikelihoods (
    cache_key           VARCHAR PRIMARY KEY,   -- sha256(identity, prompt format, system, prompt, reference)
    checkpoint_identity VARCHAR NOT NULL,
    nats                DOUBLE PRECISION NOT NULL,
    tokens              INTEGER NOT NULL,
    chars               INTEGER NOT NULL,
    bytes               INTEGER NOT NULL,
    created_at          TIMESTAMP NOT NULL DEFAULT current_timestamp
);
-- Per-item sufficient statistics: every run, slice or resample score is score(sum of rows).
-- status: scored | failed | unsupported | not_scored; stats and score are NULL unless scored.
CREATE TABLE item_scores (
    run_id  VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    metric  VARCHAR NOT NULL,
    status  VARCHAR NOT NULL,
    reason  VARCHAR,
    stats   DOUBLE PRECISION[],
    score   DOUBLE PRECISION,
    PRIMARY KEY (run_id, item_id, metric)
);
CREATE TABLE run_metrics (
    run_id           VARCHAR NOT NULL,
    metric           VARCHAR NOT NULL,
    signature        VARCHAR NOT NULL,
    higher_is_better BOOLEAN NOT NULL,
    stat_names       VARCHAR[] NOT NULL,
    corpus_score     DOUBLE PRECISION,          -- NULL when nothing was scored (see status/reason)
    n_scored         INTEGER NOT NULL,
    n_unscored       INTEGER NOT NULL,
    status           VARCHAR NOT NULL, -- scored | partial | unsupported | failed | not_scored
    reason           VARCHAR,
    PRIMARY KEY (run_id, metric)
);
-- Audit of every request that left this machine (keys are never recorded).
CREATE TABLE external_calls (
    call_id           VARCHAR PRIMARY KEY,
    provider          VARCHAR NOT NULL,
    model             VARCHAR NOT NULL,
    purpose           VARCHAR NOT NULL,  -- generation | loglikelihood | judging | review
    run_id            VARCHAR,
    suite_hash        VARCHAR,
    item_id           VARCHAR,
    status            VARCHAR NOT NULL,
    http_status       INTEGER,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    latency_s         DOUBLE PRECISION,
    called_at         TIMESTAMP NOT NULL DEFAULT current_timestamp
);
-- Gate decisions (written by the gate, read by the dashboard and the reviewer chat).
CREATE TABLE decisions (
    decision_id        VARCHAR PRIMARY KEY,
    created_at         TIMESTAMP NOT NULL DEFAULT current_timestamp,
    candidate          VARCHAR NOT NULL,      -- checkpoint name
    candidate_identity VARCHAR NOT NULL,
    champion           VARCHAR,               -- NULL when there was no champion yet
    champion_identity  VARCHAR,
    candidate_run_ids  VARCHAR[] NOT NULL,
    champion_run_ids   VARCHAR[] NOT NULL,
    decision           VARCHAR NOT NULL,      -- advance | revert | incomplete | converged
    exit_code          INTEGER NOT NULL,
    reasons_json       VARCHAR NOT NULL,      -- list of human-readable reasons
    stats_json         VARCHAR NOT NULL,      -- per-metric delta, CI, p, Holm-adjusted p, MDE
    policy_json        VARCHAR NOT NULL,
    seed               BIGINT NOT NULL,
    report_md          VARCHAR NOT NULL,
    recorded           BOOLEAN NOT NULL DEFAULT false  -- true when it moved the champion
);
-- Champion history: the newest row is the current champion.
CREATE TABLE champions (
    seq                 INTEGER PRIMARY KEY,
    checkpoint_name     VARCHAR NOT NULL,
    checkpoint_identity VARCHAR NOT NULL,
    decision_id         VARCHAR,
    set_at              TIMESTAMP NOT NULL DEFAULT current_timestamp,
    set_by              VARCHAR NOT NULL,
    reason              VARCHAR NOT NULL
);
-- Community reviewers (dashboard sign-in; accounts made from the CLI).
CREATE TABLE reviewers (
    name            VARCHAR PRIMARY KEY,
    role            VARCHAR NOT NULL,        -- reviewer | admin
    password_hash   VARCHAR NOT NULL,        -- scrypt, with its parameters and salt
    created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    TIMESTAMP
);
-- Human ratings of answers: what the judge is calibrated against.
CREATE TABLE ratings (
    rating_id       VARCHAR PRIMARY KEY,
    run_id          VARCHAR,
    suite_hash      VARCHAR,
    item_id         VARCHAR NOT NULL,
    checkpoint_name VARCHAR,
    candidate_text  VARCHAR NOT NULL,
    verdict         VARCHAR,                 -- right | wrong | NULL (not said)
    cas_rating      INTEGER,                 -- 1..5 or NULL (not rated)
    rater           VARCHAR NOT NULL,
    source          VARCHAR NOT NULL DEFAULT 'dashboard',
    created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp
);
-- Narrative corrections written by reviewers; accepted ones become suites and training data.
CREATE TABLE corrections (
    correction_id VARCHAR PRIMARY KEY,
    run_id        VARCHAR,
    suite_hash    VARCHAR,
    item_id       VARCHAR NOT NULL,
    prompt        VARCHAR NOT NULL,
    disallowed    VARCHAR NOT NULL,          -- the model's answer being corrected
    narrative     VARCHAR NOT NULL,          -- the right answer with its story and context
    author        VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp,
    status        VARCHAR NOT NULL DEFAULT 'pending',   -- pending | accepted | rejected
    reviewed_by   VARCHAR,
    reviewed_at   TIMESTAMP,
    note          VARCHAR
);
