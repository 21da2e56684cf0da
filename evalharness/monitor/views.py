"""What the dashboard's Monitor page shows, read from the store: per monitor, its checks as a series with
the alarms marked, the last check, the conditions that are on, days until retirement, and the live series."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from ..store import Store
from ..store import live_answers as live_db
from ..store import monitor as db
from ..store import monitor_alerts as alerts_db


@dataclass(frozen=True)
class MonitorView:
    name: str
    endpoint: str
    model: str
    last: db.CheckRow
    series: pd.DataFrame  # one row per check: seq, time, status, score, changed, wealth, threshold, alarm
    primary: str | None
    active: tuple[alerts_db.AlertStateRow, ...]
    retirement: str | None  # the last check's description
    days_left: int | None
    horizon_days: int | None
    live: tuple[live_db.LiveQuality, ...]


def _primary(check: db.CheckRow) -> str | None:
    comparison = check.summary.get("comparison") or []
    return comparison[0]["metric"] if comparison else None


def monitor_views(store: Store, today: date | None = None) -> list[MonitorView]:
    """Every monitor that has been checked, newest state first (alarms first)."""
    if not store.exists():
        return []
    today = today or date.today()
    out = []
    for name in db.monitors_with_checks(store):
        checks = db.list_checks(store, name)
        last = checks[-1]
        primary = next((p for p in (_primary(c) for c in reversed(checks)) if p), None)
        rows = []
        for c in checks:
            drift = c.summary.get("drift") or {}
            rows.append(
                {
                    "check": c.seq,
                    "time": c.started_at,
                    "status": c.status,
                    "score": (c.summary.get("scores") or {}).get(primary) if primary else None,
                    "changed": c.drift_share,
                    "drop": c.score_drop,
                    "wealth": c.wealth,
                    "threshold": drift.get("threshold"),
                    "alarm": bool(c.alarm),
                    "error_rate": c.error_rate,
                    "tokens": None
                    if c.prompt_tokens is None or c.completion_tokens is None
                    else c.prompt_tokens + c.completion_tokens,
                    "cost_usd": c.cost_usd,
                }
            )
        retirement = last.summary.get("retirement") or {}
        days_left = retirement.get("days_left")
        if days_left is not None:  # as of today, not as of the last check
            days_left = int(days_left) - (today - last.started_at.date()).days
        out.append(
            MonitorView(
                name=name,
                endpoint=last.endpoint_name,
                model=last.model,
                last=last,
                series=pd.DataFrame(rows),
                primary=primary,
                active=tuple(s for s in alerts_db.alert_states(store, name) if s.active),
                retirement=retirement.get("description"),
                days_left=days_left,
                horizon_days=retirement.get("horizon_days"),
                live=tuple(live_db.live_quality(store, name)),
            )
        )
    return sorted(out, key=lambda v: (not v.active, v.name))
