-- Governance is read from a suite's current suite.toml on every load: where that file lives, and when the
-- store's copy of its allowed uses was last refreshed from it.
ALTER TABLE suites ADD COLUMN suite_dir VARCHAR;
ALTER TABLE suites ADD COLUMN governance_read_at TIMESTAMP;
-- Every change of a suite's allowed uses made by the harness itself (a publication that narrowed or, with an
-- admin's explicit flag, widened them): who, when, from what to what.
CREATE TABLE governance_log (
    event_id     VARCHAR PRIMARY KEY,
    suite_name   VARCHAR NOT NULL,
    suite_dir    VARCHAR,
    action       VARCHAR NOT NULL,          -- publish | widen
    actor        VARCHAR NOT NULL,
    before_uses  VARCHAR[],
    after_uses   VARCHAR[],
    detail       VARCHAR,
    created_at   TIMESTAMP NOT NULL DEFAULT current_timestamp
);
