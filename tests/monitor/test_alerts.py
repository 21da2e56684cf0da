"""Alerts on state changes only: raised once, reminded at the interval, recovered once."""

from __future__ import annotations

from datetime import datetime, timedelta

from evalharness.monitor.alerts import ConditionState, Observation, transition

T0 = datetime(2026, 12, 1, 6, 0)
WEEK = timedelta(days=7)


def _run(observations: list[list[Observation]], step: timedelta = timedelta(days=1)):
    states: dict[str, ConditionState] = {}
    events = []
    for i, obs in enumerate(observations):
        states, new = transition(states, obs, T0 + i * step, WEEK)
        events.append([(e.condition, e.kind) for e in new])
    return states, events


def test_an_alarm_is_sent_once_then_reminded_weekly_then_recovered_once() -> None:
    on = [Observation("drift", True, "changed 60 %")]
    off = [Observation("drift", False)]
    _, events = _run([off, off] + [on] * 10 + [off, off])
    flat = [(i, e) for i, day in enumerate(events) for e in day]
    assert flat == [(2, ("drift", "raised")), (9, ("drift", "reminder")), (12, ("drift", "recovered"))]


def test_no_reminders_when_the_interval_is_off_and_unknown_keeps_the_state() -> None:
    states, new = transition({}, [Observation("endpoint_gone", True, "404")], T0, None)
    assert [e.kind for e in new] == ["raised"]
    states, new = transition(states, [Observation("endpoint_gone", True)], T0 + 30 * WEEK, None)
    assert new == []
    states, new = transition(states, [Observation("endpoint_gone", None)], T0 + 31 * WEEK, None)
    assert new == [] and states["endpoint_gone"].active
    states, new = transition(states, [Observation("endpoint_gone", False)], T0 + 32 * WEEK, None)
    assert [(e.kind, e.since) for e in new] == [("recovered", T0)]


def test_conditions_change_independently() -> None:
    states, new = transition({}, [Observation("retirement", True, "in 30 days"), Observation("drift", False)],
                             T0, WEEK)
    assert [(e.condition, e.kind, e.severity) for e in new] == [("retirement", "raised", "warning")]
    states, new = transition(states, [Observation("retirement", True), Observation("drift", True)], T0, WEEK)
    assert [(e.condition, e.kind) for e in new] == [("drift", "raised")]
