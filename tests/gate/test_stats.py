"""The statistics, checked against sacrebleu's own paired bootstrap and against hand computations."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sacrebleu.metrics import CHRF
from sacrebleu.significance import PairedTest, estimate_ci

from evalharness.gate import stats
from evalharness.gate.stats import (draw_counts, holm, index_counts, mde_factor, paired_bootstrap,
                                    sacrebleu_p_value)
from evalharness.metrics import build_metric

from .labkit import corrupt, words


def test_holm_matches_a_hand_computed_example() -> None:
    # sorted: 0.005×4 = 0.02, 0.01×3 = 0.03, 0.03×2 = 0.06, 0.04×1 = 0.04 → running max 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1
    assert holm([0.02]) == pytest.approx([0.02])          # one test: unchanged


def test_mde_factor_is_2_8_for_the_usual_alpha_and_power() -> None:
    assert mde_factor(0.05, 0.8) == pytest.approx(1.959964 + 0.841621, abs=1e-5)


def test_index_counts_counts_every_draw() -> None:
    rng = np.random.default_rng(3)
    indices = rng.integers(0, 7, size=(5, 7))
    counts = index_counts(indices, 7)
    expected = np.array([[np.sum(row == j) for j in range(7)] for row in indices])
    assert np.array_equal(counts, expected)
    assert counts.sum(axis=1).tolist() == [7] * 5


@pytest.mark.parametrize("block", [2_000_000, 100])   # one block, or many blocks of two rows
def test_each_stratum_draws_what_sacrebleu_would_with_its_seed(block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stats, "_CHUNK_DRAWS", block)
    counts = draw_counts([40, 25], 200, seed=99)
    first = np.random.default_rng(99).choice(40, size=(200, 40), replace=True)
    second = np.random.default_rng(100).choice(25, size=(200, 25), replace=True)
    assert np.array_equal(counts[:, :40], index_counts(first, 40))
    assert np.array_equal(counts[:, 40:], index_counts(second, 25))


def test_counts_matrix_equals_gathering_the_rows() -> None:
    """counts @ stats is the sum of the drawn rows — the definition of a bootstrap resample."""
    rng = np.random.default_rng(5)
    stats = rng.random((30, 2))
    indices = np.random.default_rng(11).choice(30, size=(50, 30), replace=True)
    assert np.allclose(index_counts(indices, 30) @ stats, stats[indices].sum(axis=1))


def _systems(n: int, seed: int = 42) -> tuple[list[str], list[str], list[str]]:
    rng = random.Random(seed)
    refs = [" ".join(words(rng, rng.randint(3, 9))) for _ in range(n)]
    base = [corrupt(r, 0.5, rng) for r in refs]
    cand = [corrupt(r, 0.35, rng) for r in refs]
    return refs, base, cand


@pytest.mark.parametrize("name", ["chrf", "chrf++"])
def test_chrf_bootstrap_agrees_with_sacrebleu_paired_test(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    refs, base, cand = _systems(300)
    metric = build_metric(name)
    chrf = metric.sacrebleu
    base_stats = np.array(chrf._extract_corpus_statistics(base, [refs]), dtype=float)
    cand_stats = np.array(chrf._extract_corpus_statistics(cand, [refs]), dtype=float)
    seed = 2024
    kept: dict[str, np.ndarray] = {}
    ours = paired_bootstrap(metric, cand_stats, base_stats, draw_counts([300], 1000, seed), alpha=0.05, power=0.8,
                            keep=kept)

    monkeypatch.setenv("SACREBLEU_SEED", str(seed))
    word_order = 2 if name == "chrf++" else 0
    _, scores = PairedTest([("base", base), ("cand", cand)], {"chrF": CHRF(word_order=word_order)},
                           references=[refs], test_type="bs", n_samples=1000)()
    (sb_base, sb_cand), = [v for k, v in scores.items() if k != "System"]

    assert ours.champion_score == pytest.approx(sb_base.score, abs=1e-9)
    assert ours.candidate_score == pytest.approx(sb_cand.score, abs=1e-9)
    # our resamples are sacrebleu's: its p-value formula on them gives exactly its p
    assert sacrebleu_p_value(kept["candidate"], kept["champion"], ours.delta) == pytest.approx(sb_cand.p_value,
                                                                                               abs=1e-12)
    # sacrebleu's mean and CI half-width of the candidate's resampled scores come from the same draws
    mean, half_width = estimate_ci(kept["candidate"])
    assert mean == pytest.approx(sb_cand.mean, abs=1e-4)
    assert half_width == pytest.approx(sb_cand.ci, abs=1e-4)
    # and the gain is real and positive here (a third fewer corrupted words)
    assert ours.gain > 0 and ours.ci_low > 0


def test_sacrebleu_p_value_formula_and_identical_systems() -> None:
    cand = np.array([1.0, 2.0, 3.0, 4.0])
    champ = np.array([1.0, 1.0, 1.0, 1.0])
    # |d*| = 0,1,2,3; centred = -1.5,-0.5,0.5,1.5; observed 1.0 → one exceeds → (1+1)/(4+1)
    assert sacrebleu_p_value(cand, champ, 1.0) == pytest.approx(0.4)
    assert sacrebleu_p_value(champ, champ, 0.0) == 1.0


def test_lower_is_better_metrics_orient_the_gain() -> None:
    metric = build_metric("bits_per_char")
    rng = np.random.default_rng(1)
    chars = rng.integers(20, 60, size=200).astype(float)
    champ = np.column_stack([chars * 2.0 * np.log(2), chars / 3, chars])        # 2.0 bits per char
    cand = np.column_stack([chars * 1.8 * np.log(2) + rng.normal(0, 0.5, 200), chars / 3, chars])
    est = paired_bootstrap(metric, cand, champ, draw_counts([200], 500, 7), alpha=0.05, power=0.8)
    assert est.delta == pytest.approx(est.candidate_score - est.champion_score)
    assert est.delta < 0 < est.gain          # fewer bits per char is better
    assert est.ci_low > 0 and est.mde is not None and est.mde_basis == "paired"
