"""Live answers: a conversation log of the deployed app → items in the reviewers' queue; their ratings →
a live quality series beside the canaries.

The whole file is read and validated first (`importlog.read_log`); only then is anything written, in one
transaction. Re-importing the same file imports nothing new (every answer is already there).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..config import Config
from ..store import Store
from ..store import live_answers as live_db
from .check import utcnow
from .importlog import plan_import, read_log
from .settings import MonitorConfig


@dataclass(frozen=True)
class ImportResult:
    import_id: str
    monitor: str
    file: str
    read: int
    imported: int
    left_out: dict[str, int]
    summary: str


def import_log(
    config: Config, store: Store, monitor: MonitorConfig, path: str | Path, *, now: datetime | None = None
) -> ImportResult:
    path = Path(path)
    records = read_log(path)  # raises naming file, line and field; nothing written yet
    assert monitor.name is not None
    live = monitor.live
    plan = plan_import(
        records,
        already=live_db.live_hashes(store, monitor.name),
        review_without_consent=live.review_without_consent,
        per_day=live.per_day,
        max_items=live.max_items,
        seed=live.seed,
    )
    import_id = "live-" + uuid.uuid4().hex[:12]
    endpoint = Path(monitor.endpoint).stem
    items = [
        live_db.LiveItemRow(
            live_id=f"{import_id}-{i:05d}",
            monitor=monitor.name,
            endpoint_name=endpoint,
            content_hash=r.content_hash,
            day=r.day.isoformat() if r.day else None,
            logged_at=r.logged_at,
            question=r.question,
            answer=r.answer,
            consent=r.consent,
            import_id=import_id,
            source_line=r.line,
        )
        for i, r in enumerate(plan.selected)
    ]
    live_db.record_live_import(
        store,
        import_id=import_id,
        monitor=monitor.name,
        source_file=str(path),
        file_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        imported_at=now or utcnow(),
        n_read=plan.read,
        left_out=plan.left_out,
        items=items,
    )
    return ImportResult(import_id, monitor.name, str(path), plan.read, len(items), plan.left_out, plan.summary())


def queue(
    store: Store, reviewer: str, *, monitor: str | None = None, limit: int = 50, include_done: bool = False
) -> tuple[list[tuple[live_db.LiveItemRow, bool]], dict[str, int]]:
    """The live answers waiting for this reviewer (not yet reviewed first), and how many they have done."""
    if not store.exists():
        return [], {"answers": 0, "done": 0}
    return (
        live_db.live_queue(store, reviewer, monitor=monitor, limit=limit, include_done=include_done),
        live_db.live_counts(store, reviewer, monitor),
    )


def save_review(
    store: Store,
    reviewer: str,
    live_id: str,
    *,
    verdict: str | None = None,
    cas_rating: int | None = None,
    narrative: str | None = None,
    session_version: int | None = None,
) -> datetime:
    """Save a reviewer's rating and/or correction of a live answer (a rating needs a verdict or a 1–5 score).

    With `session_version` (the dashboard passes its session's), an account changed or removed since sign-in
    is refused with PermissionDenied and nothing is written."""
    from ..community.reviews import VERDICTS, _denied
    from ..errors import InputError
    from ..jsonl import nfc
    from ..store.reviews import AccountMissing

    if verdict is not None and verdict not in VERDICTS:
        raise InputError(f"verdict must be one of {VERDICTS}", field="verdict")
    if cas_rating is not None and not (isinstance(cas_rating, int) and 1 <= cas_rating <= 5):
        raise InputError("cultural authenticity must be a whole number from 1 to 5", field="cas_rating")
    text = nfc(narrative).strip() if narrative else None
    if verdict is None and cas_rating is None and not text:
        raise InputError("nothing to save: mark the answer, rate it, or write a correction")
    item = live_db.live_item(store, live_id)
    if item is None:
        raise InputError(f"no live answer '{live_id}'", field="live_id")
    try:
        saved = live_db.save_live_review(
            store,
            reviewer,
            item,
            verdict=verdict,
            cas_rating=cas_rating,
            narrative=text,
            session_version=session_version,
        )
    except AccountMissing as exc:
        raise _denied(exc) from None
    return saved[2]
