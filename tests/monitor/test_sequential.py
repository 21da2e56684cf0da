"""The drift alarm's statistics: a betting supermartingale, Ville's bound, and how fast it reacts."""

from __future__ import annotations

import numpy as np
import pytest

from evalharness.monitor.sequential import StreamSpec, alarm_path, kelly_stake, wealth_path


def test_wealth_is_the_product_of_the_stakes_placed_before_each_value() -> None:
    spec = StreamSpec("changed", null_mean=0.1, lower=0.0)
    values = [0.0, 0.5, 0.6, None, 0.7]
    path = wealth_path(values, spec)
    expected, past = 1.0, []
    for x, stake in zip(values, path.stakes):
        assert stake == pytest.approx(kelly_stake(past, spec) if x is not None else 0.0)
        if x is not None:
            expected *= 1 + stake * (x - 0.1)
            past.append(x)
    assert path.wealth[-1] == pytest.approx(expected)
    assert path.stakes[0] == 0.0          # nothing is known before the first check
    assert path.stakes[1] == 0.0          # the first check looked like the null: nothing is staked on the second


def test_stakes_never_make_a_factor_negative_and_stay_zero_while_the_past_looks_null() -> None:
    spec = StreamSpec("changed", null_mean=0.1, lower=0.0, max_fraction=0.9)
    assert kelly_stake([0.0, 0.05, 0.1], spec) == 0.0
    big = kelly_stake([0.9, 0.9, 0.9], spec)
    assert big == pytest.approx(spec.max_stake)
    assert 1 + big * (0.0 - 0.1) == pytest.approx(0.1)   # the worst value still leaves 10 % of the wealth


def test_a_value_below_the_stated_lower_bound_is_refused() -> None:
    with pytest.raises(ValueError, match="below its stated lower bound"):
        wealth_path([-0.5], StreamSpec("changed", 0.1, 0.0))


def test_ville_bound_holds_at_the_null_boundary_over_200_checks() -> None:
    """Values whose mean is exactly the tolerance — the hardest null — alarm in at most α of the series."""
    rng = np.random.default_rng(2026)
    spec = StreamSpec("changed", 0.1, 0.0)
    alarms = sum(alarm_path({"changed": list(rng.binomial(50, 0.1, size=200) / 50)}, [spec], 0.05).alarm
                 for _ in range(100))
    # α = 0.05 → at most 5 of 100 expected; allow three binomial standard deviations of a 5 % rate (≈ 2.2 each).
    # The benchmark (benchmarks/monitor_drift.py) measures the rate over thousands of series.
    assert alarms <= 11, alarms


def test_a_repeated_fixed_alpha_test_would_not_hold_the_same_series() -> None:
    """Why not a z-test at every check: on the same null series it alarms far more often than α."""
    rng = np.random.default_rng(2026)
    alarms = 0
    for _ in range(200):
        x = rng.binomial(50, 0.1, size=200) / 50
        z = (x - 0.1) / np.sqrt(0.1 * 0.9 / 50)
        alarms += bool((z > 1.645).any())
    assert alarms > 150


def test_a_switch_is_detected_within_a_few_checks_after_a_long_quiet_run() -> None:
    rng = np.random.default_rng(7)
    spec = StreamSpec("changed", 0.1, 0.0)
    delays = []
    for _ in range(50):
        values = list(rng.binomial(50, 0.02, size=150) / 50) + list(rng.binomial(50, 0.6, size=20) / 50)
        path = alarm_path({"changed": values}, [spec], 0.05)
        assert path.first_alarm is not None and path.first_alarm >= 150
        delays.append(path.first_alarm - 150 + 1)
    assert max(delays) <= 4


def test_streams_are_averaged_and_a_missing_value_stakes_nothing() -> None:
    a = StreamSpec("changed", 0.1, 0.0)
    b = StreamSpec("score_drop", 3.0, -100.0)
    path = alarm_path({"changed": [0.0, 0.9, 0.9, 0.9], "score_drop": [None, None, 10.0, 12.0]}, [a, b], 0.05)
    assert path.streams[1].wealth[:2] == (1.0, 1.0)
    for t in range(4):
        assert path.combined[t] == pytest.approx((path.streams[0].wealth[t] + path.streams[1].wealth[t]) / 2)
    with pytest.raises(ValueError, match="different lengths"):
        alarm_path({"changed": [0.0], "score_drop": []}, [a, b], 0.05)
