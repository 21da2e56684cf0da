"""How the reviewing is going: answers each reviewer did this week, what is waiting, and for admins how big
and how old the queue is.

"This week" starts on Monday at midnight where the reader is (their browser's time zone), so a reviewer
in Alberta sees their own week, whatever the server's clock says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from ..store import Store
from ..store import voices as sql
from .voices import open_disagreements


@dataclass(frozen=True)
class Progress:
    week_start: datetime  # Monday 00:00 in the reader's zone, as UTC without a zone (as the store keeps times)
    mine: int  # answers this reviewer rated or corrected this week
    team: list[tuple[str, int]]  # (reviewer, answers this week), most first
    waiting: sql.Waiting  # answers still needing voices (all, and those this reviewer has not done)
    corrections_waiting: int
    oldest_correction: datetime | None
    disagreements: int  # answers reviewers disagreed on that no admin has settled yet


def week_start(now: datetime, zone: tzinfo | None) -> datetime:
    """Monday 00:00 of `now`'s week in `zone`, as a UTC time without zone."""
    local = now.astimezone(zone or UTC)
    monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return monday.astimezone(UTC).replace(tzinfo=None)


def progress(
    store: Store,
    reviewer: str | None,
    *,
    voices_needed: int,
    zone: tzinfo | None,
    now: datetime | None = None,
    spread: int = 2,
) -> Progress:
    start = week_start(now or datetime.now(UTC), zone)
    team = sql.answers_done_since(store, start)
    corrections, oldest = sql.pending_corrections(store)
    return Progress(
        week_start=start,
        mine=dict(team).get(reviewer or "", 0),
        team=team,
        waiting=sql.waiting(store, reviewer, voices_needed=voices_needed),
        corrections_waiting=corrections,
        oldest_correction=oldest,
        disagreements=len(open_disagreements(store, spread=spread)),
    )
