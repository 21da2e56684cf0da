"""Tables `ratings` and `corrections`: what reviewers said (accounts, table `reviewers`, are in `store.accounts`).

Every write is one transaction: it lands whole or not at all, and the account is re-read inside it, so only
a real account is ever credited. Times are the database's (UTC), so several dashboard processes agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .accounts import writer
from .connection import Store
from .engines import Con


@dataclass(frozen=True)
class RatingRow:
    rating_id: str
    run_id: str | None
    suite_hash: str | None
    item_id: str
    checkpoint_name: str | None
    candidate_text: str
    verdict: str | None
    cas_rating: int | None
    rater: str
    source: str
    created_at: datetime | None = None


@dataclass(frozen=True)
class CorrectionRow:
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


class AccountMissing(LookupError):
    """Raised inside a write when the named account does not exist (or lacks the role)."""

    def __init__(self, name: str, role: str, found_role: str | None, *, changed: bool = False) -> None:
        super().__init__(name)
        self.name, self.role, self.found_role = name, role, found_role
        #: the account exists but changed (password, role) since the session that writes began
        self.changed = changed


CORRECTION_COLUMNS = (
    "correction_id, run_id, suite_hash, item_id, prompt, disallowed, narrative, author, "
    "created_at, status, reviewed_by, reviewed_at, note"
)
_RATING = (
    "rating_id, run_id, suite_hash, item_id, checkpoint_name, candidate_text, verdict, cas_rating, rater, "
    "source, created_at"
)


def _check_account(con: Con, name: str, role: str, session_version: int | None = None) -> None:
    """Inside the write's transaction: the account exists, has the role, and (for a dashboard session) has not
    changed since the session began — a reset password, a new role or a removal ends the session's writes."""
    row = writer(con, name)
    if row is None:
        raise AccountMissing(name, role, None)
    if session_version is not None and row[1] != session_version:
        raise AccountMissing(name, role, row[0], changed=True)
    if role == "admin" and row[0] != "admin":
        raise AccountMissing(name, role, row[0])


# -- ratings and corrections -----------------------------------------------------------------------------


def save_review(
    store: Store,
    reviewer: str,
    *,
    rating: dict[str, Any] | None,
    correction: dict[str, Any] | None,
    criteria: Mapping[str, int] | None = None,
    recording: dict[str, Any] | None = None,
    session_version: int | None = None,
) -> datetime:
    """Write a rating (with its per-criterion grades) and/or a correction (with its spoken recording) of one
    answer in one transaction; returns the database's time.

    Raises AccountMissing (nothing written) if the reviewer's account is gone, or changed since the session
    `session_version` began. The commit happens before this returns: a returned time means every row is in
    the store.
    """
    from . import audio as audio_rows
    from . import voices as voice_rows

    with store.transaction() as con:
        _check_account(con, reviewer, "reviewer", session_version)
        if rating:
            con.insert("ratings", [{**rating, "rater": reviewer, "source": "dashboard"}])
            voice_rows.insert_criteria(con, rating["rating_id"], criteria or {})
        if correction:
            con.insert("corrections", [{**correction, "author": reviewer}])
            if recording is not None:
                audio_rows.insert(con, correction_id=correction["correction_id"], recorded_by=reviewer, **recording)
        saved = con.one("SELECT current_timestamp::TIMESTAMP")
    assert saved is not None
    return saved[0]


def import_ratings(store: Store, rows: Sequence[dict[str, Any]]) -> None:
    """Replace-or-insert ratings by id (an imported file read again replaces, never duplicates)."""
    if not rows:
        return
    with store.transaction() as con:
        con.execute("DELETE FROM ratings WHERE rating_id = ANY(?)", [[r["rating_id"] for r in rows]])
        con.insert("ratings", list(rows))


def cas_ratings(store: Store) -> list[tuple[str, str, int, str, str | None, str | None, str | None]]:
    """(item_id, candidate_text, cas_rating, rater, suite_hash, run_id, checkpoint_name) — the newest CAS rating
    per rater and answer."""
    return store.query(
        "SELECT item_id, candidate_text, cas_rating, rater, suite_hash, run_id, checkpoint_name FROM ("
        " SELECT item_id, candidate_text, cas_rating, rater, suite_hash, run_id, checkpoint_name, "
        " row_number() OVER (PARTITION BY coalesce(suite_hash, ''), item_id, candidate_text, rater"
        " ORDER BY created_at DESC, rating_id DESC) AS newest FROM ratings WHERE cas_rating IS NOT NULL"
        ") t WHERE newest = 1 ORDER BY item_id, rater"
    )


def list_ratings(store: Store) -> list[RatingRow]:
    return [RatingRow(*r) for r in store.query(f"SELECT {_RATING} FROM ratings ORDER BY created_at, rating_id")]


def list_corrections(store: Store, status: str | None = None, limit: int = 1000) -> list[CorrectionRow]:
    where = "WHERE status = ? " if status else ""
    params: list[Any] = ([status] if status else []) + [limit]
    return [
        CorrectionRow(*r)
        for r in store.query(
            f"SELECT {CORRECTION_COLUMNS} FROM corrections {where}ORDER BY created_at, correction_id LIMIT ?", params
        )
    ]


def correction_ids(store: Store) -> set[str]:
    return {r[0] for r in store.query("SELECT correction_id FROM corrections")}


def correction_counts(store: Store) -> dict[str, int]:
    return {s: int(n) for s, n in store.query("SELECT status, count(*) FROM corrections GROUP BY status")}


def accepted_with_items(store: Store) -> list[tuple[CorrectionRow, str | None, tuple[str, ...] | None, str | None]]:
    """Accepted corrections with the direction, tags and system prompt of the suite item each corrects."""
    columns = ", ".join("c." + c.strip() for c in CORRECTION_COLUMNS.split(","))
    rows = store.query(
        f"SELECT {columns}, si.direction, si.tags, si.system FROM corrections c LEFT JOIN suite_items si "
        "ON si.suite_hash = c.suite_hash AND si.item_id = c.item_id WHERE c.status = 'accepted' "
        "ORDER BY c.created_at, c.correction_id"
    )
    return [(CorrectionRow(*r[:13]), r[13], tuple(r[14]) if r[14] is not None else None, r[15]) for r in rows]


def set_correction_status(
    store: Store,
    admin: str,
    correction_id: str,
    status: str,
    note: str | None,
    *,
    session_version: int | None = None,
) -> bool:
    """An admin accepts, rejects or returns a correction to pending; False when there is no such correction.

    Raises AccountMissing (nothing written) unless `admin` is an admin account (unchanged since the session
    `session_version` began)."""
    with store.transaction() as con:
        _check_account(con, admin, "admin", session_version)
        if status == "pending":
            row = con.one(
                "UPDATE corrections SET status = 'pending', reviewed_by = NULL, reviewed_at = NULL, "
                "note = ? WHERE correction_id = ? RETURNING correction_id",
                [note, correction_id],
            )
        else:
            row = con.one(
                "UPDATE corrections SET status = ?, reviewed_by = ?, reviewed_at = current_timestamp, "
                "note = ? WHERE correction_id = ? RETURNING correction_id",
                [status, admin, note, correction_id],
            )
    return row is not None


def now(store: Store) -> datetime:
    """The database's clock (UTC)."""
    return store.query("SELECT current_timestamp::TIMESTAMP")[0][0]


# -- the review queue --------------------------------------------------------------------------------------


def review_target(store: Store, run_id: str, item_id: str) -> tuple[str, str, str, str, str, str] | None:
    """(run_id, suite_hash, item_id, checkpoint_name, prompt, answer) of an answered item of a run."""
    rows = store.query(
        "SELECT r.run_id, r.suite_hash, ri.item_id, r.checkpoint_name, si.prompt, g.text FROM runs r "
        "JOIN run_items ri ON ri.run_id = r.run_id AND ri.item_id = ? "
        "JOIN generations g ON g.cache_key = ri.cache_key "
        "JOIN suite_items si ON si.suite_hash = r.suite_hash AND si.item_id = ri.item_id "
        "WHERE r.run_id = ? AND ri.status = 'ok'",
        [item_id, run_id],
    )
    return rows[0] if rows else None


def review_queue(store: Store, run_id: str, reviewer: str, *, metric: str, limit: int, include_done: bool):
    """The run's answered items: unstable judge verdicts first, then unscored, then lowest `metric` scores;
    what this reviewer already rated or corrected goes last (or is left out). -> pandas.DataFrame"""
    sql = (
        "SELECT ri.item_id, si.direction, si.prompt, si.reference, g.text AS answer, s.score, s.status AS "
        "score_status, coalesce(ju.unstable, false) AS unstable, (rv.item_id IS NOT NULL) AS done "
        "FROM run_items ri JOIN runs r ON r.run_id = ri.run_id "
        "JOIN generations g ON g.cache_key = ri.cache_key "
        "JOIN suite_items si ON si.suite_hash = r.suite_hash AND si.item_id = ri.item_id "
        "LEFT JOIN judge_run_items ju ON ju.run_id = ri.run_id AND ju.item_id = ri.item_id "
        "LEFT JOIN item_scores s ON s.run_id = ri.run_id AND s.item_id = ri.item_id AND s.metric = ? "
        "LEFT JOIN (SELECT run_id, item_id FROM ratings WHERE rater = ? UNION "
        "SELECT run_id, item_id FROM corrections WHERE author = ?) rv "
        "ON rv.run_id = ri.run_id AND rv.item_id = ri.item_id "
        "WHERE ri.run_id = ? AND ri.status = 'ok' "
        + ("" if include_done else "AND rv.item_id IS NULL ")
        + "ORDER BY done, unstable DESC, (s.score IS NULL) DESC, s.score ASC, si.position LIMIT ?"
    )
    return store.frame(sql, [metric, reviewer, reviewer, run_id, limit])


def queue_counts(store: Store, run_id: str, reviewer: str) -> tuple[int, int, int]:
    """(answers, items without an answer, answers this reviewer has done) of a run."""
    row = store.query(
        "SELECT count(*) FILTER (WHERE ri.status = 'ok'), count(*) FILTER (WHERE ri.status <> 'ok'), "
        "count(DISTINCT rv.item_id) FILTER (WHERE ri.status = 'ok') FROM run_items ri "
        "LEFT JOIN (SELECT run_id, item_id FROM ratings WHERE rater = ? UNION "
        "SELECT run_id, item_id FROM corrections WHERE author = ?) rv "
        "ON rv.run_id = ri.run_id AND rv.item_id = ri.item_id WHERE ri.run_id = ?",
        [reviewer, reviewer, run_id],
    )[0]
    return int(row[0]), int(row[1]), int(row[2])


def reviewable_runs(store: Store):
    """Runs with at least one answer, newest first. -> pandas.DataFrame"""
    return store.frame(
        "SELECT r.run_id, r.checkpoint_name, r.suite_name, r.suite_version, r.suite_hash, r.started_at FROM runs r "
        "WHERE EXISTS (SELECT 1 FROM run_items ri WHERE ri.run_id = r.run_id AND ri.status = 'ok') "
        "ORDER BY r.started_at DESC, r.run_id"
    )


def my_reviews(store: Store, reviewer: str, run_id: str, item_id: str):
    """What this reviewer already said about this answer. -> pandas.DataFrame"""
    return store.frame(
        "SELECT 'rating' AS kind, created_at, verdict, cas_rating, CAST(NULL AS VARCHAR) AS narrative, "
        "CAST(NULL AS VARCHAR) AS status FROM ratings WHERE rater = ? AND run_id = ? AND item_id = ? UNION ALL "
        "SELECT 'correction', created_at, NULL, NULL, narrative, status FROM corrections "
        "WHERE author = ? AND run_id = ? AND item_id = ? ORDER BY created_at",
        [reviewer, run_id, item_id, reviewer, run_id, item_id],
    )
