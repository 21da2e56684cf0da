"""Several voices per answer: ratings' criteria grades, settlements, the review queue by voices, and progress.

Tables `ratings` (read), `rating_criteria` and `rating_settlements` (migration 0070). An *answer* is the
exact text a model gave to one item of one suite version: the same text in two runs is one answer, and its
ratings count together. SQL here keeps to the subset both store engines run (see docs/store.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import Store


@dataclass(frozen=True)
class Voice:
    """One reviewer's newest rating of one answer (earlier ratings by the same person are superseded)."""

    rating_id: str
    suite_hash: str | None
    item_id: str
    candidate_text: str
    rater: str
    verdict: str | None
    cas_rating: int | None
    note: str | None
    created_at: datetime | None
    run_id: str | None
    checkpoint_name: str | None
    prompt: str | None  # the item's question (None for answers outside any suite, e.g. live answers)
    criteria: Mapping[str, int]


@dataclass(frozen=True)
class Settlement:
    settlement_id: str
    suite_hash: str | None
    item_id: str
    candidate_sha256: str
    candidate_text: str
    verdict: str | None
    cas_rating: int | None
    note: str | None
    settled_by: str
    created_at: datetime


@dataclass(frozen=True)
class QueueRow:
    """One answer of a run as the review queue offers it."""

    item_id: str
    position: int
    direction: str
    prompt: str
    reference: str
    disallowed: str | None
    narrative: str | None
    answer: str
    score: float | None
    score_status: str | None
    unstable: bool
    done: bool  # this reviewer already rated or corrected this answer (in any run)
    voices: int  # how many people have rated this answer


@dataclass(frozen=True)
class QueueCounts:
    answers: int  # answers the run has (items with an answer)
    no_answer: int  # items the model gave no answer to
    done: int  # answers this reviewer rated or corrected
    waiting: int  # answers this reviewer has not done that still need voices
    complete: int  # answers that have all the voices they need


def insert_criteria(con: Any, rating_id: str, grades: Mapping[str, int]) -> None:
    """Inside the rating's own transaction: one row per rubric criterion graded."""
    for criterion, grade in sorted(grades.items()):
        con.execute(
            "INSERT INTO rating_criteria (rating_id, criterion, grade) VALUES (?, ?, ?)", [rating_id, criterion, grade]
        )


_NEWEST_VOICES = (
    "SELECT t.rating_id, t.suite_hash, t.item_id, t.candidate_text, t.rater, t.verdict, t.cas_rating, t.note, "
    "t.created_at, t.run_id, t.checkpoint_name, si.prompt FROM (SELECT ra.rating_id, ra.suite_hash, ra.item_id, "
    "ra.candidate_text, ra.rater, ra.verdict, ra.cas_rating, ra.note, ra.created_at, ra.run_id, ra.checkpoint_name, "
    "row_number() OVER (PARTITION BY coalesce(ra.suite_hash, ''), ra.item_id, ra.candidate_text, ra.rater "
    "ORDER BY ra.created_at DESC, ra.rating_id DESC) AS newest FROM ratings ra "
    "WHERE ra.verdict IS NOT NULL OR ra.cas_rating IS NOT NULL) t "
    "LEFT JOIN suite_items si ON si.suite_hash = t.suite_hash AND si.item_id = t.item_id WHERE t.newest = 1"
)


def voices(store: Store, *, item_id: str | None = None, suite_hash: str | None = None) -> list[Voice]:
    """Every reviewer's newest rating of every answer (optionally of one item), with its criteria grades."""
    where, params = "", []
    if item_id is not None:
        where = " AND t.item_id = ? AND coalesce(t.suite_hash, '') = ?"
        params = [item_id, suite_hash or ""]
    with store.connect() as con:
        rows = con.execute(_NEWEST_VOICES + where + " ORDER BY t.item_id, t.created_at, t.rating_id", params).fetchall()
        ids = [r[0] for r in rows]
        grades: dict[str, dict[str, int]] = {}
        if ids:
            for rating_id, criterion, grade in con.execute(
                "SELECT rating_id, criterion, grade FROM rating_criteria WHERE rating_id = ANY(?)", [ids]
            ).fetchall():
                grades.setdefault(rating_id, {})[criterion] = int(grade)
    return [
        Voice(
            rating_id=r[0],
            suite_hash=r[1],
            item_id=r[2],
            candidate_text=r[3],
            rater=r[4],
            verdict=r[5],
            cas_rating=int(r[6]) if r[6] is not None else None,
            note=r[7],
            created_at=r[8],
            run_id=r[9],
            checkpoint_name=r[10],
            prompt=r[11],
            criteria=grades.get(r[0], {}),
        )
        for r in rows
    ]


def insert_settlement(
    con: Any,
    *,
    settlement_id: str,
    suite_hash: str | None,
    item_id: str,
    candidate_sha256: str,
    candidate_text: str,
    verdict: str | None,
    cas_rating: int | None,
    note: str | None,
    settled_by: str,
) -> None:
    con.execute(
        "INSERT INTO rating_settlements (settlement_id, suite_hash, item_id, candidate_sha256, candidate_text, "
        "verdict, cas_rating, note, settled_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [settlement_id, suite_hash, item_id, candidate_sha256, candidate_text, verdict, cas_rating, note, settled_by],
    )


def settle(store: Store, admin: str, *, session_version: int | None = None, **settlement: Any) -> None:
    """`insert_settlement` in one transaction after checking that `admin` is (still) an admin; raises
    `reviews.AccountMissing` (nothing written) otherwise."""
    from .reviews import _check_account

    with store.transaction() as con:
        _check_account(con, admin, "admin", session_version)
        insert_settlement(con, settled_by=admin, **settlement)


def settlements(store: Store) -> list[Settlement]:
    """Every answer's newest settlement."""
    rows = store.query(
        "SELECT settlement_id, suite_hash, item_id, candidate_sha256, candidate_text, verdict, cas_rating, note, "
        "settled_by, created_at FROM (SELECT s.*, row_number() OVER (PARTITION BY coalesce(s.suite_hash, ''), "
        "s.item_id, s.candidate_sha256 ORDER BY s.created_at DESC, s.settlement_id DESC) AS newest "
        "FROM rating_settlements s) t WHERE newest = 1 ORDER BY created_at, settlement_id"
    )
    return [Settlement(*r) for r in rows]


# -- the review queue ------------------------------------------------------------------------------------

#: people who rated the answer (suite, item, exact text) of this run item
_VOICES = (
    "(SELECT count(DISTINCT ra.rater) FROM ratings ra WHERE ra.item_id = ri.item_id AND ra.suite_hash = r.suite_hash "
    "AND ra.candidate_text = g.text AND (ra.verdict IS NOT NULL OR ra.cas_rating IS NOT NULL))"
)
#: this reviewer rated or corrected this answer (in this run or any other)
_DONE = (
    "(EXISTS (SELECT 1 FROM ratings me WHERE me.rater = ? AND me.item_id = ri.item_id AND me.suite_hash = r.suite_hash "
    "AND me.candidate_text = g.text) OR EXISTS (SELECT 1 FROM corrections mc WHERE mc.author = ? "
    "AND mc.item_id = ri.item_id AND mc.suite_hash = r.suite_hash AND mc.disallowed = g.text))"
)


def queue(
    store: Store,
    run_id: str,
    reviewer: str,
    *,
    metric: str,
    voices_needed: int,
    limit: int,
    include_done: bool = False,
) -> list[QueueRow]:
    """A run's answers for one reviewer: those they have not done and that still need voices.

    Order: answers the judge was unsure of; then answers someone has already rated (so that answers
    reach their voices and agreement can be measured); then answers no score was measured for; then the
    lowest `metric` scores. With `include_done`, answers this reviewer did follow at the end.
    """
    sql = (
        "SELECT * FROM (SELECT ri.item_id, si.position, si.direction, si.prompt, si.reference, si.disallowed, "
        "si.narrative, g.text AS answer, s.score, s.status AS score_status, coalesce(ju.unstable, false) AS unstable, "
        f"{_DONE} AS done, {_VOICES} AS voices "
        "FROM run_items ri JOIN runs r ON r.run_id = ri.run_id "
        "JOIN generations g ON g.cache_key = ri.cache_key "
        "JOIN suite_items si ON si.suite_hash = r.suite_hash AND si.item_id = ri.item_id "
        "LEFT JOIN judge_run_items ju ON ju.run_id = ri.run_id AND ju.item_id = ri.item_id "
        "LEFT JOIN item_scores s ON s.run_id = ri.run_id AND s.item_id = ri.item_id AND s.metric = ? "
        "WHERE ri.run_id = ? AND ri.status = 'ok') q "
        "WHERE (NOT done AND voices < ?)" + (" OR done" if include_done else "") + " "
        "ORDER BY done, unstable DESC, (voices > 0) DESC, (score IS NULL) DESC, score, position LIMIT ?"
    )
    rows = store.query(sql, [reviewer, reviewer, metric, run_id, voices_needed, limit])
    return [
        QueueRow(
            item_id=r[0],
            position=int(r[1]),
            direction=r[2],
            prompt=r[3],
            reference=r[4],
            disallowed=r[5],
            narrative=r[6],
            answer=r[7],
            score=float(r[8]) if r[8] is not None else None,
            score_status=r[9],
            unstable=bool(r[10]),
            done=bool(r[11]),
            voices=int(r[12]),
        )
        for r in rows
    ]


def queue_counts(store: Store, run_id: str, reviewer: str, *, voices_needed: int) -> QueueCounts:
    row = store.query(
        "SELECT count(*) FILTER (WHERE status = 'ok'), count(*) FILTER (WHERE status <> 'ok'), "
        "count(*) FILTER (WHERE status = 'ok' AND done), "
        "count(*) FILTER (WHERE status = 'ok' AND NOT done AND voices < ?), "
        "count(*) FILTER (WHERE status = 'ok' AND voices >= ?) FROM ("
        f"SELECT ri.status, coalesce({_DONE}, false) AS done, coalesce({_VOICES}, 0) AS voices "
        "FROM run_items ri JOIN runs r ON r.run_id = ri.run_id LEFT JOIN generations g ON g.cache_key = ri.cache_key "
        "WHERE ri.run_id = ?) q",
        [voices_needed, voices_needed, reviewer, reviewer, run_id],
    )[0]
    return QueueCounts(*(int(v or 0) for v in row))


# -- progress --------------------------------------------------------------------------------------------

#: every answer a person rated or corrected, with when
_CONTRIBUTIONS = (
    "SELECT rater AS person, coalesce(suite_hash, '') AS suite_hash, item_id, candidate_text AS answer, created_at "
    "FROM ratings WHERE source = 'dashboard' UNION ALL "
    "SELECT author, coalesce(suite_hash, ''), item_id, disallowed, created_at FROM corrections"
)


def answers_done_since(store: Store, since: datetime) -> list[tuple[str, int]]:
    """(person, answers they rated or corrected since `since`), most first."""
    rows = store.query(
        "SELECT person, count(*) FROM (SELECT DISTINCT person, suite_hash, item_id, answer FROM ("
        + _CONTRIBUTIONS
        + ") c WHERE created_at >= ?) d GROUP BY person ORDER BY count(*) DESC, person",
        [since],
    )
    return [(str(p), int(n)) for p, n in rows]


@dataclass(frozen=True)
class Waiting:
    answers: int  # answers (across every run) that still need voices
    oldest: datetime | None  # when the oldest of them first appeared (its earliest run's start)
    for_reviewer: int  # of those, the ones this reviewer has not done


def waiting(store: Store, reviewer: str | None, *, voices_needed: int) -> Waiting:
    """Answers that still need voices, over every run with answers; the same answer in two runs counts once."""
    row = store.query(
        "SELECT count(*), min(first_seen), count(*) FILTER (WHERE NOT done) FROM ("
        "SELECT suite_hash, item_id, answer, min(started_at) AS first_seen, max(voices) AS voices, "
        "bool_or(done) AS done FROM ("
        f"SELECT r.suite_hash, ri.item_id, g.text AS answer, r.started_at, {_VOICES} AS voices, {_DONE} AS done "
        "FROM run_items ri JOIN runs r ON r.run_id = ri.run_id JOIN generations g ON g.cache_key = ri.cache_key "
        "WHERE ri.status = 'ok') x GROUP BY suite_hash, item_id, answer) a WHERE voices < ?",
        [reviewer or "", reviewer or "", voices_needed],
    )[0]
    return Waiting(int(row[0] or 0), row[1], int(row[2] or 0))


def pending_corrections(store: Store) -> tuple[int, datetime | None]:
    """Corrections waiting for an admin's decision, and when the oldest was written."""
    row = store.query("SELECT count(*), min(created_at) FROM corrections WHERE status = 'pending'")[0]
    return int(row[0] or 0), row[1]


__all__: Sequence[str] = (
    "Voice",
    "Settlement",
    "QueueRow",
    "QueueCounts",
    "Waiting",
    "insert_criteria",
    "voices",
    "insert_settlement",
    "settlements",
    "queue",
    "queue_counts",
    "answers_done_since",
    "waiting",
    "pending_corrections",
)
