"""Tables `checkpoints`, `runs` and `run_items`: what was evaluated, on which suite version, item by item."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..checkpoints import Checkpoint
from ..suites import Suite
from .connection import Store

#: A run still in progress has no scores yet; readers that compare leave it out until it finishes.
FINISHED = ("complete", "incomplete")


@dataclass(frozen=True)
class CheckpointRow:
    identity: str
    name: str
    backend: str
    model: str
    adapter: str | None
    parent: str | None
    manifest: dict[str, Any]
    first_seen: Any


@dataclass(frozen=True)
class RunRow:
    run_id: str
    checkpoint_name: str
    checkpoint_identity: str
    settings_hash: str
    suite_name: str
    suite_hash: str
    suite_version: str
    status: str
    n_items: int
    n_ok: int | None
    n_failed: int | None
    started_at: Any
    finished_at: Any
    summary: dict[str, Any] | None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None


@dataclass(frozen=True)
class RunItemRow:
    """One item of a run: its answer (when generated and still cached) or why it has none."""

    run_id: str
    item_id: str
    status: str  # ok | failed
    text: str | None
    error: str | None
    cache_key: str | None = None


RUN_COLUMNS = (
    "run_id, checkpoint_name, checkpoint_identity, settings_hash, suite_name, suite_hash, suite_version, "
    "status, n_items, n_ok, n_failed, started_at, finished_at, summary_json, prompt_tokens, "
    "completion_tokens, cost_usd"
)


def _run(row: tuple) -> RunRow:
    (
        run_id,
        name,
        identity,
        settings,
        suite_name,
        suite_hash,
        suite_version,
        status,
        n_items,
        n_ok,
        n_failed,
        started_at,
        finished_at,
        summary,
        prompt_tokens,
        completion_tokens,
        cost_usd,
    ) = row
    return RunRow(
        run_id,
        name,
        identity,
        settings,
        suite_name,
        suite_hash,
        suite_version,
        status,
        int(n_items),
        n_ok,
        n_failed,
        started_at,
        finished_at,
        json.loads(summary) if summary else None,
        prompt_tokens,
        completion_tokens,
        cost_usd,
    )


def record_checkpoint(store: Store, checkpoint: Checkpoint) -> None:
    with store.transaction() as con:
        con.execute(
            "INSERT INTO checkpoints (identity, name, backend, model, adapter, parent, manifest_json)"
            " VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
            [
                checkpoint.identity,
                checkpoint.name,
                checkpoint.backend,
                checkpoint.model,
                checkpoint.adapter,
                checkpoint.parent,
                checkpoint.model_dump_json(),
            ],
        )


def get_checkpoint(store: Store, identity: str) -> CheckpointRow | None:
    rows = store.query(
        "SELECT identity, name, backend, model, adapter, parent, manifest_json, first_seen "
        "FROM checkpoints WHERE identity = ?",
        [identity],
    )
    if not rows:
        return None
    ident, name, backend, model, adapter, parent, manifest, first_seen = rows[0]
    return CheckpointRow(ident, name, backend, model, adapter, parent, json.loads(manifest), first_seen)


def find_run(store: Store, checkpoint: Checkpoint, suite: Suite) -> RunRow | None:
    """The newest run of this checkpoint (identity and settings) on this suite version, if any."""
    rows = store.query(
        f"SELECT {RUN_COLUMNS} FROM runs WHERE checkpoint_identity = ? AND settings_hash = ? "
        "AND suite_hash = ? ORDER BY started_at DESC, run_id DESC LIMIT 1",
        [checkpoint.identity, checkpoint.settings_hash, suite.content_hash],
    )
    return _run(rows[0]) if rows else None


def create_run(store: Store, checkpoint: Checkpoint, suite: Suite, *, code_version: str, config: dict[str, Any]) -> str:
    run_id = "run-" + uuid.uuid4().hex[:12]
    with store.transaction() as con:
        con.execute(
            "INSERT INTO runs (run_id, checkpoint_name, checkpoint_identity, settings_hash, suite_name, "
            "suite_hash, suite_version, status, code_version, config_json, n_items) "
            "VALUES (?,?,?,?,?,?,?,'running',?,?,?)",
            [
                run_id,
                checkpoint.name,
                checkpoint.identity,
                checkpoint.settings_hash,
                suite.name,
                suite.content_hash,
                suite.meta.version,
                code_version,
                json.dumps(config, sort_keys=True),
                len(suite.items),
            ],
        )
    return run_id


def get_run(store: Store, run_id: str) -> RunRow | None:
    rows = store.query(f"SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ?", [run_id])
    return _run(rows[0]) if rows else None


def list_runs(store: Store, limit: int = 50, *, status: str | None = None) -> list[RunRow]:
    """Newest first; optionally only runs in one status (e.g. `running`)."""
    where, params = ("WHERE status = ? ", [status]) if status else ("", [])
    return [
        _run(r)
        for r in store.query(
            f"SELECT {RUN_COLUMNS} FROM runs {where}ORDER BY started_at DESC, run_id LIMIT ?", [*params, limit]
        )
    ]


def set_run_status(store: Store, run_id: str, status: str) -> None:
    with store.transaction() as con:
        con.execute("UPDATE runs SET status = ? WHERE run_id = ?", [status, run_id])


def newest_complete_run(store: Store, identity: str, suite_hash: str) -> str | None:
    """The newest complete run of a checkpoint identity on a suite version (any settings)."""
    rows = store.query(
        "SELECT run_id FROM runs WHERE checkpoint_identity = ? AND suite_hash = ? AND status = "
        "'complete' ORDER BY started_at DESC, run_id DESC LIMIT 1",
        [identity, suite_hash],
    )
    return rows[0][0] if rows else None


def run_suite_hashes(store: Store) -> dict[str, str]:
    """run_id → suite_hash of every run."""
    return dict(store.query("SELECT run_id, suite_hash FROM runs"))


def run_items(store: Store, run_id: str) -> dict[str, tuple[str, str | None, str | None]]:
    """item_id → (status, text or None, error or None) for a run."""
    rows = store.query(
        "SELECT r.item_id, r.status, g.text, r.error FROM run_items r "
        "LEFT JOIN generations g ON g.cache_key = r.cache_key WHERE r.run_id = ?",
        [run_id],
    )
    return {
        item_id: (
            status if (status != "ok" or text is not None) else "failed",
            text,
            error if text is not None or status != "ok" else "cached generation missing",
        )
        for item_id, status, text, error in rows
    }


def token_totals(store: Store, run_id: str) -> tuple[int | None, int | None]:
    """Prompt and completion tokens of the generations a run's items use."""
    row = store.query(
        "SELECT sum(g.prompt_tokens), sum(g.completion_tokens) FROM run_items r JOIN generations g "
        "ON g.cache_key = r.cache_key WHERE r.run_id = ?",
        [run_id],
    )[0]
    return (int(row[0]) if row[0] is not None else None, int(row[1]) if row[1] is not None else None)


def runs_by_id(store: Store, run_ids: Sequence[str]) -> list[RunRow]:
    if not run_ids:
        return []
    return [
        _run(r)
        for r in store.query(
            f"SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ANY(?) ORDER BY started_at DESC, run_id", [list(run_ids)]
        )
    ]
