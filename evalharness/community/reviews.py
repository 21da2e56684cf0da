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
from ..store import reviews as rows
from ..store.reviews import AccountMissing, CorrectionRow
from .accounts import PermissionDenied

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
    session_version: int | None = None,
) -> SavedReview:
    """Save what the reviewer said about one answer — rating and correction together, or neither.

    A rating needs a verdict or a 1–5 authenticity score; a correction needs the narrative text. The
    time is the database's, the name is the signed-in account's. With `session_version` (the dashboard
    passes its session's), the write is refused when the account changed since the person signed in.
    """
    if verdict is not None and verdict not in VERDICTS:
        raise InputError(f"verdict must be one of {VERDICTS}", field="verdict")
    if cas_rating is not None and not (isinstance(cas_rating, int) and 1 <= cas_rating <= 5):
        raise InputError("cultural authenticity must be a whole number from 1 to 5", field="cas_rating")
    narrative = nfc(narrative).strip() if narrative else None
    if verdict is None and cas_rating is None and not narrative:
        raise InputError("nothing to save: mark the answer, rate it, or write a correction")
    rating_id = ("rat-" + uuid.uuid4().hex[:16]) if (verdict is not None or cas_rating is not None) else None
    correction_id = ("cor-" + uuid.uuid4().hex[:16]) if narrative else None
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
            "narrative": narrative,
        }
        if correction_id
        else None
    )
    try:
        saved_at = rows.save_review(
            store, reviewer, rating=rating, correction=correction, session_version=session_version
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
    store: Store, run_id: str, reviewer: str, *, metric: str = "chrf++", limit: int = 50, include_done: bool = False
) -> pd.DataFrame:
    """The items of a run worth a person's time first.

    Order: answers whose judge samples disagreed (unstable), then answers no metric
    could score, then the lowest `metric` scores. Items this reviewer already rated or corrected for this
    run go to the end (or are left out). Items with no answer at all (generation failed) are not in the
    queue: there is nothing to rate — `queue_counts` reports them.
    """
    return rows.review_queue(store, run_id, reviewer, metric=metric, limit=limit, include_done=include_done)


def queue_metric(store: Store, run_id: str, preferred: str) -> str | None:
    """The metric that orders the queue: the preferred one if this run scored it, else a close substitute."""
    scored = scores.scored_metrics(store, run_id)
    for metric in (preferred, "chrf++", "chrf", "edit_similarity", "word_accuracy"):
        if metric in scored:
            return metric
    return None


def queue_counts(store: Store, run_id: str, reviewer: str) -> dict[str, int]:
    """How many answers the run has, how many this reviewer has done, and how many have no answer."""
    answers, no_answer, done = rows.queue_counts(store, run_id, reviewer)
    return {"answers": answers, "no_answer": no_answer, "done": done}


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
    try:
        found = rows.set_correction_status(
            store, admin, correction_id, status, note or None, session_version=session_version
        )
    except AccountMissing as exc:
        raise _denied(exc) from None
    if not found:
        raise InputError(f"no correction '{correction_id}'", field="correction_id")


__all__ = [
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
