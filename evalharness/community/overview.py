"""What the Overview page shows: the champion, recent gate decisions, score trends, and the suites."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .. import governance
from ..store import Store
from ..store.governance import suite_rows
from ..suites import ALL_USES


@dataclass(frozen=True)
class Champion:
    checkpoint_name: str
    checkpoint_identity: str
    set_at: datetime
    set_by: str
    reason: str
    decision_id: str | None


@dataclass(frozen=True)
class Decision:
    decision_id: str
    created_at: datetime
    candidate: str
    champion: str | None
    decision: str
    reasons: tuple[str, ...]
    recorded: bool


@dataclass(frozen=True)
class SuiteSummary:
    name: str
    version: str
    kind: str
    n_items: int
    suite_hash: str
    description: str
    license: str
    provenance: dict[str, Any]
    allowed_uses: tuple[str, ...]
    denied_uses: tuple[str, ...]
    contains_sensitive_content: bool
    review_contact: str
    governance_problem: str | None = None  # why the current suite.toml could not be read (then: nothing allowed)


def current_champion(store: Store) -> Champion | None:
    """The newest row of the champion history; None before the gate has ever chosen one."""
    rows = store.query(
        "SELECT checkpoint_name, checkpoint_identity, set_at, set_by, reason, decision_id "
        "FROM champions ORDER BY seq DESC LIMIT 1"
    )
    return Champion(*rows[0]) if rows else None


def _reasons(text: str) -> tuple[str, ...]:
    """reasons_json is a list of sentences; a gate that wrote objects gets their 'message'/'text' shown."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return (str(text),)
    if isinstance(value, str):
        return (value,)
    out = []
    for reason in value if isinstance(value, list) else [value]:
        if isinstance(reason, dict):
            out.append(str(reason.get("message") or reason.get("text") or reason.get("reason") or json.dumps(reason)))
        else:
            out.append(str(reason))
    return tuple(out)


def recent_decisions(store: Store, limit: int = 10) -> list[Decision]:
    rows = store.query(
        "SELECT decision_id, created_at, candidate, champion, decision, reasons_json, recorded "
        "FROM decisions ORDER BY created_at DESC LIMIT ?",
        [limit],
    )
    return [
        Decision(d, at, cand, champ, dec, _reasons(reasons), bool(rec))
        for d, at, cand, champ, dec, reasons, rec in rows
    ]


def metric_trends(store: Store) -> pd.DataFrame:
    """One row per run × metric, ordered by when each checkpoint was first run (the x-axis of the trend).

    Unmeasured metrics keep their status and reason with a NULL score, so a chart can leave a gap
    instead of drawing a zero.
    """
    return store.frame(
        "WITH first AS (SELECT checkpoint_name, min(started_at) AS first_run FROM runs GROUP BY checkpoint_name) "
        "SELECT r.run_id, r.checkpoint_name AS checkpoint, r.suite_name AS suite, r.suite_version, "
        "r.suite_name || ' ' || r.suite_version AS suite_label, r.status AS run_status, r.started_at, "
        "f.first_run, m.metric, m.corpus_score AS score, m.status, m.reason, m.higher_is_better, m.n_scored, "
        "m.n_unscored FROM runs r JOIN run_metrics m USING (run_id) JOIN first f USING (checkpoint_name) "
        "ORDER BY f.first_run, r.checkpoint_name, r.suite_name, r.started_at, m.metric"
    )


def score_text(score: float | None, status: str) -> str:
    """A score for people: one decimal (`*`: some items could not be scored), or what happened instead —
    never a number that was not measured."""
    if score is not None and score == score and status in ("scored", "partial"):
        return f"{score:.1f}" + ("*" if status == "partial" else "")
    return {"unsupported": "not measured", "failed": "failed", "not_scored": "not scored"}.get(status, status)


def latest_scores(trends: pd.DataFrame) -> pd.DataFrame:
    """The newest run of each checkpoint on each suite version, metrics as columns, as text for a table."""
    if trends.empty:
        return pd.DataFrame()
    newest = trends.sort_values("started_at").groupby(["checkpoint", "suite_label", "metric"]).tail(1)
    newest = newest.assign(cell=[score_text(s, st) for s, st in zip(newest["score"], newest["status"])])
    table = newest.pivot(index=["checkpoint", "suite_label"], columns="metric", values="cell")
    order = newest.groupby(["checkpoint", "suite_label"])["first_run"].min().sort_values(kind="stable")
    table = table.loc[order.index].reset_index().rename(columns={"suite_label": "suite"})
    table.columns.name = None
    return table


def suites(store: Store, *, search_dirs: Sequence[Path] = ()) -> list[SuiteSummary]:
    """Every suite version the store has seen, newest first, with provenance and governance.

    Allowed uses are read from each suite's suite.toml as it is now (and the store's copy refreshed); a suite
    whose file cannot be found shows as allowing nothing, with the reason, never the uses it once had.
    """
    rows = suite_rows(store)
    current = {
        g.suite_hash: g for g in governance.current(store, [r.suite_hash for r in rows], search_dirs=search_dirs)
    }
    out = []
    for row in rows:
        meta = row.meta
        now = current[row.suite_hash]
        gov = now.governance
        allowed = tuple(gov.allowed_uses)
        out.append(
            SuiteSummary(
                name=row.name,
                version=row.version,
                kind=row.kind,
                n_items=row.n_items,
                suite_hash=row.suite_hash,
                description=meta.get("description", ""),
                license=meta.get("license", ""),
                provenance=meta.get("provenance") or {},
                allowed_uses=allowed,
                denied_uses=tuple(u for u in ALL_USES if u not in allowed),
                contains_sensitive_content=gov.contains_sensitive_content,
                review_contact=gov.review_contact,
                governance_problem=now.problem,
            )
        )
    return out


#: Plain words for the governance uses, for people who did not write the schema.
USE_WORDS = {
    "evaluation": "testing models on this machine",
    "external_generation": "sending questions to outside AI services",
    "external_judging": "sending answers to an outside AI judge",
    "publication": "publishing the items",
    "training": "training models on it",
}
