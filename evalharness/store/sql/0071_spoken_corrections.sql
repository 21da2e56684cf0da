-- Spoken corrections: the recording is kept with its correction (who, when, which item, the content's sha256).
-- Audio is community data: it stays in the store and leaves it only in an export the source suite allows.
CREATE TABLE correction_audio (
    correction_id VARCHAR PRIMARY KEY,
    audio_sha256  VARCHAR NOT NULL,
    mime          VARCHAR NOT NULL,
    n_bytes       BIGINT NOT NULL,
    seconds       DOUBLE PRECISION,
    data          BYTEA NOT NULL,
    recorded_by   VARCHAR NOT NULL,
    item_id       VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp
);
-- An admin may write down what a recording says: the narrative becomes the transcript; the reviewer's own
-- written words are kept beside it.
ALTER TABLE corrections ADD COLUMN written_narrative VARCHAR;
ALTER TABLE corrections ADD COLUMN transcribed_by VARCHAR;
ALTER TABLE corrections ADD COLUMN transcribed_at TIMESTAMP;
