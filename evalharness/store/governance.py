"""SQL for suites' governance: the store's copy of each suite's allowed uses, where its suite.toml lives, and
the log of changes the harness itself made to allowed uses.

The suite.toml on disk is the truth (the community edits it); the store keeps a copy so that pages and
reports can show it, and refreshes that copy every time the suite is loaded. Governance belongs to a suite,
not to one version of it: a refresh updates every stored version of the same suite (same name, same folder).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .connection import Store
from .engines import Con


@dataclass(frozen=True)
class SuiteRow:
    suite_hash: str
    name: str
    version: str
    kind: str
    meta: dict[str, Any]
    n_items: int
    suite_dir: str | None
    governance_read_at: Any


_COLUMNS = "suite_hash, name, version, kind, meta_json, n_items, suite_dir, governance_read_at"


def _row(row: tuple) -> SuiteRow:
    suite_hash, name, version, kind, meta_json, n_items, suite_dir, read_at = row
    return SuiteRow(suite_hash, name, version, kind, json.loads(meta_json), int(n_items), suite_dir, read_at)


def refresh_governance(con: Con, *, name: str, suite_dir: str | None, governance: dict[str, Any]) -> int:
    """Write `governance` into every stored version of the suite `name` kept in `suite_dir` (or whose folder is
    not known yet). Returns how many rows changed. Runs inside the caller's transaction."""
    rows = con.rows(
        "SELECT suite_hash, meta_json, suite_dir FROM suites WHERE name = ? "
        "AND (suite_dir IS NULL OR suite_dir = ? OR ?::VARCHAR IS NULL) ORDER BY suite_hash",
        [name, suite_dir, suite_dir],
    )
    changed = 0
    for suite_hash, meta_json, old_dir in rows:
        meta = json.loads(meta_json)
        if meta.get("governance") != governance or (suite_dir and old_dir != suite_dir):
            meta["governance"] = governance
            changed += 1
        con.execute(
            "UPDATE suites SET meta_json = ?, suite_dir = coalesce(?, suite_dir), "
            "governance_read_at = current_timestamp WHERE suite_hash = ?",
            [json.dumps(meta, ensure_ascii=False), suite_dir, suite_hash],
        )
    return changed


def suite_rows(store: Store, hashes: Iterable[str] | None = None) -> list[SuiteRow]:
    """Stored suite versions (all, newest first within a name, or the given hashes)."""
    if hashes is None:
        return [_row(r) for r in store.query(f"SELECT {_COLUMNS} FROM suites ORDER BY name, first_seen DESC")]
    wanted = [h for h in hashes if h]
    if not wanted:
        return []
    return [
        _row(r) for r in store.query(f"SELECT {_COLUMNS} FROM suites WHERE suite_hash = ANY(?) ORDER BY name", [wanted])
    ]


def update_governance(store: Store, *, name: str, suite_dir: str | None, governance: dict[str, Any]) -> int:
    with store.transaction() as con:
        return refresh_governance(con, name=name, suite_dir=suite_dir, governance=governance)


def log_change(
    store: Store,
    *,
    suite_name: str,
    suite_dir: str | None,
    action: str,
    actor: str,
    before: Sequence[str] | None,
    after: Sequence[str],
    detail: str = "",
) -> str:
    """One row of `governance_log`; returns its id."""
    event_id = "gov-" + uuid.uuid4().hex[:16]
    with store.transaction() as con:
        con.execute(
            "INSERT INTO governance_log (event_id, suite_name, suite_dir, action, actor, before_uses, "
            "after_uses, detail) VALUES (?,?,?,?,?,?,?,?)",
            [
                event_id,
                suite_name,
                suite_dir,
                action,
                actor,
                list(before) if before is not None else None,
                list(after),
                detail,
            ],
        )
    return event_id


def changes(store: Store, suite_name: str | None = None) -> list[dict[str, Any]]:
    """The governance log, oldest first (optionally for one suite)."""
    where, params = ("WHERE suite_name = ?", [suite_name]) if suite_name else ("", [])
    rows = store.query(
        f"SELECT event_id, suite_name, suite_dir, action, actor, before_uses, after_uses, detail, "
        f"created_at FROM governance_log {where} ORDER BY created_at, event_id",
        params,
    )
    keys = (
        "event_id",
        "suite_name",
        "suite_dir",
        "action",
        "actor",
        "before_uses",
        "after_uses",
        "detail",
        "created_at",
    )
    return [dict(zip(keys, r)) for r in rows]
