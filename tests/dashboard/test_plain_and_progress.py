"""Plain words for decisions and times, and the weekly progress of reviewers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from evalharness.community import overview, plain, progress, reviews
from evalharness.community.accounts import add_reviewer
from evalharness.gate.pipeline import run_gate
from evalharness.store import Store

from . import demo_db

EDMONTON = ZoneInfo("America/Edmonton")


def test_a_real_gate_decision_reads_in_plain_words(db: Path, demo) -> None:
    """The gate's own statistics (stored with the decision) become sentences; the engineers' reasons stay."""
    store = Store(db)
    base = demo_db.config()
    config = base.model_copy(update={"gate": base.gate.model_copy(update={
        "resamples": 200, "guards": {"edit_similarity": 2.0}, "crosscheck_max_items": 0})})
    runs = demo.run_ids

    def evaluate(checkpoint, suite) -> str:
        return runs[(checkpoint.name, suite.name)]

    run_gate(config, store, demo_db.checkpoint(demo.root, "stoney-v3-lora", [demo.dictionary, demo.narrative]),
             [demo.dictionary, demo.narrative],
             champion=demo_db.checkpoint(demo.root, "stoney-v2", [demo.dictionary, demo.narrative]),
             evaluate=evaluate)
    newest = overview.recent_decisions(store, 1)[0]
    assert newest.candidate == "stoney-v3-lora"
    engineers = " ".join(newest.reasons)
    assert "chrf++ (primary): gain" in engineers and "CI" in engineers
    words = " ".join(newest.plain_reasons)
    assert "chrF++ got worse:" in words and "points lower than the model in use" in words, words
    assert "CI" not in words and "Holm" not in words and "p =" not in words
    # stoney-v3-lora failed one item, so its run is incomplete: said first, in words
    assert newest.plain_reasons[0] == "Some questions got no answer from a model, so the test is not complete yet."
    assert plain.decision_headline(newest.decision, newest.candidate, newest.champion) == (
        "Nothing was decided about stoney-v3-lora: its test was not complete.")


def test_decisions_without_statistics_keep_their_words() -> None:
    assert plain.decision_reasons("{}", ["chrF++ fell by 9.8"]) == ["chrF++ fell by 9.8"]
    assert plain.decision_reasons("not json", ["kept"]) == ["kept"]


def test_times_are_in_the_readers_zone() -> None:
    stored = datetime(2026, 11, 30, 21, 5)  # the store's times are UTC without a zone
    assert plain.local_time(stored, EDMONTON) == "Mon 30 Nov 2026, 14:05"
    assert plain.local_time(stored, timezone.utc, with_date=False) == "21:05"
    now = datetime(2026, 12, 3, 21, 5, tzinfo=timezone.utc)
    assert plain.age(stored, now) == "3 days" and plain.age(stored, stored.replace(tzinfo=timezone.utc)) == "just now"


def test_the_week_starts_on_monday_where_the_reader_is() -> None:
    # Monday 30 Nov 2026, 03:00 UTC is still Sunday evening in Alberta: that reader's week began on the 23rd.
    now = datetime(2026, 11, 30, 3, 0, tzinfo=timezone.utc)
    assert progress.week_start(now, EDMONTON) == datetime(2026, 11, 23, 7, 0)
    assert progress.week_start(now, timezone.utc) == datetime(2026, 11, 30, 0, 0)


def test_progress_counts_answers_this_week_and_what_waits(db: Path, demo) -> None:
    store = Store(db)
    add_reviewer(store, "Teacher Three", "reviewer", "wîcha-kiyâ-three-33")
    run_id = demo.run_ids[("stoney-v2", "stoney-dictionary-mini")]
    for item in ("dq-01", "dq-02", "dq-03"):
        reviews.save_review(store, demo_db.REVIEWER, reviews.target(store, run_id, item), cas_rating=4)
    reviews.save_review(store, "Teacher Three", reviews.target(store, run_id, "dq-01"), cas_rating=1,
                        verdict="wrong")
    reviews.save_review(store, demo_db.REVIEWER, reviews.target(store, run_id, "dq-01"), verdict="right",
                        narrative="a correction of the same answer: still one answer")
    p = progress.progress(store, demo_db.REVIEWER, voices_needed=2, zone=EDMONTON)
    assert p.mine == 3 and dict(p.team) == {demo_db.REVIEWER: 3, "Teacher Three": 1}
    distinct = {(r[0], r[1]) for r in store.query(
        "SELECT DISTINCT r.suite_hash, ri.item_id || '|' || g.text FROM run_items ri JOIN runs r USING (run_id) "
        "JOIN generations g ON g.cache_key = ri.cache_key WHERE ri.status = 'ok'")}
    assert p.waiting.answers == len(distinct) - 1  # every answer but dq-01 (two voices) still needs voices
    assert p.waiting.for_reviewer == p.waiting.answers - 2  # dq-02 and dq-03 are done by her, dq-01 is full
    assert p.waiting.oldest is not None and p.corrections_waiting == 1 and p.disagreements == 1
    later = progress.progress(store, demo_db.REVIEWER, voices_needed=2, zone=EDMONTON,
                              now=datetime.now(timezone.utc) + timedelta(days=8))
    assert later.mine == 0 and later.team == []


@pytest.mark.parametrize("name", ["bits_per_char", "chrf++", "made_up_metric"])
def test_metric_words_are_plain(name: str) -> None:
    assert plain.metric_words(name)
    assert plain.metric_label("chrf++") == "chrF++"
