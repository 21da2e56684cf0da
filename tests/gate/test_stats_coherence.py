"""The gate's p-values and intervals cannot contradict each other: p ≤ a exactly when the level-(1 − a)
interval excludes 0 — on random paired data, for higher- and lower-is-better metrics (token perplexity is
a skewed, non-linear one), and for Holm's adjusted p-values with their adjusted intervals."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from evalharness.gate.stats import (draw_counts, exact_p, holm_adjust, order_interval, paired_bootstrap,
                                    tail_count)
from evalharness.metrics import build_metric

METRICS = ("exact_match", "word_accuracy", "edit_similarity", "bits_per_char", "token_perplexity")


def _stats(name: str, rng: np.random.Generator, n: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-item statistics of two systems in the metric's own shape; `shift` moves the candidate."""
    if name == "exact_match":
        champ = rng.integers(0, 2, n).astype(float)
        cand = np.where(rng.random(n) < 0.5 + shift / 2, 1.0, champ)
        return np.column_stack([cand, np.ones(n)]), np.column_stack([champ, np.ones(n)])
    if name in ("word_accuracy", "edit_similarity"):
        size = rng.integers(1, 8, n).astype(float)
        champ = np.floor(rng.random(n) * (size + 1)) if name == "word_accuracy" else rng.random(n)
        cand = np.clip(champ + rng.normal(shift, 1.0, n), 0, size if name == "word_accuracy" else 1)
        total = size if name == "word_accuracy" else np.ones(n)
        return np.column_stack([cand, total]), np.column_stack([champ, total])
    tokens = rng.integers(1, 30, n).astype(float)
    chars = tokens * rng.uniform(2, 5, n)
    champ_nll = tokens * rng.lognormal(0.5, 0.8, n)              # heavy-tailed, like real perplexities
    cand_nll = champ_nll * rng.lognormal(-shift, 0.5, n)
    return np.column_stack([cand_nll, tokens, chars]), np.column_stack([champ_nll, tokens, chars])


def _excludes_zero(low: float, high: float) -> bool:
    return low > 0 or high < 0


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(2, 60), metric=st.sampled_from(METRICS),
       shift=st.floats(-1.0, 1.0), resamples=st.integers(100, 400), alpha=st.sampled_from([0.01, 0.05, 0.1, 0.2]))
def test_p_and_interval_agree_on_random_paired_data(seed: int, n: int, metric: str, shift: float, resamples: int,
                                                    alpha: float) -> None:
    m = build_metric(metric)
    cand, champ = _stats(metric, np.random.default_rng(seed), n, shift)
    kept: dict[str, np.ndarray] = {}
    est = paired_bootstrap(m, cand, champ, draw_counts([n], resamples, seed + 1), alpha=alpha, power=0.8, keep=kept)
    gains = kept["gains"]
    assert est.tail == tail_count(gains) and len(gains) == resamples - est.n_undefined
    assert (est.p_value <= alpha) == _excludes_zero(est.ci_low, est.ci_high)
    # the same holds at every level, not just the configured one
    for a in (Fraction(1, 100), Fraction(1, 20), Fraction(3, 20), Fraction(2, 5)):
        low, high = order_interval(gains, a)
        assert (exact_p(est.tail, len(gains)) <= a) == _excludes_zero(low, high)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(5, 60), size=st.integers(1, 6),
       resamples=st.integers(100, 400), alpha=st.sampled_from([0.05, 0.1]))
def test_holm_adjusted_intervals_agree_with_holm_p(seed: int, n: int, size: int, resamples: int,
                                                   alpha: float) -> None:
    rng = np.random.default_rng(seed)
    counts = draw_counts([n], resamples, seed + 1)
    tails, gains = [], []
    for k in range(size):
        name = METRICS[k % len(METRICS)]
        cand, champ = _stats(name, rng, n, float(rng.uniform(-1, 1)))
        kept: dict[str, np.ndarray] = {}
        est = paired_bootstrap(build_metric(name), cand, champ, counts, alpha=alpha, power=0.8, keep=kept)
        tails.append(est.tail)
        gains.append(kept["gains"])
    adjusted = holm_adjust(tails, gains, alpha)
    for h, tail, g in zip(adjusted, tails, gains):
        assert h.rejected == (h.p_holm <= alpha) == _excludes_zero(h.ci_low, h.ci_high)
        assert h.p_holm >= float(exact_p(tail, len(g)))          # adjusting never lowers a p-value
        assert h.level >= 1 - alpha                              # nor narrows an interval below 1 − α


def test_a_skewed_lower_is_better_metric_no_longer_contradicts_itself() -> None:
    """The case seen in the wild: token perplexity's interval far from 0 next to a large p."""
    rng = np.random.default_rng(3)
    cand, champ = _stats("token_perplexity", rng, 40, -0.6)
    est = paired_bootstrap(build_metric("token_perplexity"), cand, champ, draw_counts([40], 1000, 9), alpha=0.05,
                           power=0.8)
    assert (est.p_value <= 0.05) == _excludes_zero(est.ci_low, est.ci_high)


def test_the_decision_and_report_pair_holm_p_with_the_holm_adjusted_interval() -> None:
    from evalharness.config import GateConfig
    from evalharness.gate.compare import Comparison, MetricComparison, SuiteRuns, with_holm
    from evalharness.gate.decide import decide

    rng = np.random.default_rng(11)
    counts = draw_counts([50], 1000, 5)
    comparisons, gains = [], {}
    for name, shift in (("edit_similarity", 0.4), ("word_accuracy", 0.05)):
        cand, champ = _stats(name, rng, 50, shift)
        kept: dict[str, np.ndarray] = {}
        est = paired_bootstrap(build_metric(name), cand, champ, counts, alpha=0.05, power=0.8, keep=kept)
        gains[name] = kept["gains"]
        comparisons.append(MetricComparison(
            metric=name, status="compared", reason=None, higher_is_better=True, signature="s", n_items=50,
            n_paired=50, drops=(), estimate=est, p_holm=None, candidate_corpus=est.candidate_score,
            champion_corpus=est.champion_score, per_suite=(), crosscheck=()))
    family = with_holm(comparisons, {"edit_similarity", "word_accuracy"}, gains, alpha=0.05)
    best = min(family, key=lambda m: m.estimate.p_value)  # type: ignore[union-attr]
    assert best.holm_level == 0.975  # rank 0 of 2: α/2
    suite = SuiteRuns(suite="s", version="1", suite_hash="h" * 64, candidate_run="a", candidate_status="complete",
                      candidate_failed=0, champion_run="b", champion_status="complete", champion_failed=0)
    policy = GateConfig(primary={"edit_similarity": 0.0, "word_accuracy": 0.0}, guards={}, required=[])
    decision = decide(policy, Comparison(suites=(suite,), metrics=tuple(family), relapses=None, seed=1,
                                         resamples=1000, alpha=0.05, power=0.8), has_champion=True)
    for m in family:
        check = next(c for c in decision.checks if c.metric == m.metric)
        assert "Holm-adjusted" in check.message and f"Holm p = {m.p_holm:.4f}" in check.message
        assert (check.verdict == "pass") == (m.holm_ci_low > 0) == bool(m.holm_rejected)  # type: ignore[operator]
