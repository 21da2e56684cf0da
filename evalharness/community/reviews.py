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
from ..store.accounts import writer
from .accounts import PermissionDenied
from .judge import UNSTABLE_EXPR, UNSTABLE_JOIN

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
    with store.transaction() as con:
        _check_account(con, reviewer, session_version=session_version)
        if rating_id:
            con.execute(
                "INSERT INTO ratings (rating_id, run_id, suite_hash, item_id, checkpoint_name, candidate_text, "
                "verdict, cas_rating, rater, source) VALUES (?,?,?,?,?,?,?,?,?, 'dashboard')",
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
                ],
            )
        if correction_id:
            con.execute(
                "INSERT INTO corrections (correction_id, run_id, suite_hash, item_id, prompt, disallowed, "
                "narrative, author) VALUES (?,?,?,?,?,?,?,?)",
                [correction_id, tgt.run_id, tgt.suite_hash, tgt.item_id, tgt.prompt, tgt.answer, narrative, reviewer],
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
    store: Store, run_id: str, reviewer: str, *, metric: str = "chrf++", limit: int = 50, include_done: bool = False
) -> pd.DataFrame:
    """The items of a run worth a person's time first.

    Order: answers whose judge samples disagreed (unstable), then answers no metric
    could score, then the lowest `metric` scores. Items this reviewer already rated or corrected for this
    run go to the end (or are left out). Items with no answer at all (generation failed) are not in the
    queue: there is nothing to rate — `queue_counts` reports them.
    """
    with store.connect() as con:
        params: list[Any] = [metric, reviewer, reviewer, run_id]
        sql = (
            "SELECT ri.item_id, si.direction, si.prompt, si.reference, g.text AS answer, s.score, s.status AS "
            "score_status, " + UNSTABLE_EXPR + " AS unstable, "
            "(rv.item_id IS NOT NULL) AS done FROM run_items ri JOIN runs r ON r.run_id = ri.run_id "
            "JOIN generations g ON g.cache_key = ri.cache_key "
            "JOIN suite_items si ON si.suite_hash = r.suite_hash AND si.item_id = ri.item_id "
            + UNSTABLE_JOIN
            + "LEFT JOIN item_scores s ON s.run_id = ri.run_id AND s.item_id = ri.item_id AND s.metric = ? "
            "LEFT JOIN (SELECT DISTINCT run_id, item_id FROM ratings WHERE rater = ? UNION "
            "SELECT DISTINCT run_id, item_id FROM corrections WHERE author = ?) rv "
            "ON rv.run_id = ri.run_id AND rv.item_id = ri.item_id "
            "WHERE ri.run_id = ? AND ri.status = 'ok' "
            + ("" if include_done else "AND rv.item_id IS NULL ")
            + "ORDER BY done, unstable DESC, (s.score IS NULL) DESC, s.score ASC, si.position LIMIT ?"
        )
        params.append(limit)
        return con.execute(sql, params).df()


def queue_metric(store: Store, run_id: str, preferred: str) -> str | None:
    """The metric that orders the queue: the preferred one if this run scored it, else a close substitute."""
    scored = {m for (m,) in store.query("SELECT metric FROM run_metrics WHERE run_id = ? AND n_scored > 0", [run_id])}
    for metric in (preferred, "chrf++", "chrf", "edit_similarity", "word_accuracy"):
        if metric in scored:
            return metric
    return None


def queue_counts(store: Store, run_id: str, reviewer: str) -> dict[str, int]:
    """How many answers the run has, how many this reviewer has done, and how many have no answer."""
    row = store.query(
        "SELECT count(*) FILTER (ri.status = 'ok'), count(*) FILTER (ri.status <> 'ok'), "
        "count(DISTINCT rv.item_id) FILTER (ri.status = 'ok') FROM run_items ri "
        "LEFT JOIN (SELECT run_id, item_id FROM ratings WHERE rater = ? UNION "
        "SELECT run_id, item_id FROM corrections WHERE author = ?) rv "
        "ON rv.run_id = ri.run_id AND rv.item_id = ri.item_id WHERE ri.run_id = ?",
        [reviewer, reviewer, run_id],
    )[0]
    return {"answers": int(row[0]), "no_answer": int(row[1]), "done": int(row[2])}


def reviewable_runs(store: Store) -> pd.DataFrame:
    """Runs with at least one answer, newest first, labelled for a reviewer to choose from."""
    return store.frame(
        "SELECT r.run_id, r.checkpoint_name, r.suite_name, r.suite_version, r.started_at, "
        "r.checkpoint_name || ' — ' || r.suite_name || ' ' || r.suite_version || ' (' || "
        "strftime(r.started_at, '%Y-%m-%d %H:%M') || ')' AS label FROM runs r "
        "WHERE EXISTS (SELECT 1 FROM run_items ri WHERE ri.run_id = r.run_id AND ri.status = 'ok') "
        "ORDER BY r.started_at DESC"
    )


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
        found = con.execute("SELECT 1 FROM corrections WHERE correction_id = ?", [correction_id]).fetchone()
        if not found:
            raise InputError(f"no correction '{correction_id}'", field="correction_id")
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
