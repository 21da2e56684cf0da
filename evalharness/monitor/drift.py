"""The drift condition across checks: which streams are watched, when a test starts, alarms, recovers.

A test runs from the first check against a baseline (or the first check after a recovery) and feeds every
later check's stream values into `sequential.alarm_path`. Once its wealth reaches 1/α the drift alarm is on
and stays on — a value below the threshold later does not undo evidence already seen — until
`recover_after` consecutive complete checks are each within every tolerance; then the alarm is off and a
new test starts with the next check (a new baseline, from `monitor rebaseline`, also starts one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .sequential import AlarmPath, StreamSpec, alarm_path
from .settings import SCORE_RANGE, MonitorConfig

STREAMS = ("changed", "score_drop")


def stream_specs(monitor: MonitorConfig, *, deterministic: bool) -> list[StreamSpec]:
    """The watched streams. Changed answers only mean something where decoding is deterministic (temperature 0)."""
    t = monitor.thresholds
    specs = []
    if deterministic:
        specs.append(StreamSpec("changed", null_mean=t.changed_share, lower=0.0, half_life=t.half_life))
    lo, hi = SCORE_RANGE[monitor.primary]
    specs.append(StreamSpec("score_drop", null_mean=t.score_drop, lower=-(hi - lo), half_life=t.half_life))
    return specs


@dataclass(frozen=True)
class PastCheck:
    """What the drift test needs of an earlier check (read from its stored summary)."""

    seq: int
    values: Mapping[str, float | None]
    test_start: int
    active: bool
    recovered: bool


@dataclass(frozen=True)
class DriftStatus:
    test_start: int
    specs: tuple[StreamSpec, ...]
    path: AlarmPath
    active: bool
    recovered: bool
    raised_now: bool

    def to_json(self, values: Mapping[str, float | None]) -> dict[str, Any]:
        return {
            "test_start": self.test_start,
            "values": dict(values),
            "wealth": self.path.last,
            "threshold": self.path.threshold,
            "alpha": self.path.alpha,
            "active": self.active,
            "recovered": self.recovered,
            "checks_in_test": len(self.path.combined),
            "streams": {
                p.spec.name: {
                    "wealth": p.wealth[-1] if p.wealth else 1.0,
                    "stake": p.stakes[-1] if p.stakes else 0.0,
                    "null_mean": p.spec.null_mean,
                    "lower": p.spec.lower,
                }
                for p in self.path.streams
            },
        }


def within_tolerance(values: Mapping[str, float | None], specs: Sequence[StreamSpec]) -> bool:
    return all(values.get(s.name) is not None and values[s.name] <= s.null_mean for s in specs)  # type: ignore[operator]


def drift_status(
    past: Sequence[PastCheck],
    seq: int,
    values: Mapping[str, float | None],
    monitor: MonitorConfig,
    *,
    deterministic: bool,
) -> DriftStatus:
    """The drift test after check `seq`, given the earlier checks against the same baseline (oldest first)."""
    specs = tuple(stream_specs(monitor, deterministic=deterministic))
    previous = past[-1] if past else None
    if previous is None or previous.recovered:
        test_start = seq
    else:
        test_start = previous.test_start
    in_test = [p for p in past if p.seq >= test_start]
    series = {s.name: [p.values.get(s.name) for p in in_test] + [values.get(s.name)] for s in specs}
    path = alarm_path(series, specs, monitor.thresholds.alpha)
    was_active = previous is not None and previous.active and not previous.recovered
    recovered = False
    if was_active:
        n = monitor.thresholds.recover_after
        recent = [p.values for p in in_test][-(n - 1) :] if n > 1 else []
        recent = recent + [values]
        recovered = len(recent) >= n and all(within_tolerance(v, specs) for v in recent)
        active = not recovered
    else:
        active = path.alarm
    return DriftStatus(
        test_start=test_start,
        specs=specs,
        path=path,
        active=active,
        recovered=recovered,
        raised_now=active and not was_active,
    )
