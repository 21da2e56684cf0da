"""Tables `decisions` and `champions`: every gate decision, and the champion history (newest row = champion).

One row type per table (`DecisionRow`, `ChampionRow`) for the gate, the dashboard and the reviewer chat.
Moving the champion is compare-and-set: the writer names the champion row its comparison started from
(`expected_seq`) and the new row takes the next number; if another writer moved the champion meanwhile that
number is taken (primary key) or the newest row is another, and nothing is written. The decision that moves
the champion is written in the same transaction as the new champion row.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from .connection import Store


class ChampionChanged(InputError):
    """The champion moved after this comparison began; nothing was recorded. Exit code 2: run the gate again."""


@dataclass(frozen=True)
class ChampionRow:
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
    candidate_run_ids: tuple[str, ...]
    champion_run_ids: tuple[str, ...]
    decision: str
    exit_code: int
    reasons: tuple[str, ...]
    stats: dict[str, Any] = field(hash=False)
    policy: dict[str, Any] = field(hash=False)
    seed: int
    report_md: str
    recorded: bool


_CHAMPION = "seq, checkpoint_name, checkpoint_identity, decision_id, set_at, set_by, reason"
_DECISION = (
    "decision_id, created_at, candidate, candidate_identity, champion, champion_identity, "
    "candidate_run_ids, champion_run_ids, decision, exit_code, reasons_json, stats_json, policy_json, "
    "seed, report_md, recorded"
)


def _champion(row: tuple) -> ChampionRow:
    return ChampionRow(int(row[0]), *row[1:])


def _reasons(text: str | None) -> tuple[str, ...]:
    """reasons_json is a list of sentences; objects show their message, anything unreadable shows as it is."""
    try:
        value = json.loads(text or "[]")
    except (TypeError, ValueError):
        return (str(text),)
    out = []
    for reason in value if isinstance(value, list) else [value]:
        if isinstance(reason, dict):
            out.append(
                str(
                    reason.get("message")
                    or reason.get("text")
                    or reason.get("reason")
                    or json.dumps(reason, ensure_ascii=False)
                )
            )
        else:
            out.append(str(reason))
    return tuple(out)


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


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
        tuple(cand_runs or ()),
        tuple(champ_runs or ()),
        decision,
        int(exit_code),
        _reasons(reasons),
        _json(stats),
        _json(policy),
        int(seed),
        report_md or "",
        bool(recorded),
    )


def current_champion(store: Store) -> ChampionRow | None:
    """The newest row of the champion history; None before a champion was ever set."""
    rows = store.query(f"SELECT {_CHAMPION} FROM champions ORDER BY seq DESC LIMIT 1")
    return _champion(rows[0]) if rows else None


def champion_history(store: Store, limit: int = 100) -> list[ChampionRow]:
    """Newest first."""
    return [_champion(r) for r in store.query(f"SELECT {_CHAMPION} FROM champions ORDER BY seq DESC LIMIT ?", [limit])]


def _insert_champion(
    con: Any, expected_seq: int | None, name: str, identity: str, *, decision_id: str | None, set_by: str, reason: str
) -> int:
    """Compare-and-set: write champion number expected+1, or raise ChampionChanged if the history moved."""
    newest = con.one("SELECT max(seq) FROM champions")
    now = int(newest[0]) if newest and newest[0] is not None else 0
    if (expected_seq or 0) != now:
        raise ChampionChanged(
            "the recorded champion changed while this comparison ran; nothing was recorded",
            field="champion",
            hint="run `evalharness gate` again to compare with the new champion",
        )
    seq = now + 1
    row = con.one(
        f"INSERT INTO champions ({_CHAMPION}) VALUES (?, ?, ?, ?, current_timestamp, ?, ?) "
        "ON CONFLICT DO NOTHING RETURNING seq",
        [seq, name, identity, decision_id, set_by, reason],
    )
    if row is None:  # another writer took this number between our read and our insert
        raise ChampionChanged(
            "the recorded champion changed while this comparison ran; nothing was recorded",
            field="champion",
            hint="run `evalharness gate` again to compare with the new champion",
        )
    return seq


def set_champion(
    store: Store,
    name: str,
    identity: str,
    *,
    set_by: str,
    reason: str,
    expected_seq: int | None = None,
    check: bool = False,
) -> ChampionRow:
    """Make a checkpoint the champion by hand (the first one, or a deliberate roll-back).

    With `check`, only if the champion is still row `expected_seq` (None: there is none); without, the
    current champion is replaced whatever it is — what `champion set` means.
    """
    with store.transaction() as con:
        if not check:
            newest = con.one("SELECT max(seq) FROM champions")
            expected_seq = int(newest[0]) if newest and newest[0] is not None else None
        seq = _insert_champion(con, expected_seq, name, identity, decision_id=None, set_by=set_by, reason=reason)
    rows = store.query(f"SELECT {_CHAMPION} FROM champions WHERE seq = ?", [seq])
    return _champion(rows[0])


def record_decision(
    store: Store,
    row: dict[str, Any],
    *,
    move_champion: bool,
    expected_seq: int | None,
    set_by: str,
    starting_champion: tuple[str, str] | None = None,
) -> str:
    """Store a decision; when `move_champion`, make its candidate the champion in the same transaction.

    `expected_seq` is the champion row the comparison assumed (None: there was none). If another gate or
    `champion set` moved the champion meanwhile, nothing is written and ChampionChanged says to re-run —
    a champion is never replaced by one that was not compared with it.

    `starting_champion` (name, identity): a store with no champion yet records the champion this decision
    was compared with as the first one, in the same transaction — so what the gate said about "the
    champion" is what `champion show` and the dashboard say.
    """
    decision_id = row.get("decision_id") or "dec-" + uuid.uuid4().hex[:12]
    with store.transaction() as con:
        if starting_champion is not None:
            expected_seq = _insert_champion(
                con,
                expected_seq,
                *starting_champion,
                decision_id=None,
                set_by=set_by,
                reason="starting champion: given with --champion to `evalharness gate --record`",
            )
        con.execute(
            f"INSERT INTO decisions ({_DECISION}) VALUES (?, current_timestamp, ?, ?, ?, ?, ?, ?, ?, "
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
                expected_seq,
                row["candidate"],
                row["candidate_identity"],
                decision_id=decision_id,
                set_by=set_by,
                reason=row["champion_reason"],
            )
    return decision_id


def get_decision(store: Store, decision_id: str) -> DecisionRow | None:
    rows = store.query(f"SELECT {_DECISION} FROM decisions WHERE decision_id = ?", [decision_id])
    return _decision(rows[0]) if rows else None


def list_decisions(store: Store, limit: int = 50) -> list[DecisionRow]:
    """Newest first."""
    return [
        _decision(r)
        for r in store.query(
            f"SELECT {_DECISION} FROM decisions ORDER BY created_at DESC, decision_id LIMIT ?", [limit]
        )
    ]


def count_decisions(store: Store) -> int:
    return int(store.query("SELECT count(*) FROM decisions")[0][0])


def recent_advance_gains(store: Store, limit: int) -> list[dict[str, float]]:
    """Primary-metric gains of the most recent advances that moved the champion, newest first."""
    if limit <= 0:
        return []
    rows = store.query(
        "SELECT stats_json FROM decisions WHERE recorded AND decision IN ('advance', 'converged') "
        "ORDER BY created_at DESC LIMIT ?",
        [limit],
    )
    return [_json(r[0]).get("primary_gains", {}) for r in rows]
