-- Monitors: canary checks of deployed endpoints, the baseline they are compared with, their answers and
-- scores, the drift test's state, retirement lookups, alert states and alerts, and live answers from logs.
-- Portable types only (VARCHAR, BIGINT, DOUBLE PRECISION, BOOLEAN, TIMESTAMP, VARCHAR[]); per-item statistics are JSON.

-- The canary's items (a fixed, seeded, stratified sample), by canary hash.
CREATE TABLE monitor_canaries (
    canary_hash VARCHAR NOT NULL,
    item_key    VARCHAR NOT NULL,          -- suite hash prefix + item id (unique across the canary's suites)
    suite_hash  VARCHAR NOT NULL,
    suite_name  VARCHAR NOT NULL,
    item_id     VARCHAR NOT NULL,
    position    BIGINT NOT NULL,
    PRIMARY KEY (canary_hash, item_key)
);
-- What checks are compared with. A new one starts when the canary or the endpoint's manifest changes, or on
-- `evalharness monitor rebaseline`.
CREATE TABLE monitor_baselines (
    baseline_id       VARCHAR PRIMARY KEY,
    monitor           VARCHAR NOT NULL,
    seq               BIGINT NOT NULL,     -- 1, 2, … per monitor; the newest is the current baseline
    kind              VARCHAR NOT NULL,    -- champion | first_check
    canary_hash       VARCHAR NOT NULL,
    endpoint_identity VARCHAR NOT NULL,
    source_runs       VARCHAR[] NOT NULL,  -- kind champion: the champion's complete runs
    source_check      VARCHAR,             -- kind first_check: the check whose answers are the baseline
    reason            VARCHAR NOT NULL,
    created_at        TIMESTAMP NOT NULL
);
-- One row per check. status: complete | failed (no answer to compare) | gone (the model answers 404)
CREATE TABLE monitor_checks (
    check_id          VARCHAR PRIMARY KEY,
    monitor           VARCHAR NOT NULL,
    seq               BIGINT NOT NULL,     -- 1, 2, … per monitor
    baseline_id       VARCHAR,
    test_start        BIGINT,              -- seq of the first check of the running sequential test
    endpoint_name     VARCHAR NOT NULL,
    endpoint_identity VARCHAR NOT NULL,
    model             VARCHAR NOT NULL,
    canary_hash       VARCHAR NOT NULL,
    started_at        TIMESTAMP NOT NULL,
    finished_at       TIMESTAMP,
    status            VARCHAR NOT NULL,
    n_items           BIGINT NOT NULL,
    n_ok              BIGINT NOT NULL,
    n_failed          BIGINT NOT NULL,
    error_rate        DOUBLE PRECISION,
    latency_mean_s    DOUBLE PRECISION,
    latency_p95_s     DOUBLE PRECISION,
    prompt_tokens     BIGINT,
    completion_tokens BIGINT,
    cost_usd          DOUBLE PRECISION,              -- NULL when unknown (cost_reason says why)
    cost_reason       VARCHAR,
    changed_share     DOUBLE PRECISION,              -- answers whose text differs verbatim from the baseline's
    drift_share       DOUBLE PRECISION,              -- the drift test's value: answers that differ from the established ones
                                           -- (text, or mean token log-probability beyond the tolerance)
    score_drop        DOUBLE PRECISION,              -- the drift test's value: established canary score − this check's
    wealth            DOUBLE PRECISION,              -- the sequential test's combined wealth after this check
    alarm             BOOLEAN NOT NULL,
    summary_json      VARCHAR NOT NULL     -- scores, paired comparison per metric, streams, retirement, notes
);
CREATE TABLE monitor_answers (
    check_id          VARCHAR NOT NULL,
    item_key          VARCHAR NOT NULL,
    status            VARCHAR NOT NULL,    -- ok | failed
    text              VARCHAR,
    error             VARCHAR,
    prompt_tokens     BIGINT,
    completion_tokens BIGINT,
    latency_s         DOUBLE PRECISION,
    logprob_sum       DOUBLE PRECISION,
    logprob_tokens    BIGINT,
    PRIMARY KEY (check_id, item_key)
);
CREATE TABLE monitor_item_scores (
    check_id   VARCHAR NOT NULL,
    item_key   VARCHAR NOT NULL,
    metric     VARCHAR NOT NULL,
    status     VARCHAR NOT NULL,           -- scored | failed | unsupported | not_scored
    reason     VARCHAR,
    stats_json VARCHAR,                    -- the metric's sufficient statistics, when scored
    score      DOUBLE PRECISION,
    PRIMARY KEY (check_id, item_key, metric)
);
-- The newest lookup of each model's retirement (OpenAI's models endpoint).
CREATE TABLE monitor_retirement (
    model           VARCHAR PRIMARY KEY,
    provider        VARCHAR NOT NULL,
    role            VARCHAR NOT NULL,      -- model | base model
    checkpoint_name VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,      -- ok | gone | unknown | unsupported
    shutdown_date   VARCHAR,               -- YYYY-MM-DD when announced
    reason          VARCHAR,
    checked_at      TIMESTAMP NOT NULL
);
CREATE TABLE monitor_alert_state (
    monitor     VARCHAR NOT NULL,
    condition   VARCHAR NOT NULL,          -- drift | endpoint_gone | errors | retirement
    active      BOOLEAN NOT NULL,
    since       TIMESTAMP,
    last_notice TIMESTAMP,
    detail      VARCHAR NOT NULL,
    PRIMARY KEY (monitor, condition)
);
-- Every alert made, and which sinks have it; an undelivered sink is tried again on the next check.
CREATE TABLE monitor_alerts (
    alert_id   VARCHAR PRIMARY KEY,
    monitor    VARCHAR NOT NULL,
    condition  VARCHAR NOT NULL,
    kind       VARCHAR NOT NULL,           -- raised | recovered | reminder
    severity   VARCHAR NOT NULL,
    check_id   VARCHAR,
    created_at TIMESTAMP NOT NULL,
    message_json VARCHAR NOT NULL,         -- the rendered message (aggregates; items only where publication is allowed)
    sinks      VARCHAR[] NOT NULL,         -- sinks configured when it was made
    delivered  VARCHAR[] NOT NULL,
    last_error VARCHAR
);
-- Live answers from the deployed app's logs, for reviewers (`evalharness monitor import-log`).
CREATE TABLE monitor_live_imports (
    import_id     VARCHAR PRIMARY KEY,
    monitor       VARCHAR NOT NULL,
    source_file   VARCHAR NOT NULL,
    file_sha256   VARCHAR NOT NULL,
    imported_at   TIMESTAMP NOT NULL,
    n_read        BIGINT NOT NULL,
    n_imported    BIGINT NOT NULL,
    left_out_json VARCHAR NOT NULL
);
CREATE TABLE monitor_live_items (
    live_id       VARCHAR PRIMARY KEY,
    monitor       VARCHAR NOT NULL,
    endpoint_name VARCHAR NOT NULL,
    content_hash  VARCHAR NOT NULL,
    day           VARCHAR,                 -- YYYY-MM-DD (UTC) of the logged answer, NULL when the log had no time
    logged_at     TIMESTAMP,
    question      VARCHAR NOT NULL,
    answer        VARCHAR NOT NULL,
    consent       BOOLEAN NOT NULL,
    import_id     VARCHAR NOT NULL,
    source_line   BIGINT NOT NULL,
    UNIQUE (monitor, content_hash)
);
