"""chrF and chrF++ through sacrebleu, with per-item n-gram statistics so corpus chrF comes for free.

We keep sacrebleu's own statistics (matches, hypothesis and reference counts per n-gram order) and its
own F-score code; only the bootstrap's many resamples use a vectorised copy of that formula, which the
tests check against sacrebleu on every order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sacrebleu.metrics import CHRF

from ..jsonl import nfc
from ..registry import MetricEntry
from .base import ItemStat, ScoringInput, failed_generation


def chrf_stat_names(orders: int) -> tuple[str, ...]:
    """sacrebleu's statistics order: (hypothesis, reference, match) counts per n-gram order."""
    return tuple(f"{kind}{n}" for n in range(orders) for kind in ("hyp", "ref", "match"))


class ChrF:
    higher_is_better = True
    needs_loglikelihood = False

    def __init__(self, word_order: int = 0, char_order: int = 6, beta: int = 2) -> None:
        self.name = "chrf++" if word_order == 2 else ("chrf" if word_order == 0 else f"chrf_w{word_order}")
        self._chrf = CHRF(char_order=char_order, word_order=word_order, beta=beta)
        self.stat_names = chrf_stat_names(char_order + word_order)

    @property
    def sacrebleu(self) -> CHRF:
        return self._chrf

    def signature(self) -> str:
        if not hasattr(self._chrf, "num_refs"):
            # sacrebleu learns the reference count from the first scoring; a run whose every generation
            # failed scores nothing, yet its (unscored) metric row still needs the signature. One reference.
            self._chrf.num_refs = 1
        return "sacrebleu:" + str(self._chrf.get_signature())

    def prepare(self, text: str) -> str:
        """What the statistics are computed on: NFC text (a folded variant folds it further)."""
        return nfc(text)

    def item_stats(self, inputs: Sequence[ScoringInput]) -> list[ItemStat]:
        ok = [i for i, inp in enumerate(inputs) if inp.hypothesis is not None]
        hyps = [self.prepare(inputs[i].hypothesis or "") for i in ok]
        refs = [self.prepare(inputs[i].item.reference) for i in ok]
        rows = self._chrf._extract_corpus_statistics(hyps, [refs]) if ok else []
        out: list[ItemStat] = [failed_generation(inp) for inp in inputs]
        for index, row in zip(ok, rows):
            out[index] = ItemStat.scored(*row)
        return out

    def score(self, stats: np.ndarray) -> float:
        return float(self._chrf._compute_score_from_stats([int(round(s)) for s in np.asarray(stats)]).score)

    def score_many(self, stats: np.ndarray) -> np.ndarray:
        """sacrebleu's `_compute_f_score` (effective-order averaging, no eps smoothing), vectorised over rows."""
        stats = np.asarray(stats, dtype=float)
        hyp, ref, match = stats[:, 0::3], stats[:, 1::3], stats[:, 2::3]
        effective = (hyp > 0) & (ref > 0)
        prec = np.divide(match, hyp, out=np.zeros_like(match), where=effective)
        rec = np.divide(match, ref, out=np.zeros_like(match), where=effective)
        n_eff = effective.sum(axis=1)
        avg_prec = np.divide(prec.sum(axis=1), n_eff, out=np.zeros(len(stats)), where=n_eff > 0)
        avg_rec = np.divide(rec.sum(axis=1), n_eff, out=np.zeros(len(stats)), where=n_eff > 0)
        factor = self._chrf.beta**2
        denom = factor * avg_prec + avg_rec
        f = np.divide((1 + factor) * avg_prec * avg_rec, denom, out=np.zeros(len(stats)), where=denom > 0)
        return 100 * f


CHRF_ENTRY = MetricEntry(
    name="chrf",
    label="chrF",
    higher_is_better=True,
    stat_names=chrf_stat_names(6),
    factory=lambda setup: ChrF(word_order=0),
    description="character n-gram F-score (sacrebleu chrF2), corpus-level from pooled statistics",
)

CHRF_PLUS_PLUS_ENTRY = MetricEntry(
    name="chrf++",
    label="chrF++",
    higher_is_better=True,
    stat_names=chrf_stat_names(8),
    factory=lambda setup: ChrF(word_order=2),
    description="chrF with word unigrams and bigrams (sacrebleu chrF++)",
)
