"""Table `run_claims`: one process at a time works on a given checkpoint × settings × suite version.

Two `evalharness run`s of the same work started together (on one machine or several) must not both generate
every item: the first takes the claim, the second waits and then reuses the finished run. A claim is held
with a lease that the holder renews; a claim whose process is gone (same host: the pid no longer exists) or
whose lease ran out (another host) is taken over by compare-and-set, so a killed run never blocks the next.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from .connection import Store

LEASE = timedelta(seconds=120)
RENEW_EVERY_S = 20.0


@dataclass(frozen=True)
class ClaimRow:
    checkpoint_identity: str
    settings_hash: str
    suite_hash: str
    run_id: str | None
    owner: str
    host: str
    pid: int
    claimed_at: datetime
    lease_until: datetime


_COLUMNS = "checkpoint_identity, settings_hash, suite_hash, run_id, owner, host, pid, claimed_at, lease_until"


def _alive(row: ClaimRow, now: datetime) -> bool:
    """Is the holder still working? Same host: its process exists. Elsewhere: its lease has not run out."""
    if row.host == socket.gethostname():
        try:
            os.kill(row.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
    return row.lease_until > now


def _try(store: Store, key: tuple[str, str, str], owner: str) -> ClaimRow | None:
    """Take the claim if it is free or stale; else return the live holder's row (None: taken)."""
    host, pid = socket.gethostname(), os.getpid()
    with store.transaction() as con:
        now = con.one("SELECT current_timestamp::TIMESTAMP")[0]  # type: ignore[index]
        row = con.one(
            f"SELECT {_COLUMNS} FROM run_claims WHERE checkpoint_identity = ? AND settings_hash = ? AND suite_hash = ?",
            list(key),
        )
        if row is None:
            got = con.one(
                "INSERT INTO run_claims (checkpoint_identity, settings_hash, suite_hash, owner, host, pid, "
                "lease_until) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING owner",
                [*key, owner, host, pid, now + LEASE],
            )
            return None if got else _BUSY
        holder = ClaimRow(*row)
        if holder.owner == owner or not _alive(holder, now):
            got = con.one(
                "UPDATE run_claims SET owner = ?, host = ?, pid = ?, claimed_at = ?, lease_until = ? "
                "WHERE checkpoint_identity = ? AND settings_hash = ? AND suite_hash = ? AND owner = ? "
                "RETURNING owner",
                [owner, host, pid, now, now + LEASE, *key, holder.owner],
            )
            return None if got else _BUSY
        return holder


#: Another process took the claim a moment before us: wait and look again.
_BUSY = ClaimRow("", "", "", None, "another process", "?", 0, datetime.min, datetime.max)


def set_run(store: Store, key: tuple[str, str, str], owner: str, run_id: str) -> None:
    with store.transaction() as con:
        con.execute(
            "UPDATE run_claims SET run_id = ? WHERE checkpoint_identity = ? AND settings_hash = ? AND "
            "suite_hash = ? AND owner = ?",
            [run_id, *key, owner],
        )


def _renew(store: Store, key: tuple[str, str, str], owner: str) -> None:
    with store.transaction() as con:
        now = con.one("SELECT current_timestamp::TIMESTAMP")[0]  # type: ignore[index]
        con.execute(
            "UPDATE run_claims SET lease_until = ? WHERE checkpoint_identity = ? AND settings_hash = ? AND "
            "suite_hash = ? AND owner = ?",
            [now + LEASE, *key, owner],
        )


def _release(store: Store, key: tuple[str, str, str], owner: str) -> None:
    with store.transaction() as con:
        con.execute(
            "DELETE FROM run_claims WHERE checkpoint_identity = ? AND settings_hash = ? AND suite_hash = ? "
            "AND owner = ?",
            [*key, owner],
        )


def live_claims(store: Store) -> list[ClaimRow]:
    """Claims whose holder is still working (for `store check`: their runs are not abandoned)."""
    with store.connect() as con:
        now = con.one("SELECT current_timestamp::TIMESTAMP")[0]  # type: ignore[index]
        rows = [ClaimRow(*r) for r in con.rows(f"SELECT {_COLUMNS} FROM run_claims")]
    return [r for r in rows if _alive(r, now)]


@contextmanager
def claim(
    store: Store, key: tuple[str, str, str], *, on_wait: Callable[[ClaimRow], None] | None = None, poll_s: float = 0.2
) -> Iterator[str]:
    """Hold the claim on `key` for the duration of the block (waiting for a live holder first); yields the owner
    token. The lease is renewed in the background and the claim released at the end, also on errors."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    told = False
    delay = poll_s
    while True:
        holder = _try(store, key, owner)
        if holder is None:
            break
        if on_wait is not None and not told:
            on_wait(holder)
            told = True
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(RENEW_EVERY_S):
            try:
                _renew(store, key, owner)
            except Exception:  # a missed renewal only shortens the lease; the run itself goes on
                pass

    thread = threading.Thread(target=renew, name="evalharness-claim", daemon=True)
    thread.start()
    try:
        yield owner
    finally:
        stop.set()
        thread.join()
        _release(store, key, owner)
