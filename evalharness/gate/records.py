"""SQL for gate decisions and the champion history (tables `decisions` and `champions` of 0001_core.sql).

The newest `champions` row is the current champion. A decision that moves the champion is written in the
same transaction as the new champion row, so the history never shows one without the other.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..store import Store


@dataclass(frozen=True)
class Champion:
    seq: int
    checkpoint_name: str
    checkpoint_identity: str
    decision_id: str | None
    set_at: Any
    set_by: str
    reason: str


@dataclass(frozen=True)
class DecisionRow:
    decision_id: str
    created_at: Any
    candidate: str
    candidate_identity: str
    champion: str | None
    champion_identity: str | None
    candidate_run_ids: list[str]
    champion_run_ids: list[str]
    decision: str
    exit_code: int
    reasons: list[str]
    stats: dict[str, Any]
    policy: dict[str, Any]
    seed: int
    report_md: str
    recorded: bool


_CHAMPION_COLUMNS = "seq, checkpoint_name, checkpoint_identity, decision_id, set_at, set_by, reason"
_DECISION_COLUMNS = (
    "decision_id, created_at, candidate, candidate_identity, champion, champion_identity, "
    "candidate_run_ids, champion_run_ids, decision, exit_code, reasons_json, stats_json, policy_json, "
    "seed, report_md, recorded"
)


def current_champion(store: Store) -> Champion | None:
    rows = store.query(f"SELECT {_CHAMPION_COLUMNS} FROM champions ORDER BY seq DESC LIMIT 1")
    return Champion(*rows[0]) if rows else None


def champion_history(store: Store, limit: int = 100) -> list[Champion]:
    """Newest first."""
    return [
        Champion(*r)
        for r in store.query(f"SELECT {_CHAMPION_COLUMNS} FROM champions ORDER BY seq DESC LIMIT ?", [limit])
    ]


def _insert_champion(con: Any, name: str, identity: str, *, decision_id: str | None, set_by: str, reason: str) -> int:
    seq = con.execute("SELECT coalesce(max(seq), 0) + 1 FROM champions").fetchone()[0]
    con.execute(
        f"INSERT INTO champions ({_CHAMPION_COLUMNS}) VALUES (?, ?, ?, ?, current_timestamp, ?, ?)",
        [seq, name, identity, decision_id, set_by, reason],
    )
    return int(seq)


def set_champion(store: Store, name: str, identity: str, *, set_by: str, reason: str) -> Champion:
    """Make a checkpoint the champion by hand (e.g. the first one, or a deliberate roll-back)."""
    with store.transaction() as con:
        seq = _insert_champion(con, name, identity, decision_id=None, set_by=set_by, reason=reason)
    champion = current_champion(store)
    assert champion is not None and champion.seq == seq
    return champion


def record_decision(
    store: Store,
    row: dict[str, Any],
    *,
    move_champion: bool,
    expected_champion: str | None,
    set_by: str,
    starting_champion: tuple[str, str] | None = None,
) -> str:
    """Store a decision; when `move_champion`, make its candidate the champion in the same transaction.

    `expected_champion` is the identity of the recorded champion the comparison assumed (None: there was
    none). If another gate moved the champion meanwhile, nothing is written and the caller is told to
    re-run — a champion is never replaced by one that was not compared with it.

    `starting_champion` (name, identity): a store with no champion yet records the champion this decision
    was compared with as the first one, in the same transaction — so what the gate said about "the
    champion" is what `champion show` and the dashboard say.
    """
    decision_id = row.get("decision_id") or "dec-" + uuid.uuid4().hex[:12]
    with store.transaction() as con:
        if starting_champion is not None:
            if con.execute("SELECT 1 FROM champions LIMIT 1").fetchone():
                raise InputError(
                    "the recorded champion changed while this gate ran",
                    field="champion",
                    hint="run `evalharness gate` again to compare with the new champion",
                )
            _insert_champion(
                con,
                *starting_champion,
                decision_id=None,
                set_by=set_by,
                reason="starting champion: given with --champion to `evalharness gate --record`",
            )
            expected_champion = starting_champion[1]
        if move_champion:
            now = con.execute("SELECT checkpoint_identity FROM champions ORDER BY seq DESC LIMIT 1").fetchone()
            now_identity = now[0] if now else None
            if now_identity != expected_champion:
                raise InputError(
                    "the recorded champion changed while this gate ran",
                    field="champion",
                    hint="run `evalharness gate` again to compare with the new champion",
                )
        con.execute(
            f"INSERT INTO decisions ({_DECISION_COLUMNS}) VALUES (?, current_timestamp, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?, ?, ?, ?, ?, ?)",
            [
                decision_id,
                row["candidate"],
                row["candidate_identity"],
                row["champion"],
                row["champion_identity"],
                list(row["candidate_run_ids"]),
                list(row["champion_run_ids"]),
                row["decision"],
                row["exit_code"],
                json.dumps(row["reasons"], ensure_ascii=False),
                json.dumps(row["stats"], ensure_ascii=False, default=str),
                json.dumps(row["policy"], ensure_ascii=False),
                row["seed"],
                row["report_md"],
                move_champion,
            ],
        )
        if move_champion:
            _insert_champion(
                con,
                row["candidate"],
                row["candidate_identity"],
                decision_id=decision_id,
                set_by=set_by,
                reason=row["champion_reason"],
            )
    return decision_id


def _decision(r: tuple) -> DecisionRow:
    (
        decision_id,
        created_at,
        candidate,
        cand_id,
        champion,
        champ_id,
        cand_runs,
        champ_runs,
        decision,
        exit_code,
        reasons,
        stats,
        policy,
        seed,
        report_md,
        recorded,
    ) = r
    return DecisionRow(
        decision_id,
        created_at,
        candidate,
        cand_id,
        champion,
        champ_id,
        list(cand_runs),
        list(champ_runs),
        decision,
        exit_code,
        json.loads(reasons),
        json.loads(stats),
        json.loads(policy),
        seed,
        report_md,
        bool(recorded),
    )


def list_decisions(store: Store, limit: int = 50) -> list[DecisionRow]:
    """Newest first (the dashboard's "recent gate decisions")."""
    return [
        _decision(r)
        for r in store.query(f"SELECT {_DECISION_COLUMNS} FROM decisions ORDER BY created_at DESC LIMIT ?", [limit])
    ]


def recent_advance_gains(store: Store, limit: int) -> list[dict[str, float]]:
    """Primary-metric gains of the most recent advances that moved the champion, newest first."""
    if limit <= 0:
        return []
    rows = store.query(
        "SELECT stats_json FROM decisions WHERE recorded AND decision IN ('advance', 'converged') "
        "ORDER BY created_at DESC LIMIT ?",
        [limit],
    )
    return [json.loads(r[0]).get("primary_gains", {}) for r in rows]
