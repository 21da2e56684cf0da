"""Reviewer writes: ratings (right/wrong, cultural authenticity 1–5) and narrative corrections.

Every write is one `Store.transaction()`: it retries while a run holds the file and either lands whole or
not at all, so a failure can be shown to the reviewer with their text still in hand. The writer's account
is re-read inside the write, so only a real, signed-in account is ever credited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from ..errors import InputError
from ..jsonl import nfc
from ..store import Store
from ..store import audio as audio_sql
from ..store import voices as voices_sql
from ..store.accounts import writer
from ..store.voices import QueueCounts, QueueRow
from .accounts import PermissionDenied
from .audio import AudioClip

VERDICTS = ("right", "wrong")
STATUSES = ("pending", "accepted", "rejected")


@dataclass(frozen=True)
class ReviewTarget:
    """One answer a reviewer looks at: an item of a run, with the model's answer."""

    run_id: str
    suite_hash: str
    item_id: str
    checkpoint_name: str
    prompt: str
    answer: str


@dataclass(frozen=True)
class SavedReview:
    rating_id: str | None
    correction_id: str | None
    saved_at: datetime


@dataclass(frozen=True)
class Correction:
    correction_id: str
    run_id: str | None
    suite_hash: str | None
    item_id: str
    prompt: str
    disallowed: str
    narrative: str
    author: str
    created_at: datetime
    status: str
    reviewed_by: str | None
    reviewed_at: datetime | None
    note: str | None


CORRECTION_COLUMNS = (
    "correction_id, run_id, suite_hash, item_id, prompt, disallowed, narrative, author, "
    "created_at, status, reviewed_by, reviewed_at, note"
)


def target(store: Store, run_id: str, item_id: str) -> ReviewTarget | None:
    """The answer to review; None when the run has no answer for the item (nothing to rate)."""
    rows = store.query(
        "SELECT r.run_id, r.suite_hash, ri.item_id, r.checkpoint_name, si.prompt, g.text FROM runs r "
        "JOIN run_items ri ON ri.run_id = r.run_id AND ri.item_id = ? "
        "JOIN generations g ON g.cache_key = ri.cache_key "
        "JOIN suite_items si ON si.suite_hash = r.suite_hash AND si.item_id = ri.item_id "
        "WHERE r.run_id = ? AND ri.status = 'ok'",
        [item_id, run_id],
    )
    return ReviewTarget(*rows[0]) if rows else None


def save_review(
    store: Store,
    reviewer: str,
    tgt: ReviewTarget,
    *,
    verdict: str | None = None,
    cas_rating: int | None = None,
    narrative: str | None = None,
    note: str | None = None,
    criteria: dict[str, int] | None = None,
    audio: AudioClip | None = None,
    session_version: int | None = None,
) -> SavedReview:
    """Save what the reviewer said about one answer — rating, correction and recording together, or nothing.

    A rating needs a verdict, a 1–5 authenticity score or a 1–5 grade of a rubric criterion (`criteria`,
    criterion id → grade), and may carry a note; a correction needs written words or a recording (a spoken
    correction: `audio`), or both. Text typed decomposed (NFD) is stored composed (NFC). The time is the
    database's, the name is the signed-in account's. With `session_version` (the dashboard passes its
    session's), the write is refused when the account changed since the person signed in.
    """
    if verdict is not None and verdict not in VERDICTS:
        raise InputError(f"verdict must be one of {VERDICTS}", field="verdict")
    if cas_rating is not None and not (isinstance(cas_rating, int) and 1 <= cas_rating <= 5):
        raise InputError("cultural authenticity must be a whole number from 1 to 5", field="cas_rating")
    grades = {k: v for k, v in (criteria or {}).items() if v is not None}
    for key, grade in grades.items():
        if not (isinstance(grade, int) and 1 <= grade <= 5):
            raise InputError(f"the grade of '{key}' must be a whole number from 1 to 5", field=f"criteria.{key}")
    narrative = nfc(narrative).strip() if narrative else None
    note = nfc(note).strip() or None if note else None
    rated = verdict is not None or cas_rating is not None or bool(grades)
    if not rated and note:
        raise InputError("a note goes with a rating: mark the answer right or wrong, or rate it", field="note")
    if not rated and not narrative and audio is None:
        raise InputError("nothing to save: mark the answer, rate it, write a correction or record one")
    rating_id = ("rat-" + uuid.uuid4().hex[:16]) if rated else None
    correction_id = ("cor-" + uuid.uuid4().hex[:16]) if (narrative or audio is not None) else None
    with store.transaction() as con:
        _check_account(con, reviewer, session_version=session_version)
        if rating_id:
            con.execute(
                "INSERT INTO ratings (rating_id, run_id, suite_hash, item_id, checkpoint_name, candidate_text, "
                "verdict, cas_rating, rater, source, note) VALUES (?,?,?,?,?,?,?,?,?, 'dashboard', ?)",
                [
                    rating_id,
                    tgt.run_id,
                    tgt.suite_hash,
                    tgt.item_id,
                    tgt.checkpoint_name,
                    tgt.answer,
                    verdict,
                    cas_rating,
                    reviewer,
                    note,
                ],
            )
            voices_sql.insert_criteria(con, rating_id, grades)
        if correction_id:
            con.execute(
                "INSERT INTO corrections (correction_id, run_id, suite_hash, item_id, prompt, disallowed, "
                "narrative, author) VALUES (?,?,?,?,?,?,?,?)",
                [
                    correction_id,
                    tgt.run_id,
                    tgt.suite_hash,
                    tgt.item_id,
                    tgt.prompt,
                    tgt.answer,
                    narrative or "",
                    reviewer,
                ],
            )
            if audio is not None:
                audio_sql.insert(
                    con,
                    correction_id=correction_id,
                    audio_sha256=audio.sha256,
                    mime=audio.mime,
                    data=audio.data,
                    seconds=audio.seconds,
                    recorded_by=reviewer,
                    item_id=tgt.item_id,
                )
        now = con.execute("SELECT current_timestamp::TIMESTAMP").fetchone()
        assert now is not None
        saved_at = now[0]
    return SavedReview(rating_id, correction_id, saved_at)


def _check_account(con: Any, name: str, role: str = "reviewer", *, session_version: int | None = None) -> None:
    """Inside the write's transaction: the account exists, has the role, and (for a dashboard session) has not
    changed since the session began — a reset password, a new role or a removal ends the session's writes."""
    row = writer(con, name)
    if row is None:
        raise PermissionDenied(f"no reviewer account named '{name}'; sign in again")
    if session_version is not None and row[1] != session_version:
        raise PermissionDenied(f"the account '{name}' changed since you signed in (password or role); sign in again")
    if role == "admin" and row[0] != "admin":
        raise PermissionDenied(f"'{name}' is a reviewer; only an admin can do this")


def review_queue(
    store: Store,
    run_id: str,
    reviewer: str,
    *,
    metric: str = "chrf++",
    limit: int = 50,
    include_done: bool = False,
    voices: int = 2,
) -> list[QueueRow]:
    """The answers of a run worth this reviewer's time first (see `store.voices.queue` for the order).

    An answer stays in the queue until `voices` people have rated it, and leaves this reviewer's queue once
    they rated or corrected it (`include_done` brings those back, at the end). Items with no answer at all
    (generation failed) are not in the queue: there is nothing to rate — `queue_counts` reports them.
    """
    return voices_sql.queue(
        store, run_id, reviewer, metric=metric, voices_needed=voices, limit=limit, include_done=include_done
    )


def queue_metric(store: Store, run_id: str, preferred: str) -> str | None:
    """The metric that orders the queue: the preferred one if this run scored it, else a close substitute."""
    scored = {m for (m,) in store.query("SELECT metric FROM run_metrics WHERE run_id = ? AND n_scored > 0", [run_id])}
    for metric in (preferred, "chrf++", "chrf", "edit_similarity", "word_accuracy"):
        if metric in scored:
            return metric
    return None


def queue_counts(store: Store, run_id: str, reviewer: str, *, voices: int = 2) -> QueueCounts:
    """How many answers the run has, how many this reviewer did, how many still wait, and how many have no
    answer."""
    return voices_sql.queue_counts(store, run_id, reviewer, voices_needed=voices)


def reviewable_runs(store: Store) -> pd.DataFrame:
    """Runs with at least one answer, newest first, labelled for a reviewer to choose from."""
    frame = store.frame(
        "SELECT r.run_id, r.checkpoint_name, r.suite_name, r.suite_version, r.suite_hash, r.started_at FROM runs r "
        "WHERE EXISTS (SELECT 1 FROM run_items ri WHERE ri.run_id = r.run_id AND ri.status = 'ok') "
        "ORDER BY r.started_at DESC"
    )
    columns = (frame["checkpoint_name"], frame["suite_name"], frame["suite_version"], frame["started_at"])
    return frame.assign(label=[f"{c} — {s} {v} ({t:%Y-%m-%d %H:%M})" for c, s, v, t in zip(*columns)])


def my_reviews(store: Store, reviewer: str, run_id: str, item_id: str) -> pd.DataFrame:
    """What this reviewer already said about this answer (shown so they do not repeat themselves)."""
    return store.frame(
        "SELECT 'rating' AS kind, created_at, verdict, cas_rating, NULL AS narrative, NULL AS status FROM ratings "
        "WHERE rater = ? AND run_id = ? AND item_id = ? UNION ALL "
        "SELECT 'correction', created_at, NULL, NULL, narrative, status FROM corrections "
        "WHERE author = ? AND run_id = ? AND item_id = ? ORDER BY created_at",
        [reviewer, run_id, item_id, reviewer, run_id, item_id],
    )


# -- corrections (admin) ---------------------------------------------------------------------------


def list_corrections(store: Store, status: str | None = None, limit: int = 1000) -> list[Correction]:
    if status is not None and status not in STATUSES:
        raise InputError(f"unknown status '{status}'", field="status", hint=f"use one of {', '.join(STATUSES)}")
    where = "WHERE status = ?" if status else ""
    params: list[Any] = ([status] if status else []) + [limit]
    return [
        Correction(*r)
        for r in store.query(
            f"SELECT {CORRECTION_COLUMNS} FROM corrections {where} ORDER BY created_at, correction_id LIMIT ?", params
        )
    ]


def correction_counts(store: Store) -> dict[str, int]:
    counts = dict(store.query("SELECT status, count(*) FROM corrections GROUP BY status"))
    return {s: int(counts.get(s, 0)) for s in STATUSES}


def review_correction(
    store: Store,
    admin: str,
    correction_id: str,
    status: str,
    note: str | None = None,
    *,
    session_version: int | None = None,
) -> None:
    """An admin accepts or rejects a correction (or returns it to pending). Who and when are recorded."""
    if status not in STATUSES:
        raise InputError(f"unknown status '{status}'", field="status", hint=f"use one of {', '.join(STATUSES)}")
    with store.transaction() as con:
        _check_account(con, admin, role="admin", session_version=session_version)
        text = audio_sql.narrative(con, correction_id)
        if text is None:
            raise InputError(f"no correction '{correction_id}'", field="correction_id")
        if status == "accepted" and not text.strip():
            raise InputError(
                "a spoken correction is accepted once its words are written down",
                field="narrative",
                hint="write what the recording says in the transcript box first",
            )
        if status == "pending":
            con.execute(
                "UPDATE corrections SET status = 'pending', reviewed_by = NULL, reviewed_at = NULL, "
                "note = ? WHERE correction_id = ?",
                [note or None, correction_id],
            )
        else:
            con.execute(
                "UPDATE corrections SET status = ?, reviewed_by = ?, reviewed_at = current_timestamp, "
                "note = ? WHERE correction_id = ?",
                [status, admin, note or None, correction_id],
            )


def transcribe(store: Store, admin: str, correction_id: str, text: str, *, session_version: int | None = None) -> None:
    """An admin writes down what a spoken correction says: it becomes the correction's narrative (NFC), with
    who and when; what the reviewer had written before is kept beside it."""
    words = nfc(text).strip()
    if not words:
        raise InputError("the transcript is empty", field="narrative", hint="write what the recording says")
    with store.transaction() as con:
        _check_account(con, admin, role="admin", session_version=session_version)
        if not audio_sql.transcribe(con, correction_id, words, admin):
            raise InputError(f"no correction '{correction_id}'", field="correction_id")


__all__ = [
    "transcribe",
    "ReviewTarget",
    "SavedReview",
    "Correction",
    "save_review",
    "review_queue",
    "queue_counts",
    "target",
    "list_corrections",
    "review_correction",
    "reviewable_runs",
    "my_reviews",
    "correction_counts",
]
