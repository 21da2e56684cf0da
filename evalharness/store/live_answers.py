"""SQL of live answers: items imported from the deployed app's conversation logs, the reviewers' ratings of
them (`ratings.source = 'live'`), and the live quality series per day."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime

from . import Store
from .monitor import _columns


@dataclass(frozen=True)
class LiveItemRow:
    live_id: str
    monitor: str
    endpoint_name: str
    content_hash: str
    day: str | None
    logged_at: datetime | None
    question: str
    answer: str
    consent: bool
    import_id: str
    source_line: int


def live_hashes(store: Store, monitor: str) -> set[str]:
    return {h for (h,) in store.query("SELECT content_hash FROM monitor_live_items WHERE monitor = ?", [monitor])}


def record_live_import(
    store: Store,
    *,
    import_id: str,
    monitor: str,
    source_file: str,
    file_sha256: str,
    imported_at: datetime,
    n_read: int,
    left_out: dict[str, int],
    items: Sequence[LiveItemRow],
) -> None:
    with store.transaction() as con:
        con.execute(
            "INSERT INTO monitor_live_imports (import_id, monitor, source_file, file_sha256, imported_at, "
            "n_read, n_imported, left_out_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                import_id,
                monitor,
                source_file,
                file_sha256,
                imported_at,
                n_read,
                len(items),
                json.dumps(left_out, sort_keys=True),
            ],
        )
        if items:
            con.executemany(
                f"INSERT INTO monitor_live_items ({_columns(LiveItemRow)}) VALUES ({', '.join('?' * 11)})",
                [list(asdict(i).values()) for i in items],
            )


def live_item(store: Store, live_id: str) -> LiveItemRow | None:
    rows = store.query(f"SELECT {_columns(LiveItemRow)} FROM monitor_live_items WHERE live_id = ?", [live_id])
    return LiveItemRow(*rows[0]) if rows else None


def live_queue(
    store: Store, reviewer: str, *, monitor: str | None = None, limit: int = 50, include_done: bool = False
) -> list[tuple[LiveItemRow, bool]]:
    """Live answers for one reviewer: not yet reviewed by them first, then newest day first."""
    # the optional filter is built here, not as `? IS NULL OR …`: PostgreSQL cannot type a parameter it only
    # compares with NULL
    where = ["li.monitor = ?"] if monitor is not None else ["TRUE"]
    if not include_done:
        where.append("rv.item_id IS NULL")
    rows = store.query(
        f"SELECT {', '.join('li.' + f.name for f in fields(LiveItemRow))}, (rv.item_id IS NOT NULL) AS done "
        "FROM monitor_live_items li LEFT JOIN (SELECT DISTINCT item_id FROM ratings WHERE rater = ? "
        "AND source = 'live' UNION SELECT DISTINCT item_id FROM corrections WHERE author = ? AND run_id IS NULL) rv "
        f"ON rv.item_id = li.live_id WHERE {' AND '.join(where)} "
        "ORDER BY done, li.day DESC NULLS LAST, li.logged_at, li.live_id LIMIT ?",
        [reviewer, reviewer, *([monitor] if monitor is not None else []), limit],
    )
    return [(LiveItemRow(*r[:-1]), bool(r[-1])) for r in rows]


def live_counts(store: Store, reviewer: str, monitor: str | None = None) -> dict[str, int]:
    row = store.query(
        "SELECT count(*), count(rv.item_id) FROM monitor_live_items li LEFT JOIN (SELECT DISTINCT item_id FROM ratings "
        "WHERE rater = ? AND source = 'live') rv ON rv.item_id = li.live_id"
        + (" WHERE li.monitor = ?" if monitor is not None else ""),
        [reviewer, *([monitor] if monitor is not None else [])],
    )[0]
    return {"answers": int(row[0]), "done": int(row[1])}


def save_live_review(
    store: Store,
    reviewer: str,
    item: LiveItemRow,
    *,
    verdict: str | None,
    cas_rating: int | None,
    narrative: str | None,
    session_version: int | None = None,
) -> tuple[str | None, str | None, datetime]:
    """A reviewer's rating (source 'live') and/or correction of a live answer, in one transaction.

    The account is checked inside the write's transaction, like every other review save: with
    `session_version` (the dashboard's session), a password reset, a new role or a removal since sign-in ends
    the session's writes (`reviews.AccountMissing`, nothing written)."""
    from .reviews import _check_account

    rating_id = ("rat-" + uuid.uuid4().hex[:16]) if (verdict is not None or cas_rating is not None) else None
    correction_id = ("cor-" + uuid.uuid4().hex[:16]) if narrative else None
    with store.transaction() as con:
        _check_account(con, reviewer, "reviewer", session_version)
        if rating_id:
            con.execute(
                "INSERT INTO ratings (rating_id, run_id, suite_hash, item_id, checkpoint_name, candidate_text, "
                "verdict, cas_rating, rater, source) VALUES (?, NULL, NULL, ?, ?, ?, ?, ?, ?, 'live')",
                [rating_id, item.live_id, item.endpoint_name, item.answer, verdict, cas_rating, reviewer],
            )
        if correction_id:
            con.execute(
                "INSERT INTO corrections (correction_id, run_id, suite_hash, item_id, prompt, disallowed, "
                "narrative, author) VALUES (?, NULL, NULL, ?, ?, ?, ?, ?)",
                [correction_id, item.live_id, item.question, item.answer, narrative, reviewer],
            )
        found = con.execute("SELECT current_timestamp::TIMESTAMP").fetchone()
        saved_at = found[0] if found else datetime.now()
    return rating_id, correction_id, saved_at


@dataclass(frozen=True)
class LiveQuality:
    """One day of live answers: how many there are, how many reviewers rated, and what they said."""

    day: str | None
    answers: int
    rated: int
    right: int
    wrong: int
    mean_cas: float | None  # reviewers' cultural-authenticity ratings, 1–5


def live_quality(store: Store, monitor: str) -> list[LiveQuality]:
    rows = store.query(
        "SELECT li.day, count(DISTINCT li.live_id), count(DISTINCT r.item_id), "
        "count(r.rating_id) FILTER (WHERE r.verdict = 'right'), count(r.rating_id) FILTER (WHERE r.verdict = 'wrong'), "
        "avg(r.cas_rating) FROM monitor_live_items li LEFT JOIN ratings r ON r.item_id = li.live_id AND "
        "r.source = 'live' WHERE li.monitor = ? GROUP BY li.day ORDER BY li.day NULLS FIRST",
        [monitor],
    )
    return [
        LiveQuality(d, int(a), int(n), int(ok), int(bad), None if m is None else float(m))
        for d, a, n, ok, bad, m in rows
    ]
