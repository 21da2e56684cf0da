"""The metric contract: per-item *sufficient statistics* that add up.

Every number the harness reports — a run's score, a slice, a bootstrap resample, a gate delta — is
`metric.score(sum of the chosen item rows)`. Rows are stored once, so nothing downstream re-runs a model
or re-scores strings. An item that could not be scored carries a status and a reason, never a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

import numpy as np

from ..backends.base import LogLikelihood
from ..suites import Item

if TYPE_CHECKING:
    from ..task import Extraction

ItemStatus = Literal["scored", "failed", "unsupported", "not_scored"]


@dataclass(frozen=True)
class JudgedItem:
    """The judge phase's outcome for one item: its CAS (0–1, the mean over the samples) or why there is none."""

    status: Literal["scored", "failed", "not_scored"]
    cas: float | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ScoringInput:
    """What a metric may look at for one item: the outputs of the phases before scoring. `hypothesis` is None
    when generation failed; `loglikelihood` and `judged` are None when that phase did not run for the item;
    `extraction` is what the suite's answer extraction found in the hypothesis (None: no extraction ran)."""

    item: Item
    hypothesis: str | None
    generation_error: str | None = None
    loglikelihood: LogLikelihood | None = None
    judged: JudgedItem | None = None
    extraction: Extraction | None = None


@dataclass(frozen=True)
class ItemStat:
    status: ItemStatus
    stats: tuple[float, ...] | None = None
    reason: str | None = None

    @classmethod
    def scored(cls, *values: float) -> ItemStat:
        return cls("scored", tuple(float(v) for v in values))


@runtime_checkable
class Metric(Protocol):
    # read-only members: a class attribute or an instance attribute satisfies them
    @property
    def name(self) -> str: ...

    @property
    def higher_is_better(self) -> bool: ...

    @property
    def stat_names(self) -> tuple[str, ...]: ...

    @property
    def needs_loglikelihood(self) -> bool:
        """The metric needs the backend's log-likelihoods (perplexity); others need generated text."""
        ...

    def signature(self) -> str:
        """Library version + parameters, so every number can be reproduced."""
        ...

    def item_stats(self, inputs: Sequence[ScoringInput]) -> list[ItemStat]:
        """One ItemStat per input, same order. Batch work (embeddings) happens here."""
        ...

    def score(self, stats: np.ndarray) -> float:
        """Score from summed statistics (shape: len(stat_names))."""
        ...

    def score_many(self, stats: np.ndarray) -> np.ndarray:
        """Vectorised `score` over rows of summed statistics (shape: B × len(stat_names)) — the bootstrap."""
        ...


class MeanMetric:
    """A metric whose statistics are (sum of values, count): the score is the mean."""

    name = "mean"
    higher_is_better = True
    stat_names: tuple[str, ...] = ("sum", "n")
    needs_loglikelihood = False
    scale = 100.0  # reported on a 0–100 scale like chrF

    def score(self, stats: np.ndarray) -> float:
        return float(self.score_many(np.asarray(stats, dtype=float)[None, :])[0])

    def score_many(self, stats: np.ndarray) -> np.ndarray:
        stats = np.asarray(stats, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(stats[:, 1] > 0, self.scale * stats[:, 0] / np.maximum(stats[:, 1], 1e-300), np.nan)


def failed_generation(inp: ScoringInput) -> ItemStat:
    return ItemStat("failed", None, f"generation failed: {inp.generation_error or 'no reply'}")
