"""A metric scored on the extracted answer: `chrf@extracted` next to `chrf`, never instead of it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .base import ItemStat, Metric, ScoringInput

SUFFIX = "@extracted"


class ExtractedMetric:
    """Same statistics and scoring as the metric it wraps; its inputs are the extracted answers. An answer
    from which nothing could be extracted is scored as the empty answer (it gave no form), and counted in
    the run's summary under `extraction`."""

    needs_loglikelihood = False

    def __init__(self, inner: Metric, label: str = "") -> None:
        self.inner = inner
        self.name = inner.name + SUFFIX
        self.higher_is_better = inner.higher_is_better
        self.stat_names = inner.stat_names
        self.label = label

    def signature(self) -> str:
        return self.inner.signature() + f"|extracted:{self.label or '?'}|extraction-failure:empty-answer"

    def item_stats(self, inputs: Sequence[ScoringInput]) -> list[ItemStat]:
        return self.inner.item_stats(inputs)

    def score(self, stats: np.ndarray) -> float:
        return self.inner.score(stats)

    def score_many(self, stats: np.ndarray) -> np.ndarray:
        return self.inner.score_many(stats)
