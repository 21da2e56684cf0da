-- Remote providers: one external_calls row per HTTP attempt (retries included), with what it was for.
ALTER TABLE external_calls ADD COLUMN attempt INTEGER;
ALTER TABLE external_calls ADD COLUMN endpoint VARCHAR;   -- chat.completions | completions | generateContent | …
ALTER TABLE external_calls ADD COLUMN error VARCHAR;      -- why the attempt failed (keys scrubbed); NULL when ok
CREATE INDEX external_calls_run ON external_calls (run_id);
