"""The decision rules on hand-built comparisons: Holm's family, guards, convergence bookkeeping."""

from __future__ import annotations

import pytest

from evalharness.config import GateConfig
from evalharness.gate.compare import Comparison, MetricComparison, SuiteRuns, with_holm
from evalharness.gate.decide import decide
from evalharness.gate.stats import PairedEstimate


def metric(name: str, gain: float, ci_low: float, p: float, higher: bool = True) -> MetricComparison:
    est = PairedEstimate(n_paired=400, champion_score=20.0, candidate_score=20.0 + gain, delta=gain if higher else -gain,
                         gain=gain, ci_low=ci_low, ci_high=gain + (gain - ci_low), p_value=p, se=0.2, mde=0.56,
                         mde_basis="paired", n_resamples=1000, n_undefined=0)
    return MetricComparison(metric=name, status="compared", reason=None, higher_is_better=higher, signature="s",
                            n_items=400, n_paired=400, drops=(), estimate=est, p_holm=None, candidate_corpus=20 + gain,
                            champion_corpus=20.0, per_suite=(), crosscheck=())


def comparison(metrics: list[MetricComparison]) -> Comparison:
    suite = SuiteRuns(suite="s", version="1", suite_hash="h" * 64, candidate_run="run-a", candidate_status="complete",
                      candidate_failed=0, champion_run="run-b", champion_status="complete", champion_failed=0)
    return Comparison(suites=(suite,), metrics=tuple(metrics), relapses=None, seed=1, resamples=1000, alpha=0.05,
                      power=0.8)


# A small real gain on the primary metric (p = 0.02) next to seven metrics that decide nothing.
SMALL_GAIN = [metric("chrf++", 0.43, 0.02, 0.02)] + [metric(f"m{i}", 0.1, -0.5, 0.5) for i in range(7)]


@pytest.mark.parametrize("family, outcome, holm_p", [("primary", "advance", 0.02), ("all", "revert", 0.16)])
def test_holm_family_decides_how_much_multiplicity_counts(family: str, outcome: str, holm_p: float) -> None:
    policy = GateConfig(primary={"chrf++": 0.0}, guards={}, holm_family=family)
    metrics = with_holm(SMALL_GAIN, None if family == "all" else {"chrf++"})
    assert metrics[0].p_holm == pytest.approx(holm_p)
    # the family is exactly what was adjusted: with "primary" the other metrics carry no Holm p
    assert all((m.p_holm is None) == (family == "primary") for m in metrics[1:])
    decision = decide(policy, comparison(metrics), has_champion=True)
    assert decision.outcome == outcome
    if outcome == "revert":
        assert "not significant after Holm correction" in decision.reasons[0]


def test_guard_margin_is_a_bound_on_the_ci_not_the_point_estimate() -> None:
    policy = GateConfig(primary={"chrf++": 0.0}, guards={"embedding_cosine": 2.0})
    ok = with_holm([metric("chrf++", 3.0, 1.0, 0.001), metric("embedding_cosine", -0.5, -1.9, 0.3)], {"chrf++"})
    bad = with_holm([metric("chrf++", 3.0, 1.0, 0.001), metric("embedding_cosine", -0.5, -2.1, 0.3)], {"chrf++"})
    assert decide(policy, comparison(ok), has_champion=True).outcome == "advance"
    result = decide(policy, comparison(bad), has_champion=True)
    assert result.outcome == "revert" and "embedding_cosine (guard, margin 2)" in result.reasons[0]


def test_convergence_needs_n_small_recorded_advances() -> None:
    policy = GateConfig(primary={"chrf++": 0.0}, guards={}, convergence_epsilon=0.5, convergence_rounds=3)
    small = with_holm([metric("chrf++", 0.3, 0.1, 0.001)], {"chrf++"})
    c = comparison(small)
    assert decide(policy, c, has_champion=True, previous_advance_gains=[{"chrf++": 0.2}]).outcome == "advance"
    assert decide(policy, c, has_champion=True,
                  previous_advance_gains=[{"chrf++": 0.2}, {"chrf++": 2.0}]).outcome == "advance"
    converged = decide(policy, c, has_champion=True, previous_advance_gains=[{"chrf++": 0.2}, {"chrf++": 0.4}])
    assert converged.outcome == "converged" and converged.exit_code == 0 and converged.advances
