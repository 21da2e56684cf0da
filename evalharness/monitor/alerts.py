"""Which alerts a check raises: a state machine over conditions, so people hear of changes, not of every check.

Each condition (drift, endpoint gone, errors, retirement) is on or off after a check. An alert is sent
when a condition turns on (`raised`), when it turns off (`recovered`), and — while it stays on — as a
`reminder` once `reminder` has passed since the last notice. A condition a check could not evaluate
(no answers to compare when the endpoint is gone) keeps its state and sends nothing. The function is
pure: the store keeps the states and the events, the clock is an argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

Condition = Literal["drift", "endpoint_gone", "errors", "retirement"]
EventKind = Literal["raised", "recovered", "reminder"]
CONDITIONS: tuple[Condition, ...] = ("endpoint_gone", "drift", "errors", "retirement")
SEVERITY: dict[str, str] = {"drift": "error", "endpoint_gone": "error", "errors": "error", "retirement": "warning"}
TITLES: dict[str, str] = {
    "drift": "the endpoint's answers changed",
    "endpoint_gone": "the endpoint is gone",
    "errors": "the endpoint is failing",
    "retirement": "the model retires soon",
}
RECOVERED: dict[str, str] = {
    "drift": "the endpoint's answers match the baseline again",
    "endpoint_gone": "the endpoint answers again",
    "errors": "the endpoint answers without errors again",
    "retirement": "the model no longer retires within the horizon",
}


@dataclass(frozen=True)
class ConditionState:
    condition: str
    active: bool
    since: datetime | None = None  # when it last turned on
    last_notice: datetime | None = None  # when the last raised/reminder alert was made
    detail: str = ""


@dataclass(frozen=True)
class Observation:
    """What one check found about one condition. `active=None`: the check could not tell."""

    condition: str
    active: bool | None
    detail: str = ""


@dataclass(frozen=True)
class AlertEvent:
    condition: str
    kind: EventKind
    severity: str
    detail: str
    since: datetime | None
    when: datetime

    @property
    def headline(self) -> str:
        if self.kind == "recovered":
            return "recovered: " + RECOVERED.get(self.condition, self.condition)
        return ("reminder: " if self.kind == "reminder" else "") + TITLES.get(self.condition, self.condition)


def transition(
    states: Mapping[str, ConditionState], observations: Iterable[Observation], now: datetime, reminder: timedelta | None
) -> tuple[dict[str, ConditionState], list[AlertEvent]]:
    """New states and the alerts they call for. `reminder=None` sends no reminders."""
    new = dict(states)
    events: list[AlertEvent] = []
    for obs in observations:
        old = states.get(obs.condition, ConditionState(obs.condition, False))
        if obs.active is None:
            continue
        severity = SEVERITY.get(obs.condition, "error")
        if obs.active and not old.active:
            new[obs.condition] = ConditionState(obs.condition, True, since=now, last_notice=now, detail=obs.detail)
            events.append(AlertEvent(obs.condition, "raised", severity, obs.detail, now, now))
        elif not obs.active and old.active:
            new[obs.condition] = ConditionState(obs.condition, False, since=None, last_notice=now, detail=obs.detail)
            events.append(AlertEvent(obs.condition, "recovered", "notice", obs.detail, old.since, now))
        elif obs.active and old.active:
            due = reminder is not None and (old.last_notice is None or now - old.last_notice >= reminder)
            new[obs.condition] = replace(old, detail=obs.detail, last_notice=now if due else old.last_notice)
            if due:
                events.append(AlertEvent(obs.condition, "reminder", severity, obs.detail, old.since, now))
        else:
            new[obs.condition] = replace(old, detail=obs.detail)
    return new, events
