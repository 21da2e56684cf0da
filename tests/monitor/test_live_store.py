"""Live answers through the store fixture (every engine the store runs on): import, queue, ratings, corrections,
the live quality series."""

from __future__ import annotations

import json
from pathlib import Path

from evalharness.community import accounts
from evalharness.monitor import live
from evalharness.monitor.registry import find_monitor
from evalharness.store import live_answers as live_db

from .conftest import write_lab

REVIEWER, PASSWORD = "Lucy Twoyoungmen", "correct horse battery staple"


def test_live_answers_are_imported_rated_corrected_and_counted_per_day(store, tmp_path: Path) -> None:
    config, _ = write_lab(tmp_path, "http://127.0.0.1:9")
    monitor = find_monitor(config, "stoney-ft")
    log = tmp_path / "app-log.jsonl"
    log.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"time": "2026-11-28T10:00:00Z", "question": "What is 'mîni'?", "answer": "Water.", "consent": True},
        {"time": "2026-11-29T09:00:00Z", "question": "Say 'cold' in Stoney", "answer": "Osni.", "consent": True},
        {"time": "2026-11-29T09:01:00Z", "question": "say  'COLD' in stoney", "answer": "osni.", "consent": True},
        {"time": "2026-11-29T09:05:00Z", "question": "Private question", "answer": "Private answer",
         "consent": False},
    ]) + "\n", encoding="utf-8")
    result = live.import_log(config, store, monitor, log)
    assert result.imported == 2
    again = live.import_log(config, store, monitor, log)
    assert again.imported == 0                                  # already imported: nothing twice

    accounts.add_reviewer(store, REVIEWER, "reviewer", PASSWORD)
    waiting, counts = live.queue(store, REVIEWER)
    assert counts == {"answers": 2, "done": 0} and [done for _, done in waiting] == [False, False]
    by_question = {item.question: item for item, _ in waiting}
    live.save_review(store, REVIEWER, by_question["What is 'mîni'?"].live_id, verdict="right", cas_rating=5)
    live.save_review(store, REVIEWER, by_question["Say 'cold' in Stoney"].live_id, verdict="wrong", cas_rating=2,
                     narrative="'Osnî' means cold; the circumflex matters.")
    assert live.queue(store, REVIEWER)[1] == {"answers": 2, "done": 2}
    assert live.queue(store, REVIEWER)[0] == []                 # nothing left to review
    assert live.queue(store, REVIEWER, monitor="stoney-ft")[1] == {"answers": 2, "done": 2}
    assert live.queue(store, REVIEWER, monitor="another")[1] == {"answers": 0, "done": 0}

    quality = live_db.live_quality(store, "stoney-ft")
    assert [(q.day, q.answers, q.rated, q.right, q.wrong, q.mean_cas) for q in quality] == [
        ("2026-11-28", 1, 1, 1, 0, 5.0), ("2026-11-29", 1, 1, 0, 1, 2.0)]
    assert store.query("SELECT source, run_id FROM ratings ORDER BY created_at") == [("live", None), ("live", None)]
    assert store.query("SELECT narrative, run_id FROM corrections") == [
        ("'Osnî' means cold; the circumflex matters.", None)]


def test_a_live_save_from_a_session_older_than_the_account_is_refused_and_writes_nothing(store, tmp_path: Path) -> None:
    """Like every other review save: a password reset since sign-in ends the session's writes."""
    import pytest

    from evalharness.community.accounts import PermissionDenied

    config, _ = write_lab(tmp_path, "http://127.0.0.1:9")
    monitor = find_monitor(config, "stoney-ft")
    log = tmp_path / "app-log.jsonl"
    log.write_text(json.dumps({"time": "2026-11-28T10:00:00Z", "question": "What is 'mîni'?", "answer": "Water.",
                               "consent": True}) + "\n", encoding="utf-8")
    assert live.import_log(config, store, monitor, log).imported == 1
    signed_in = accounts.add_reviewer(store, REVIEWER, "reviewer", PASSWORD)
    (item, _), = live.queue(store, REVIEWER)[0]
    accounts.set_password(store, REVIEWER, "a different horse battery staple")
    with pytest.raises(PermissionDenied, match="changed since you signed in"):
        live.save_review(store, REVIEWER, item.live_id, verdict="right", narrative="Mîni is water.",
                         session_version=signed_in.session_version)
    assert store.query("SELECT count(*) FROM ratings") == [(0,)]
    assert store.query("SELECT count(*) FROM corrections") == [(0,)]
    live.save_review(store, REVIEWER, item.live_id, verdict="right")   # the CLI/library path without a session
    assert store.query("SELECT count(*) FROM ratings") == [(1,)]
