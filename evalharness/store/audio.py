"""Spoken corrections: table `correction_audio` (migration 0071) and the transcript columns of `corrections`.

The recording lives in the store with its correction, so a copy or backup of the store carries it and
nothing else on the machine holds it. Rows are read without their bytes unless the bytes are asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import Store


@dataclass(frozen=True)
class AudioInfo:
    correction_id: str
    audio_sha256: str
    mime: str
    n_bytes: int
    seconds: float | None
    recorded_by: str
    item_id: str
    created_at: datetime


_INFO = "correction_id, audio_sha256, mime, n_bytes, seconds, recorded_by, item_id, created_at"


def insert(
    con: Any,
    *,
    correction_id: str,
    audio_sha256: str,
    mime: str,
    data: bytes,
    seconds: float | None,
    recorded_by: str,
    item_id: str,
) -> None:
    """Inside the correction's own transaction: the recording lands with it or not at all."""
    con.execute(
        "INSERT INTO correction_audio (correction_id, audio_sha256, mime, n_bytes, seconds, data, recorded_by, "
        "item_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [correction_id, audio_sha256, mime, len(data), seconds, data, recorded_by, item_id],
    )


def _info(row: Sequence[Any]) -> AudioInfo:
    return AudioInfo(
        correction_id=row[0],
        audio_sha256=row[1],
        mime=row[2],
        n_bytes=int(row[3]),
        seconds=float(row[4]) if row[4] is not None else None,
        recorded_by=row[5],
        item_id=row[6],
        created_at=row[7],
    )


def infos(store: Store, correction_ids: Sequence[str]) -> dict[str, AudioInfo]:
    """Which of these corrections have a recording (without the bytes)."""
    if not correction_ids:
        return {}
    rows = store.query(f"SELECT {_INFO} FROM correction_audio WHERE correction_id = ANY(?)", [list(correction_ids)])
    return {r[0]: _info(r) for r in rows}


def data(store: Store, correction_id: str) -> tuple[AudioInfo, bytes] | None:
    """A correction's recording with its bytes."""
    rows = store.query(f"SELECT {_INFO}, data FROM correction_audio WHERE correction_id = ?", [correction_id])
    if not rows:
        return None
    return _info(rows[0][:8]), bytes(rows[0][8])


def transcribe(con: Any, correction_id: str, text: str, admin: str) -> bool:
    """The narrative becomes the transcript; the reviewer's own written words are kept (the first time)."""
    found = con.execute("SELECT 1 FROM corrections WHERE correction_id = ?", [correction_id]).fetchall()
    if not found:
        return False
    con.execute(
        "UPDATE corrections SET written_narrative = coalesce(written_narrative, narrative), narrative = ?, "
        "transcribed_by = ?, transcribed_at = current_timestamp::TIMESTAMP WHERE correction_id = ?",
        [text, admin, correction_id],
    )
    return True


def narrative(con: Any, correction_id: str) -> str | None:
    row = con.execute("SELECT narrative FROM corrections WHERE correction_id = ?", [correction_id]).fetchall()
    return row[0][0] if row else None


def transcripts(store: Store, correction_ids: Sequence[str]) -> dict[str, tuple[str | None, str | None, Any]]:
    """correction id → (the reviewer's written words before transcription, transcribed by, when)."""
    if not correction_ids:
        return {}
    rows = store.query(
        "SELECT correction_id, written_narrative, transcribed_by, transcribed_at FROM corrections "
        "WHERE correction_id = ANY(?) AND transcribed_by IS NOT NULL",
        [list(correction_ids)],
    )
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def narrative_of(store: Store, correction_id: str) -> str | None:
    """The correction's narrative ("" for a spoken correction nobody has written down yet); None if no such."""
    rows = store.query("SELECT narrative FROM corrections WHERE correction_id = ?", [correction_id])
    return rows[0][0] if rows else None


def transcribe_checked(
    store: Store, correction_id: str, text: str, admin: str, *, session_version: int | None = None
) -> bool:
    """`transcribe` in one transaction after checking that `admin` is (still) an admin; False if no such
    correction. Raises `reviews.AccountMissing` (nothing written) otherwise."""
    from .reviews import _check_account

    with store.transaction() as con:
        _check_account(con, admin, "admin", session_version)
        return transcribe(con, correction_id, text, admin)
