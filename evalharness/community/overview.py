"""What the Overview page shows: the champion, recent gate decisions, score trends, and the suites."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .. import governance
from ..store import Store, scores
from ..store import gate as gate_rows
from ..store.gate import ChampionRow
from ..store.governance import suite_rows
from ..suites import ALL_USES

#: The store's own champion row (checkpoint_name, checkpoint_identity, set_at, set_by, reason, decision_id).
Champion = ChampionRow


@dataclass(frozen=True)
class Decision:
    """A gate decision as the Overview shows it: the store's row, plus its reasons in plain words."""

    decision_id: str
    created_at: Any
    candidate: str
    champion: str | None
    decision: str
    reasons: tuple[str, ...]
    recorded: bool
    plain_reasons: tuple[str, ...] = ()  # the same reasons in plain words, from the stored statistics


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
    return gate_rows.current_champion(store)


def recent_decisions(store: Store, limit: int = 10) -> list[Decision]:
    from .plain import decision_reasons

    out = []
    for row in gate_rows.list_decisions(store, limit):
        stats = json.dumps(row.stats) if row.stats else None
        plain = tuple(decision_reasons(stats, row.reasons))
        out.append(
            Decision(
                row.decision_id,
                row.created_at,
                row.candidate,
                row.champion,
                row.decision,
                row.reasons,
                bool(row.recorded),
                plain,
            )
        )
    return out


def metric_trends(store: Store) -> pd.DataFrame:
    """One row per run × metric, ordered by when each checkpoint was first run (the x-axis of the trend).

    Unmeasured metrics keep their status and reason with a NULL score, so a chart can leave a gap
    instead of drawing a zero.
    """
    return scores.metric_trends(store)


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
