"""Metrics, each a small class with a name, a direction, a signature and per-item statistics."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import ConfigError
from .base import ContextualMetric, ItemStat, Metric, ScoringContext, ScoringInput
from .chrf import ChrF
from .embedding import EmbeddingSimilarity
from .overlap import EditSimilarity, ExactMatch, WordAccuracy
from .perplexity import BitsPerChar, TokenPerplexity

if TYPE_CHECKING:
    from ..config import Config

METRIC_NAMES = (
    "chrf",
    "chrf++",
    "bits_per_char",
    "token_perplexity",
    "embedding_cosine",
    "exact_match",
    "word_accuracy",
    "edit_similarity",
    "cas",
)


def build_metric(name: str, *, embedding_batch_size: int = 64, config: Config | None = None) -> Metric:
    """One place that knows every metric's constructor. `config` carries the `[judge]` section for `cas`."""
    factories: dict[str, Callable[[], Metric]] = {
        "chrf": lambda: ChrF(word_order=0),
        "chrf++": lambda: ChrF(word_order=2),
        "bits_per_char": BitsPerChar,
        "token_perplexity": TokenPerplexity,
        "embedding_cosine": lambda: EmbeddingSimilarity(batch_size=embedding_batch_size),
        "exact_match": ExactMatch,
        "word_accuracy": WordAccuracy,
        "edit_similarity": EditSimilarity,
        "cas": lambda: _cas(config),
    }
    if name not in factories:
        raise ConfigError(
            f"unknown metric '{name}'", field="metrics.enabled", hint=f"allowed: {', '.join(METRIC_NAMES)}"
        )
    return factories[name]()


def _cas(config: Config | None) -> Metric:
    from .cas import CulturalAuthenticity

    return CulturalAuthenticity.from_config(config) if config is not None else CulturalAuthenticity(None)


__all__ = ["ContextualMetric", "ItemStat", "Metric", "ScoringContext", "ScoringInput", "METRIC_NAMES", "build_metric"]
