-- Answer extraction: what the suite's declared method took out of each raw answer of a run (the raw
-- answer stays in `generations`). status: ok | failed (nothing could be extracted; reason says why).
CREATE TABLE extracted_answers (
    run_id   VARCHAR NOT NULL,
    item_id  VARCHAR NOT NULL,
    method   VARCHAR NOT NULL,
    status   VARCHAR NOT NULL,
    text     VARCHAR,
    reason   VARCHAR,
    PRIMARY KEY (run_id, item_id)
);
