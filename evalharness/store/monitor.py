"""SQL of monitoring checks: canaries, baselines, checks (answers, scores), retirement lookups, and the reads of
the core tables a check compares with. Alerts are in `monitor_alerts`, live answers in `live_answers`.

Rows go in and come out as frozen dataclasses. Each write is one short transaction; a check, its answers
and its scores land together or not at all, so a crash mid-check leaves no half check behind.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from . import Store

# -- rows ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CanaryRow:
    canary_hash: str
    item_key: str
    suite_hash: str
    suite_name: str
    item_id: str
    position: int


@dataclass(frozen=True)
class BaselineRow:
    baseline_id: str
    monitor: str
    seq: int
    kind: str  # champion | first_check
    canary_hash: str
    endpoint_identity: str
    source_runs: tuple[str, ...]
    source_check: str | None
    reason: str
    created_at: datetime


@dataclass(frozen=True)
class CheckRow:
    check_id: str
    monitor: str
    seq: int
    baseline_id: str | None
    test_start: int | None
    endpoint_name: str
    endpoint_identity: str
    model: str
    canary_hash: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    n_items: int
    n_ok: int
    n_failed: int
    error_rate: float | None
    latency_mean_s: float | None
    latency_p95_s: float | None
    prompt_tokens: int | None
    completion_tokens: int | None
    cost_usd: float | None
    cost_reason: str | None
    changed_share: float | None
    drift_share: float | None
    score_drop: float | None
    wealth: float | None
    alarm: bool
    summary: dict[str, Any]


@dataclass(frozen=True)
class AnswerRow:
    check_id: str
    item_key: str
    status: str
    text: str | None
    error: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None
    logprob_sum: float | None = None
    logprob_tokens: int | None = None


@dataclass(frozen=True)
class ItemScoreRow:
    check_id: str
    item_key: str
    metric: str
    status: str
    reason: str | None
    stats: tuple[float, ...] | None
    score: float | None


@dataclass(frozen=True)
class RetirementRow:
    model: str
    provider: str
    role: str
    checkpoint_name: str
    status: str
    shutdown_date: str | None
    reason: str | None
    checked_at: datetime


def _columns(cls: type) -> str:
    return ", ".join(f.name for f in fields(cls))


# -- canaries and baselines ---------------------------------------------------------------------------


def record_canary(store: Store, rows: Sequence[CanaryRow]) -> None:
    """Store a canary's items once (keyed by canary hash)."""
    if not rows:
        return
    with store.transaction() as con:
        if con.execute(
            "SELECT 1 FROM monitor_canaries WHERE canary_hash = ? LIMIT 1", [rows[0].canary_hash]
        ).fetchone():
            return
        con.executemany(
            f"INSERT INTO monitor_canaries ({_columns(CanaryRow)}) VALUES (?, ?, ?, ?, ?, ?)",
            [list(asdict(r).values()) for r in rows],
        )


def canary_rows(store: Store, canary_hash: str) -> list[CanaryRow]:
    return [
        CanaryRow(*r)
        for r in store.query(
            f"SELECT {_columns(CanaryRow)} FROM monitor_canaries WHERE canary_hash = ? ORDER BY position", [canary_hash]
        )
    ]


def _baseline(row: tuple) -> BaselineRow:
    values = list(row)
    values[6] = tuple(values[6] or ())
    return BaselineRow(*values)


def current_baseline(store: Store, monitor: str) -> BaselineRow | None:
    rows = store.query(
        f"SELECT {_columns(BaselineRow)} FROM monitor_baselines WHERE monitor = ? ORDER BY seq DESC LIMIT 1", [monitor]
    )
    return _baseline(rows[0]) if rows else None


def get_baseline(store: Store, baseline_id: str) -> BaselineRow | None:
    rows = store.query(f"SELECT {_columns(BaselineRow)} FROM monitor_baselines WHERE baseline_id = ?", [baseline_id])
    return _baseline(rows[0]) if rows else None


def new_baseline_row(
    store: Store,
    monitor: str,
    *,
    kind: str,
    canary_hash: str,
    endpoint_identity: str,
    source_runs: Sequence[str],
    source_check: str | None,
    reason: str,
    created_at: datetime,
) -> BaselineRow:
    """A baseline row with the next number (written by `insert_check` or `add_baseline`)."""
    seq = int(store.query("SELECT coalesce(max(seq), 0) FROM monitor_baselines WHERE monitor = ?", [monitor])[0][0])
    return BaselineRow(
        "base-" + uuid.uuid4().hex[:12],
        monitor,
        seq + 1,
        kind,
        canary_hash,
        endpoint_identity,
        tuple(source_runs),
        source_check,
        reason,
        created_at,
    )


def _insert_baseline(con: Any, row: BaselineRow) -> None:
    values = asdict(row)
    values["source_runs"] = list(row.source_runs)
    con.execute(
        f"INSERT INTO monitor_baselines ({_columns(BaselineRow)}) VALUES ({', '.join('?' * len(values))})",
        list(values.values()),
    )


def add_baseline(store: Store, row: BaselineRow) -> None:
    with store.transaction() as con:
        _insert_baseline(con, row)


# -- checks -------------------------------------------------------------------------------------------


def next_check_seq(store: Store, monitor: str) -> int:
    return int(store.query("SELECT coalesce(max(seq), 0) FROM monitor_checks WHERE monitor = ?", [monitor])[0][0]) + 1


def insert_check(
    store: Store,
    check: CheckRow,
    answers: Sequence[AnswerRow],
    scores: Sequence[ItemScoreRow],
    *,
    new_baseline: BaselineRow | None = None,
    claim_baseline: str | None = None,
) -> None:
    """A check with its answers and item scores (and the baseline it starts, if any), in one transaction."""
    values = asdict(check)
    values.pop("summary")
    values["summary_json"] = json.dumps(check.summary, sort_keys=True, default=str)
    with store.transaction() as con:
        if new_baseline is not None:
            _insert_baseline(con, new_baseline)
        if claim_baseline is not None:
            con.execute(
                "UPDATE monitor_baselines SET source_check = ? WHERE baseline_id = ? AND source_check IS NULL",
                [check.check_id, claim_baseline],
            )
        con.execute(
            f"INSERT INTO monitor_checks ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
            list(values.values()),
        )
        if answers:
            con.executemany(
                f"INSERT INTO monitor_answers ({_columns(AnswerRow)}) VALUES ({', '.join('?' * 10)})",
                [list(asdict(a).values()) for a in answers],
            )
        if scores:
            con.executemany(
                "INSERT INTO monitor_item_scores (check_id, item_key, metric, status, reason, stats_json, score) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    [
                        s.check_id,
                        s.item_key,
                        s.metric,
                        s.status,
                        s.reason,
                        json.dumps(list(s.stats)) if s.stats is not None else None,
                        s.score,
                    ]
                    for s in scores
                ],
            )


_CHECK_SQL = f"SELECT {_columns(CheckRow).replace('summary', 'summary_json')} FROM monitor_checks"


def _check(row: tuple) -> CheckRow:
    values = list(row)
    values[-1] = json.loads(values[-1])
    return CheckRow(*values)


def list_checks(store: Store, monitor: str, *, since_seq: int | None = None) -> list[CheckRow]:
    """A monitor's checks, oldest first (from `since_seq` on when given)."""
    if since_seq is None:
        rows = store.query(_CHECK_SQL + " WHERE monitor = ? ORDER BY seq", [monitor])
    else:
        rows = store.query(_CHECK_SQL + " WHERE monitor = ? AND seq >= ? ORDER BY seq", [monitor, since_seq])
    return [_check(r) for r in rows]


def latest_checks(store: Store) -> list[CheckRow]:
    """The newest check of every monitor."""
    return [
        _check(r)
        for r in store.query(
            _CHECK_SQL + " c WHERE seq = (SELECT max(seq) FROM monitor_checks m WHERE m.monitor = c.monitor) "
            "ORDER BY monitor"
        )
    ]


def get_check(store: Store, check_id: str) -> CheckRow | None:
    rows = store.query(_CHECK_SQL + " WHERE check_id = ?", [check_id])
    return _check(rows[0]) if rows else None


def check_answers(store: Store, check_id: str) -> dict[str, AnswerRow]:
    return {
        r[1]: AnswerRow(*r)
        for r in store.query(f"SELECT {_columns(AnswerRow)} FROM monitor_answers WHERE check_id = ?", [check_id])
    }


def answers_of_checks(store: Store, check_ids: Sequence[str]) -> dict[str, dict[str, AnswerRow]]:
    """check id → item key → answer, for several checks in one read."""
    out: dict[str, dict[str, AnswerRow]] = {c: {} for c in check_ids}
    if not check_ids:
        return out
    for r in store.query(
        f"SELECT {_columns(AnswerRow)} FROM monitor_answers WHERE check_id IN ({', '.join('?' * len(check_ids))})",
        list(check_ids),
    ):
        out[r[0]][r[1]] = AnswerRow(*r)
    return out


def check_item_stats(store: Store, check_id: str) -> dict[str, dict[str, tuple[str, tuple[float, ...] | None]]]:
    """metric → item key → (status, statistics when scored)."""
    out: dict[str, dict[str, tuple[str, tuple[float, ...] | None]]] = {}
    for key, metric, status, stats in store.query(
        "SELECT item_key, metric, status, stats_json FROM monitor_item_scores WHERE check_id = ?", [check_id]
    ):
        out.setdefault(metric, {})[key] = (status, tuple(json.loads(stats)) if stats is not None else None)
    return out


def monitors_with_checks(store: Store) -> list[str]:
    return [m for (m,) in store.query("SELECT DISTINCT monitor FROM monitor_checks ORDER BY monitor")]


# -- the baseline's answers when it is the champion's runs (read from the core tables) -----------------


def champion_runs(store: Store, identity: str, suite_hashes: Sequence[str]) -> dict[str, str] | None:
    """suite hash → the newest complete run of a checkpoint identity on it; None if one suite has none."""
    out = {}
    for suite_hash in suite_hashes:
        rows = store.query(
            "SELECT run_id FROM runs WHERE checkpoint_identity = ? AND suite_hash = ? AND "
            "status = 'complete' ORDER BY started_at DESC LIMIT 1",
            [identity, suite_hash],
        )
        if not rows:
            return None
        out[suite_hash] = rows[0][0]
    return out


def run_answers(store: Store, run_ids: Sequence[str]) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(suite hash, item id) → (status, text) for the items of the given runs."""
    if not run_ids:
        return {}
    marks = ", ".join("?" * len(run_ids))
    rows = store.query(
        "SELECT r.suite_hash, ri.item_id, ri.status, g.text FROM run_items ri JOIN runs r ON r.run_id = ri.run_id "
        f"LEFT JOIN generations g ON g.cache_key = ri.cache_key WHERE ri.run_id IN ({marks})",
        list(run_ids),
    )
    return {(h, i): ("ok" if s == "ok" and t is not None else "failed", t) for h, i, s, t in rows}


def run_item_stats(
    store: Store, run_ids: Sequence[str]
) -> dict[str, dict[tuple[str, str], tuple[str, tuple[float, ...] | None]]]:
    """metric → (suite hash, item id) → (status, statistics when scored), from the runs' item_scores."""
    if not run_ids:
        return {}
    marks = ", ".join("?" * len(run_ids))
    out: dict[str, dict[tuple[str, str], tuple[str, tuple[float, ...] | None]]] = {}
    for suite_hash, item_id, metric, status, stats in store.query(
        "SELECT r.suite_hash, s.item_id, s.metric, s.status, s.stats FROM item_scores s "
        f"JOIN runs r ON r.run_id = s.run_id WHERE s.run_id IN ({marks})",
        list(run_ids),
    ):
        out.setdefault(metric, {})[(suite_hash, item_id)] = (status, tuple(stats) if stats is not None else None)
    return out


def run_signatures(store: Store, run_ids: Sequence[str]) -> dict[str, set[str]]:
    """metric → the signatures the runs scored it with."""
    if not run_ids:
        return {}
    out: dict[str, set[str]] = {}
    for metric, signature in store.query(
        f"SELECT metric, signature FROM run_metrics WHERE run_id IN ({', '.join('?' * len(run_ids))})", list(run_ids)
    ):
        out.setdefault(metric, set()).add(signature)
    return out


@dataclass(frozen=True)
class RunCost:
    run_ids: tuple[str, ...]
    n_items: int
    prompt_tokens: int | None
    completion_tokens: int | None
    cost_usd: float | None


def runs_cost(store: Store, run_ids: Sequence[str]) -> RunCost:
    """Items, tokens and cost of full runs, summed (a total is None when any run lacks it)."""
    rows = (
        store.query(
            "SELECT n_items, prompt_tokens, completion_tokens, cost_usd FROM runs WHERE run_id IN "
            f"({', '.join('?' * len(run_ids))})",
            list(run_ids),
        )
        if run_ids
        else []
    )

    def total(index: int) -> Any:
        values = [r[index] for r in rows]
        return None if not values or any(v is None for v in values) else sum(values)

    return RunCost(tuple(run_ids), int(sum(r[0] for r in rows)), total(1), total(2), total(3))


def endpoint_full_runs(store: Store, identity: str, suite_hashes: Sequence[str]) -> list[str]:
    """The newest complete run of a checkpoint identity on each of the suites it has one on."""
    out = []
    for suite_hash in suite_hashes:
        rows = store.query(
            "SELECT run_id FROM runs WHERE checkpoint_identity = ? AND suite_hash = ? AND "
            "status = 'complete' ORDER BY started_at DESC LIMIT 1",
            [identity, suite_hash],
        )
        out += [rows[0][0]] if rows else []
    return out


# -- retirement ---------------------------------------------------------------------------------------


def save_retirement(store: Store, rows: Sequence[RetirementRow]) -> None:
    """Keep the newest lookup per model (delete + insert: portable across engines)."""
    if not rows:
        return
    with store.transaction() as con:
        for row in rows:
            con.execute("DELETE FROM monitor_retirement WHERE model = ?", [row.model])
            con.execute(
                f"INSERT INTO monitor_retirement ({_columns(RetirementRow)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                list(asdict(row).values()),
            )


def retirement_for_models(store: Store, models: Iterable[str]) -> dict[str, RetirementRow]:
    wanted = sorted(set(models))
    if not wanted:
        return {}
    return {
        r[0]: RetirementRow(*r)
        for r in store.query(
            f"SELECT {_columns(RetirementRow)} FROM monitor_retirement WHERE model IN ({', '.join('?' * len(wanted))})",
            wanted,
        )
    }


def checkpoint_models(store: Store, checkpoint_names: Iterable[str]) -> dict[str, tuple[str, str]]:
    """checkpoint name → (backend, model) as recorded with its newest identity."""
    names = sorted(set(checkpoint_names))
    if not names:
        return {}
    rows = store.query(
        f"SELECT name, backend, model FROM checkpoints WHERE name IN ({', '.join('?' * len(names))}) "
        "ORDER BY first_seen",
        names,
    )
    return {name: (backend, model) for name, backend, model in rows}
