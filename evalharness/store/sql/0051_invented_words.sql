-- Invented words: per run and item, the words of the language in the answer that the community's lexicon
-- (and analyser) did not know. The lexicon itself is never stored.
CREATE TABLE invented_words (
    run_id   VARCHAR NOT NULL,
    item_id  VARCHAR NOT NULL,
    words    VARCHAR[] NOT NULL,
    PRIMARY KEY (run_id, item_id)
);
