"""Reviewer writes: ratings (right/wrong, cultural authenticity 1–5) and narrative corrections.

Every write is one `Store.transaction()`: it retries while a run holds the file and either lands whole or
not at all, so a failure can be shown to the reviewer with their text still in hand. The writer's account
is re-read inside the write, so only a real, signed-in account is ever credited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from ..errors import InputError
from ..jsonl import nfc
from ..store import Store, scores
from ..store import audio as audio_sql
from ..store import reviews as rows
from ..store import voices as voices_sql
from ..store.reviews import AccountMissing, CorrectionRow
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


#: One row type per table: a correction is the `corrections` row as the store returns it.
Correction = CorrectionRow


def target(store: Store, run_id: str, item_id: str) -> ReviewTarget | None:
    """The answer to review; None when the run has no answer for the item (nothing to rate)."""
    found = rows.review_target(store, run_id, item_id)
    return ReviewTarget(*found) if found else None


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
    rating = (
        {
            "rating_id": rating_id,
            "run_id": tgt.run_id,
            "suite_hash": tgt.suite_hash,
            "item_id": tgt.item_id,
            "checkpoint_name": tgt.checkpoint_name,
            "candidate_text": tgt.answer,
            "verdict": verdict,
            "cas_rating": cas_rating,
            "note": note,
        }
        if rating_id
        else None
    )
    correction = (
        {
            "correction_id": correction_id,
            "run_id": tgt.run_id,
            "suite_hash": tgt.suite_hash,
            "item_id": tgt.item_id,
            "prompt": tgt.prompt,
            "disallowed": tgt.answer,
            "narrative": narrative or "",
        }
        if correction_id
        else None
    )
    recording = (
        {
            "audio_sha256": audio.sha256,
            "mime": audio.mime,
            "data": audio.data,
            "seconds": audio.seconds,
            "item_id": tgt.item_id,
        }
        if audio is not None
        else None
    )
    try:
        saved_at = rows.save_review(
            store,
            reviewer,
            rating=rating,
            correction=correction,
            criteria=grades,
            recording=recording,
            session_version=session_version,
        )
    except AccountMissing as exc:
        raise _denied(exc) from None
    return SavedReview(rating_id, correction_id, saved_at)


def _denied(exc: AccountMissing) -> PermissionDenied:
    if exc.found_role is None:
        return PermissionDenied(f"no reviewer account named '{exc.name}'; sign in again")
    if exc.changed:
        return PermissionDenied(
            f"the account '{exc.name}' changed since you signed in (password or role); sign in again"
        )
    return PermissionDenied(f"'{exc.name}' is a reviewer; only an admin can do this")


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
    scored = scores.scored_metrics(store, run_id)
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
    frame = rows.reviewable_runs(store)
    frame["label"] = [
        f"{c} — {s} {v} ({t:%Y-%m-%d %H:%M})"
        for c, s, v, t in zip(
            frame["checkpoint_name"], frame["suite_name"], frame["suite_version"], frame["started_at"]
        )
    ]
    return frame


def my_reviews(store: Store, reviewer: str, run_id: str, item_id: str) -> pd.DataFrame:
    """What this reviewer already said about this answer (shown so they do not repeat themselves)."""
    return rows.my_reviews(store, reviewer, run_id, item_id)


# -- corrections (admin) ---------------------------------------------------------------------------


def list_corrections(store: Store, status: str | None = None, limit: int = 1000) -> list[Correction]:
    if status is not None and status not in STATUSES:
        raise InputError(f"unknown status '{status}'", field="status", hint=f"use one of {', '.join(STATUSES)}")
    return rows.list_corrections(store, status, limit)


def correction_counts(store: Store) -> dict[str, int]:
    counts = rows.correction_counts(store)
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
    if status == "accepted":
        text = audio_sql.narrative_of(store, correction_id)
        if text is not None and not text.strip():
            raise InputError(
                "a spoken correction is accepted once its words are written down",
                field="narrative",
                hint="write what the recording says in the transcript box first",
            )
    try:
        found = rows.set_correction_status(
            store, admin, correction_id, status, note or None, session_version=session_version
        )
    except AccountMissing as exc:
        raise _denied(exc) from None
    if not found:
        raise InputError(f"no correction '{correction_id}'", field="correction_id")


def transcribe(store: Store, admin: str, correction_id: str, text: str, *, session_version: int | None = None) -> None:
    """An admin writes down what a spoken correction says: it becomes the correction's narrative (NFC), with
    who and when; what the reviewer had written before is kept beside it."""
    words = nfc(text).strip()
    if not words:
        raise InputError("the transcript is empty", field="narrative", hint="write what the recording says")
    try:
        found = audio_sql.transcribe_checked(store, correction_id, words, admin, session_version=session_version)
    except AccountMissing as exc:
        raise _denied(exc) from None
    if not found:
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
