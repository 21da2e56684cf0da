-- Several voices per answer. A rating may carry a note and a grade per rubric criterion; an admin settles an
-- answer its raters disagreed on. An answer is (suite, item, the exact answer text): the same text in two runs
-- is the same answer, and its ratings count together.
ALTER TABLE ratings ADD COLUMN note VARCHAR;
CREATE TABLE rating_criteria (
    rating_id VARCHAR NOT NULL,
    criterion VARCHAR NOT NULL,      -- a criterion id of the rubric (e.g. stoney_form)
    grade     INTEGER NOT NULL,      -- 1..5
    PRIMARY KEY (rating_id, criterion)
);
-- The newest settlement of an answer is the rating judge calibration uses for it.
CREATE TABLE rating_settlements (
    settlement_id    VARCHAR PRIMARY KEY,
    suite_hash       VARCHAR,
    item_id          VARCHAR NOT NULL,
    candidate_sha256 VARCHAR NOT NULL,   -- sha256 of the answer text (NFC, UTF-8)
    candidate_text   VARCHAR NOT NULL,
    verdict          VARCHAR,            -- right | wrong | NULL
    cas_rating       INTEGER,            -- 1..5 | NULL
    note             VARCHAR,
    settled_by       VARCHAR NOT NULL,
    created_at       TIMESTAMP NOT NULL DEFAULT current_timestamp
);
