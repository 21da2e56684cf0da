"""All SQL for suites, checkpoints, runs, the generation/log-likelihood caches and scores.

Each function is one short transaction. Bulk rows go in as Arrow tables (one INSERT … SELECT), which is
what keeps a 10,000-item run's writes cheap next to its scoring.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..checkpoints import Checkpoint
from ..suites import Suite
from . import Store
from .governance import refresh_governance


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


RUN_COLUMNS = (
    "run_id, checkpoint_name, checkpoint_identity, settings_hash, suite_name, suite_hash, suite_version, "
    "status, n_items, n_ok, n_failed, started_at, finished_at, summary_json"
)


def _run(row: tuple) -> RunRow:
    *head, summary = row
    return RunRow(*head, json.loads(summary) if summary else None)  # type: ignore[call-arg]  # row = the columns


def record_suite(store: Store, suite: Suite, suite_dir: str | Path | None = None) -> None:
    """Store a suite version once (keyed by content hash), with its items, for the dashboard and the gate.

    Governance is not part of the hash, so it is refreshed on every call: the store's copy of the allowed uses
    (of this version and every other stored version of the same suite) becomes what suite.toml says now.
    """
    folder = suite_dir if suite_dir is not None else suite.path
    where = str(Path(folder).resolve()) if folder is not None else None
    with store.transaction() as con:
        refresh_governance(
            con, name=suite.name, suite_dir=where, governance=suite.meta.governance.model_dump(mode="json")
        )
        if con.execute("SELECT 1 FROM suites WHERE suite_hash = ?", [suite.content_hash]).fetchone():
            return
        con.execute(
            "INSERT INTO suites (suite_hash, name, version, kind, meta_json, n_items, suite_dir, "
            "governance_read_at) VALUES (?,?,?,?,?,?,?, current_timestamp)",
            [
                suite.content_hash,
                suite.name,
                suite.meta.version,
                suite.meta.kind,
                suite.meta.model_dump_json(),
                len(suite.items),
                where,
            ],
        )
        table = pa.table(
            {
                "suite_hash": [suite.content_hash] * len(suite.items),
                "item_id": [i.id for i in suite.items],
                "prompt": [i.prompt for i in suite.items],
                "reference": [i.reference for i in suite.items],
                "system": [i.system for i in suite.items],
                "direction": [i.direction for i in suite.items],
                "tags": [list(i.tags) for i in suite.items],
                "disallowed": [i.disallowed for i in suite.items],
                "narrative": [i.narrative for i in suite.items],
                "position": list(range(len(suite.items))),
            }
        )
        con.register("new_items", table)
        con.execute("INSERT INTO suite_items SELECT * FROM new_items")
        con.unregister("new_items")


def record_checkpoint(store: Store, checkpoint: Checkpoint) -> None:
    with store.transaction() as con:
        con.execute(
            "INSERT OR IGNORE INTO checkpoints (identity, name, backend, model, adapter, parent, manifest_json)"
            " VALUES (?,?,?,?,?,?,?)",
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


def find_run(store: Store, checkpoint: Checkpoint, suite: Suite) -> RunRow | None:
    """The newest run of this checkpoint (identity and settings) on this suite version, if any."""
    rows = store.query(
        f"SELECT {RUN_COLUMNS} FROM runs WHERE checkpoint_identity = ? AND settings_hash = ? "
        "AND suite_hash = ? ORDER BY started_at DESC LIMIT 1",
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


def list_runs(store: Store, limit: int = 50) -> list[RunRow]:
    return [_run(r) for r in store.query(f"SELECT {RUN_COLUMNS} FROM runs ORDER BY started_at DESC LIMIT ?", [limit])]


def set_run_status(store: Store, run_id: str, status: str) -> None:
    with store.transaction() as con:
        con.execute("UPDATE runs SET status = ? WHERE run_id = ?", [status, run_id])


def cached_generations(store: Store, keys: Sequence[str]) -> dict[str, str]:
    """cache_key → text for the keys already generated (by any run)."""
    if not keys:
        return {}
    with store.connect() as con:
        con.register("wanted", pa.table({"cache_key": list(keys)}))
        rows = con.execute("SELECT g.cache_key, g.text FROM generations g JOIN wanted w USING (cache_key)").fetchall()
    return dict(rows)


def put_generation_results(
    store: Store, run_id: str, checkpoint: Checkpoint, results: Sequence[dict[str, Any]]
) -> None:
    """Write finished generations to the cache and link every result (ok or failed) to its run item.

    `results` rows: cache_key, item_id, status, text, error, prompt_tokens, completion_tokens, latency_s, attempts.
    """
    if not results:
        return
    ok = [r for r in results if r["status"] == "ok"]
    with store.transaction() as con:
        if ok:
            con.register(
                "new_gen",
                pa.table(
                    {
                        "cache_key": [r["cache_key"] for r in ok],
                        "checkpoint_identity": [checkpoint.identity] * len(ok),
                        "settings_hash": [checkpoint.settings_hash] * len(ok),
                        "text": [r["text"] for r in ok],
                        "prompt_tokens": pa.array([r.get("prompt_tokens") for r in ok], pa.int32()),
                        "completion_tokens": pa.array([r.get("completion_tokens") for r in ok], pa.int32()),
                        "latency_s": pa.array([r.get("latency_s") for r in ok], pa.float64()),
                        "attempts": pa.array([r.get("attempts", 1) for r in ok], pa.int32()),
                    }
                ),
            )
            con.execute(
                "INSERT OR IGNORE INTO generations (cache_key, checkpoint_identity, settings_hash, text, "
                "prompt_tokens, completion_tokens, latency_s, attempts) SELECT * FROM new_gen"
            )
            con.unregister("new_gen")
        con.register(
            "new_items",
            pa.table(
                {
                    "run_id": [run_id] * len(results),
                    "item_id": [r["item_id"] for r in results],
                    "cache_key": [r["cache_key"] for r in results],
                    "status": [r["status"] for r in results],
                    "error": pa.array([r.get("error") for r in results], pa.string()),
                }
            ),
        )
        con.execute(
            "INSERT OR REPLACE INTO run_items (run_id, item_id, cache_key, status, error) SELECT * FROM new_items"
        )
        con.unregister("new_items")


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


def cached_loglikelihoods(store: Store, keys: Sequence[str]) -> dict[str, tuple[float, int, int, int]]:
    if not keys:
        return {}
    with store.connect() as con:
        con.register("wanted", pa.table({"cache_key": list(keys)}))
        rows = con.execute(
            "SELECT l.cache_key, l.nats, l.tokens, l.chars, l.bytes FROM loglikelihoods l "
            "JOIN wanted w USING (cache_key)"
        ).fetchall()
    return {key: (nats, tokens, chars, nbytes) for key, nats, tokens, chars, nbytes in rows}


def put_loglikelihoods(store: Store, identity: str, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    with store.transaction() as con:
        con.register(
            "new_ll",
            pa.table(
                {
                    "cache_key": [r["cache_key"] for r in rows],
                    "checkpoint_identity": [identity] * len(rows),
                    "nats": pa.array([r["nats"] for r in rows], pa.float64()),
                    "tokens": pa.array([r["tokens"] for r in rows], pa.int32()),
                    "chars": pa.array([r["chars"] for r in rows], pa.int32()),
                    "bytes": pa.array([r["bytes"] for r in rows], pa.int32()),
                }
            ),
        )
        con.execute(
            "INSERT OR IGNORE INTO loglikelihoods (cache_key, checkpoint_identity, nats, tokens, chars, bytes)"
            " SELECT * FROM new_ll"
        )
        con.unregister("new_ll")


def replace_scores(
    store: Store,
    run_id: str,
    item_rows: pa.Table,
    metric_rows: Sequence[dict[str, Any]],
    *,
    status: str,
    n_ok: int,
    n_failed: int,
    summary: dict[str, Any],
    prompt_tokens: int | None,
    completion_tokens: int | None,
    cost_usd: float | None,
) -> None:
    """Swap a run's scores for new ones and close the run — in one transaction, so a crash leaves the old."""
    with store.transaction() as con:
        con.execute("DELETE FROM item_scores WHERE run_id = ?", [run_id])
        con.execute("DELETE FROM run_metrics WHERE run_id = ?", [run_id])
        con.register("new_scores", item_rows)
        con.execute(
            "INSERT INTO item_scores (run_id, item_id, metric, status, reason, stats, score) "
            "SELECT run_id, item_id, metric, status, reason, stats, score FROM new_scores"
        )
        con.unregister("new_scores")
        for m in metric_rows:
            con.execute(
                "INSERT INTO run_metrics (run_id, metric, signature, higher_is_better, stat_names, "
                "corpus_score, n_scored, n_unscored, status, reason) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    run_id,
                    m["metric"],
                    m["signature"],
                    m["higher_is_better"],
                    list(m["stat_names"]),
                    m["corpus_score"],
                    m["n_scored"],
                    m["n_unscored"],
                    m["status"],
                    m["reason"],
                ],
            )
        con.execute(
            "UPDATE runs SET status = ?, finished_at = current_timestamp, n_ok = ?, n_failed = ?, "
            "summary_json = ?, prompt_tokens = ?, completion_tokens = ?, cost_usd = ? WHERE run_id = ?",
            [
                status,
                n_ok,
                n_failed,
                json.dumps(summary, sort_keys=True),
                prompt_tokens,
                completion_tokens,
                cost_usd,
                run_id,
            ],
        )


def run_metrics(store: Store, run_id: str) -> list[dict[str, Any]]:
    rows = store.query(
        "SELECT metric, signature, higher_is_better, stat_names, corpus_score, n_scored, n_unscored, "
        "status, reason FROM run_metrics WHERE run_id = ? ORDER BY metric",
        [run_id],
    )
    keys = (
        "metric",
        "signature",
        "higher_is_better",
        "stat_names",
        "corpus_score",
        "n_scored",
        "n_unscored",
        "status",
        "reason",
    )
    return [dict(zip(keys, r)) for r in rows]


def item_scores_frame(store: Store, run_ids: Sequence[str]):  # -> pandas.DataFrame
    """Every item score of the given runs, with the item's direction and the answer text."""
    with store.connect() as con:
        con.register("wanted", pa.table({"run_id": list(run_ids)}))
        return con.execute(
            "SELECT s.run_id, r.checkpoint_name, r.suite_name, s.item_id, si.direction, s.metric, s.status, s.reason, "
            "s.score, s.stats, g.text AS answer FROM item_scores s JOIN wanted USING (run_id) "
            "JOIN runs r USING (run_id) "
            "LEFT JOIN suite_items si ON si.suite_hash = r.suite_hash AND si.item_id = s.item_id "
            "LEFT JOIN run_items ri ON ri.run_id = s.run_id AND ri.item_id = s.item_id "
            "LEFT JOIN generations g ON g.cache_key = ri.cache_key ORDER BY s.run_id, si.position, s.metric"
        ).df()
