"""A metric scored on the extracted answer: `chrf@extracted` next to `chrf`, never instead of it.

`registry.metric("chrf@extracted")` derives the entry from `chrf`'s; the runner's extract phase fills
`ScoringInput.extraction` from the suite's `[extraction]` (evalharness/extraction.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from .base import ItemStat, Metric, ScoringInput, failed_generation

if TYPE_CHECKING:
    from ..registry import MetricSetup

SUFFIX = "@extracted"
NO_EXTRACTION = "the suite declares no [extraction] (see suites/README.md)"


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
        return self.inner.signature() + f"|extracted:{self.label or 'none'}|extraction-failure:empty-answer"

    def item_stats(self, inputs: Sequence[ScoringInput]) -> list[ItemStat]:
        out: list[ItemStat | None] = []
        extracted: list[ScoringInput] = []
        for inp in inputs:
            if inp.hypothesis is None:
                out.append(failed_generation(inp))
            elif inp.extraction is None:
                out.append(ItemStat("not_scored", None, NO_EXTRACTION))
            else:
                out.append(None)
                extracted.append(replace(inp, hypothesis=inp.extraction.text or ""))
        scored = iter(self.inner.item_stats(extracted))
        return [s if s is not None else next(scored) for s in out]

    def score(self, stats: np.ndarray) -> float:
        return self.inner.score(stats)

    def score_many(self, stats: np.ndarray) -> np.ndarray:
        return self.inner.score_many(stats)


def extracted_factory(base: Callable[[MetricSetup], Metric]) -> Callable[[MetricSetup], Metric]:
    def factory(setup: MetricSetup) -> Metric:
        spec = setup.suite.meta.extraction if setup.suite is not None else None
        return ExtractedMetric(base(setup), spec.label if spec is not None else "")

    return factory
