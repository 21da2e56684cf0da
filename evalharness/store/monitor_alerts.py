"""SQL of the monitor's alerts: the state of each condition per monitor, and every alert with the sinks that
have received it (so an alert reaches each sink once, across crashes and outages)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from . import Store
from .monitor import _columns


@dataclass(frozen=True)
class AlertStateRow:
    monitor: str
    condition: str
    active: bool
    since: datetime | None
    last_notice: datetime | None
    detail: str


@dataclass(frozen=True)
class AlertRow:
    alert_id: str
    monitor: str
    condition: str
    kind: str
    severity: str
    check_id: str | None
    created_at: datetime
    message: dict[str, Any]
    sinks: tuple[str, ...]
    delivered: tuple[str, ...]
    last_error: str | None

    @property
    def pending(self) -> tuple[str, ...]:
        return tuple(s for s in self.sinks if s not in self.delivered)


def alert_states(store: Store, monitor: str) -> list[AlertStateRow]:
    return [
        AlertStateRow(*r)
        for r in store.query(
            f"SELECT {_columns(AlertStateRow)} FROM monitor_alert_state WHERE monitor = ? ORDER BY condition", [monitor]
        )
    ]


def record_alerts(store: Store, monitor: str, states: Sequence[AlertStateRow], alerts: Sequence[AlertRow]) -> None:
    """The new condition states and the alerts they made, together: an alert is never lost or made twice."""
    with store.transaction() as con:
        for state in states:
            con.execute(
                "DELETE FROM monitor_alert_state WHERE monitor = ? AND condition = ?", [monitor, state.condition]
            )
            con.execute(
                f"INSERT INTO monitor_alert_state ({_columns(AlertStateRow)}) VALUES (?, ?, ?, ?, ?, ?)",
                list(asdict(state).values()),
            )
        for alert in alerts:
            con.execute(
                "INSERT INTO monitor_alerts (alert_id, monitor, condition, kind, severity, check_id, created_at, "
                "message_json, sinks, delivered, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    alert.alert_id,
                    alert.monitor,
                    alert.condition,
                    alert.kind,
                    alert.severity,
                    alert.check_id,
                    alert.created_at,
                    json.dumps(alert.message, sort_keys=True, default=str),
                    list(alert.sinks),
                    list(alert.delivered),
                    alert.last_error,
                ],
            )


_ALERT_SQL = (
    "SELECT alert_id, monitor, condition, kind, severity, check_id, created_at, message_json, sinks, "
    "delivered, last_error FROM monitor_alerts"
)


def _alert(row: tuple) -> AlertRow:
    values = list(row)
    values[7] = json.loads(values[7])
    values[8] = tuple(values[8] or ())
    values[9] = tuple(values[9] or ())
    return AlertRow(*values)


def list_alerts(store: Store, monitor: str | None = None, limit: int = 100) -> list[AlertRow]:
    if monitor is None:
        rows = store.query(_ALERT_SQL + " ORDER BY created_at DESC, alert_id LIMIT ?", [limit])
    else:
        rows = store.query(
            _ALERT_SQL + " WHERE monitor = ? ORDER BY created_at DESC, alert_id LIMIT ?", [monitor, limit]
        )
    return [_alert(r) for r in rows]


def undelivered_alerts(store: Store, monitor: str) -> list[AlertRow]:
    """Alerts some configured sink has not received yet, oldest first."""
    rows = store.query(_ALERT_SQL + " WHERE monitor = ? ORDER BY created_at, alert_id", [monitor])
    return [a for a in (_alert(r) for r in rows) if a.pending]


def mark_delivered(store: Store, alert_id: str, sink: str | None, error: str | None) -> None:
    """Record one sink's delivery (sink given) or failure (error given)."""
    with store.transaction() as con:
        if sink is not None:
            row = con.execute("SELECT delivered FROM monitor_alerts WHERE alert_id = ?", [alert_id]).fetchone()
            delivered = list(row[0] or []) if row else []
            if sink not in delivered:
                con.execute(
                    "UPDATE monitor_alerts SET delivered = ? WHERE alert_id = ?", [delivered + [sink], alert_id]
                )
        if error is not None:
            con.execute("UPDATE monitor_alerts SET last_error = ? WHERE alert_id = ?", [error, alert_id])
