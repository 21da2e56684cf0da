"""After a check: conditions → state changes → alert messages → delivery to every configured sink.

The new states and the alerts they make are written in one transaction before anything is sent; then each
sink's delivery is recorded. A sink that fails keeps the alert pending and gets it on the next check, so an
alert reaches each sink once, even across crashes and outages.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..store import Store
from ..store import monitor_alerts as alerts_db
from .alerts import AlertEvent, ConditionState, Observation, transition
from .settings import MonitorConfig
from .sinks import AlertMessage, Sink, SinkError, build_sinks

if TYPE_CHECKING:
    from .check import CheckResult


@dataclass(frozen=True)
class Delivery:
    alert_id: str
    condition: str
    kind: str
    sink: str
    ok: bool
    error: str | None = None


def configured_sinks(monitor: MonitorConfig, env: Mapping[str, str] | None = None) -> list[Sink]:
    return build_sinks(monitor.alerts, env)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def observations(result: CheckResult) -> list[Observation]:
    """What this check says about each condition (None: it cannot tell)."""
    check, monitor = result.check, result.target.monitor
    t = monitor.thresholds
    gone = check.status == "gone"
    retirement = result.retirement
    if gone:
        gone_detail = (
            retirement.describe()
            if retirement is not None and retirement.gone
            else "; ".join(result.notes) or "the endpoint's model answers 404"
        )
        gone_obs = Observation("endpoint_gone", True, gone_detail)
    elif check.status == "complete" or (
        retirement is not None and any(x.role == "model" and x.status == "ok" for x in retirement.lookups)
    ):
        gone_obs = Observation("endpoint_gone", False, "the endpoint answers")
    else:
        gone_obs = Observation("endpoint_gone", None)
    if gone or check.error_rate is None:
        errors = Observation("errors", None)
    else:
        errors = Observation(
            "errors",
            check.error_rate > t.max_error_rate,
            f"{check.n_failed} of {check.n_items} canary requests failed "
            f"({_pct(check.error_rate)}; the limit is {_pct(t.max_error_rate)})",
        )
    drift = result.drift
    if drift is None or check.status != "complete":
        drift_obs = Observation("drift", None)
    else:
        c = result.drift_changes
        parts = []
        if c is not None and c.compared:
            counted = c.logprob_changed if c.logprob_share is not None else c.changed
            parts.append(
                f"{counted} of {c.compared} canary answers differ from the established ones ({_pct(c.drift_share)}"
                + (", log-probabilities included)" if c.logprob_share is not None else ")")
            )
        if check.score_drop is not None:
            parts.append(f"{monitor.primary} is {check.score_drop:+.2f} below the baseline")
        drift_obs = Observation("drift", drift.active, "; ".join(parts))
    if retirement is None or all(x.status in ("unsupported", "unknown") for x in retirement.lookups) or gone:
        retire_obs = Observation("retirement", None)
    else:
        horizon = t.retirement_horizon_days
        retire_obs = Observation(
            "retirement",
            retirement.within(horizon),
            retirement.describe()
            + (f" — gate a replacement (warning horizon {horizon} days)" if retirement.within(horizon) else ""),
        )
    return [gone_obs, drift_obs, errors, retire_obs]


def facts(result: CheckResult, condition: str) -> tuple[str, ...]:
    """Aggregates only: numbers about the canary, never its items."""
    check, monitor = result.check, result.target.monitor
    out = [
        f"Check {check.seq} at {check.started_at:%Y-%m-%d %H:%M} UTC: {check.status}, "
        f"{check.n_ok} of {check.n_items} canary items answered"
    ]
    if condition == "drift" and result.drift is not None:
        d = result.drift
        out.append(
            f"Sequential test: wealth {d.path.last:.3g} (alarm at 1/α = {d.path.threshold:g}, α = "
            f"{d.path.alpha:g}) over {len(d.path.combined)} check(s) since check {d.test_start}"
        )
        for m in result.metrics:
            if m.baseline_score is not None and m.check_score is not None:
                ci = m.estimate or {}
                out.append(
                    f"{m.metric}: baseline {m.baseline_score:.2f} → {m.check_score:.2f} "
                    f"(gain CI {ci.get('ci_low', float('nan')):+.2f} to {ci.get('ci_high', float('nan')):+.2f}, "
                    f"{m.n_paired} paired items)"
                )
        t = monitor.thresholds
        out.append(
            f"Tolerances: changed answers {_pct(t.changed_share)} (temperature 0 only), "
            f"{monitor.primary} drop {t.score_drop:g}"
        )
    if condition == "retirement" and result.retirement is not None and result.retirement.days_left is not None:
        out.append(f"Days until shutdown: {result.retirement.days_left}")
    return tuple(out)


def examples(result: CheckResult, condition: str) -> tuple[str, ...]:
    """Up to three changed items — only when every canary suite's governance allows publication."""
    if condition != "drift" or not result.target.publishable or result.drift_changes is None:
        return ()
    by_key = result.target.canary.by_key()
    out = []
    for key in result.drift_changes.changed_keys[:3]:
        item = by_key[key].item
        out.append(f"{item.id}: {item.prompt!r} → expected {item.reference!r}")
    return tuple(out)


def _message(result: CheckResult, event: AlertEvent) -> AlertMessage:
    cp = result.target.checkpoint
    return AlertMessage(
        monitor=result.target.name,
        endpoint=f"{cp.name} ({cp.backend} model {cp.model})",
        event=event,
        facts=facts(result, event.condition),
        examples=examples(result, event.condition),
        check_id=result.check.check_id,
    )


def message_to_json(message: AlertMessage) -> dict[str, Any]:
    e = message.event
    return {
        "monitor": message.monitor,
        "endpoint": message.endpoint,
        "facts": list(message.facts),
        "examples": list(message.examples),
        "check_id": message.check_id,
        "event": {
            "condition": e.condition,
            "kind": e.kind,
            "severity": e.severity,
            "detail": e.detail,
            "since": e.since.isoformat() if e.since else None,
            "when": e.when.isoformat(),
        },
        "title": message.title,
        "text": message.text(),
    }


def message_from_json(data: dict[str, Any]) -> AlertMessage:
    e = data["event"]
    event = AlertEvent(
        e["condition"],
        e["kind"],
        e["severity"],
        e["detail"],
        datetime.fromisoformat(e["since"]) if e["since"] else None,
        datetime.fromisoformat(e["when"]),
    )
    return AlertMessage(
        monitor=data["monitor"],
        endpoint=data["endpoint"],
        event=event,
        facts=tuple(data["facts"]),
        examples=tuple(data["examples"]),
        check_id=data["check_id"],
    )


def _states(store: Store, monitor: str) -> dict[str, ConditionState]:
    return {
        r.condition: ConditionState(r.condition, r.active, r.since, r.last_notice, r.detail)
        for r in alerts_db.alert_states(store, monitor)
    }


def after_check(store: Store, result: CheckResult, sinks: Sequence[Sink], *, now: datetime) -> list[Delivery]:
    """Update the conditions, record the alerts they call for, and deliver every pending alert."""
    monitor = result.target.name
    reminder_days = result.target.monitor.alerts.reminder_days
    old = _states(store, monitor)
    new, events = transition(old, observations(result), now, timedelta(days=reminder_days) if reminder_days else None)
    changed = [
        alerts_db.AlertStateRow(monitor, s.condition, s.active, s.since, s.last_notice, s.detail)
        for c, s in new.items()
        if old.get(c) != s
    ]
    alerts = [
        alerts_db.AlertRow(
            "alert-" + uuid.uuid4().hex[:12],
            monitor,
            e.condition,
            e.kind,
            e.severity,
            result.check.check_id,
            now,
            message_to_json(_message(result, e)),
            tuple(s.name for s in sinks),
            (),
            None,
        )
        for e in events
    ]
    alerts_db.record_alerts(store, monitor, changed, alerts)
    return deliver_pending(store, monitor, sinks)


def deliver_pending(store: Store, monitor: str, sinks: Sequence[Sink]) -> list[Delivery]:
    """Send every alert a configured sink has not received yet (oldest first); record each outcome."""
    out = []
    by_name = {s.name: s for s in sinks}
    for alert in alerts_db.undelivered_alerts(store, monitor):
        message = message_from_json(alert.message)
        for name in alert.pending:
            sink = by_name.get(name)
            if sink is None:
                continue  # no longer configured: nothing to send it to
            try:
                sink.send(message)
            except SinkError as exc:
                alerts_db.mark_delivered(store, alert.alert_id, None, str(exc))
                out.append(Delivery(alert.alert_id, alert.condition, alert.kind, name, False, str(exc)))
                continue
            alerts_db.mark_delivered(store, alert.alert_id, name, None)
            out.append(Delivery(alert.alert_id, alert.condition, alert.kind, name, True))
    return out
