"""Spelling-aware scores: the right word in another spelling is not scored like a wrong word."""

from __future__ import annotations

import numpy as np
import pytest
from sacrebleu.metrics import CHRF

from evalharness.language import load_language
from evalharness.metrics import ScoringInput
from evalharness.metrics.chrf import ChrF
from evalharness.metrics.spelling import DiacriticErrors, FoldedChrF
from evalharness.suites import Item

STO = load_language("sto")
# (answer in another spelling system, the reference as the seed dictionary writes it)
VARIANTS = [("sų́ga", "sûga"), ("wįčhá", "wîcha"), ("rhâîtach", "rhaîtach"), ("Ĩyãħé", "Îyârhe"),
            ("hnuthija", "hnuṯẖija")]


def _inputs(pairs: list[tuple[str | None, str]]) -> list[ScoringInput]:
    return [ScoringInput(item=Item(id=str(i), prompt="p", reference=r), hypothesis=h) for i, (h, r) in enumerate(pairs)]


def build_metric(name: str, language=STO):
    """The metrics as the registry builds them for a suite whose card is `language`."""
    return {"chrf": lambda: ChrF(0), "chrf++": lambda: ChrF(2), "chrf_folded": lambda: FoldedChrF(0, language),
            "chrf++_folded": lambda: FoldedChrF(2, language),
            "diacritic_error_rate": lambda: DiacriticErrors("rate", language),
            "diacritic_error_share": lambda: DiacriticErrors("share", language)}[name]()


def _scores(name: str, pairs: list[tuple[str | None, str]]) -> list[float]:
    metric = build_metric(name, language=STO)
    return [metric.score(np.array(s.stats)) for s in metric.item_stats(_inputs(pairs))]


def test_a_correct_answer_in_another_spelling_scores_100_folded() -> None:
    raw = _scores("chrf", VARIANTS)
    folded = _scores("chrf_folded", VARIANTS)
    assert folded == pytest.approx([100.0] * len(VARIANTS))
    assert max(raw) < 60                                   # raw chrF scores them like wrong words
    assert _scores("chrf++_folded", VARIANTS) == pytest.approx([100.0] * len(VARIANTS))


def test_folded_chrf_is_sacrebleu_on_folded_text() -> None:
    pairs = [("The word wįčhá means man.", "`wîcha` means 'man'."), ("keya", "hayis"), ("Tâga înech", "tâga înech")]
    metric = build_metric("chrf++_folded", language=STO)
    stats = metric.item_stats(_inputs(pairs))
    reference = CHRF(word_order=2)
    for s, (h, r) in zip(stats, pairs):
        assert metric.score(np.array(s.stats)) == pytest.approx(
            reference.sentence_score(STO.fold(h), [STO.fold(r)]).score, abs=1e-9)
    corpus = reference.corpus_score([STO.fold(h) for h, _ in pairs], [[STO.fold(r) for _, r in pairs]]).score
    assert metric.score(np.sum([s.stats for s in stats], axis=0)) == pytest.approx(corpus, abs=1e-9)
    assert f"fold:sto@{STO.fingerprint}" in metric.signature()


def test_wrong_word_and_wrong_spelling_are_told_apart() -> None:
    pairs = [("wicha", "wîcha"), ("keya", "hayis"), ("wîcha", "wîcha"), (None, "tâga")]
    share = build_metric("diacritic_error_share", language=STO)
    rate = build_metric("diacritic_error_rate", language=STO)
    s = share.item_stats(_inputs(pairs))
    assert [x.stats for x in s[:3]] == [(1.0, 0.0, 5.0), (4.0, 4.0, 5.0), (0.0, 0.0, 5.0)]
    assert s[3].status == "failed" and s[3].stats is None
    per_item = share.score_many(np.array([x.stats for x in s[:3]]))
    assert per_item[0] == 100.0 and per_item[1] == 0.0 and np.isnan(per_item[2])   # no error: nothing to share
    total = np.sum([x.stats for x in s[:3]], axis=0)
    assert share.score(total) == pytest.approx(100 * 1 / 5)
    assert rate.score(total) == pytest.approx(100 * 1 / 15)
    assert not share.higher_is_better and not rate.higher_is_better


def test_without_a_language_the_fold_is_generic_and_says_so() -> None:
    metric = build_metric("chrf_folded", language=None)
    [stat] = metric.item_stats(_inputs([("WÎCHA", "wicha")]))
    assert metric.score(np.array(stat.stats)) == pytest.approx(100.0)
    assert "fold:generic" in metric.signature()


def test_the_registry_builds_them_with_the_suites_card(tmp_path) -> None:
    from evalharness.metrics import build_metric as registry_build
    from evalharness.suites import load_suite

    from tests.helpers import write_suite

    suite = load_suite(write_suite(tmp_path / "s", [{"id": "1", "prompt": "p", "reference": "sûga"}], language="sto"))
    metric = registry_build("chrf_folded", None, suite)
    assert f"fold:sto@{STO.fingerprint}" in metric.signature()
    assert "fold:generic" in registry_build("chrf_folded").signature()
