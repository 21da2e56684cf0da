"""Metrics, each a small class with a name, a direction, a signature and per-item statistics."""

from __future__ import annotations

from ..errors import ConfigError
from .base import ItemStat, Metric, ScoringInput
from .chrf import ChrF
from .embedding import EmbeddingSimilarity
from .overlap import EditSimilarity, ExactMatch, WordAccuracy
from .perplexity import BitsPerChar, TokenPerplexity

METRIC_NAMES = ("chrf", "chrf++", "bits_per_char", "token_perplexity", "embedding_cosine", "exact_match",
                "word_accuracy", "edit_similarity")


def build_metric(name: str, *, embedding_batch_size: int = 64) -> Metric:
    """One place that knows every metric's constructor."""
    factories = {
        "chrf": lambda: ChrF(word_order=0),
        "chrf++": lambda: ChrF(word_order=2),
        "bits_per_char": BitsPerChar,
        "token_perplexity": TokenPerplexity,
        "embedding_cosine": lambda: EmbeddingSimilarity(batch_size=embedding_batch_size),
        "exact_match": ExactMatch,
        "word_accuracy": WordAccuracy,
        "edit_similarity": EditSimilarity,
    }
    if name not in factories:
        raise ConfigError(f"unknown metric '{name}'", field="metrics.enabled",
                          hint=f"allowed: {', '.join(METRIC_NAMES)}")
    return factories[name]()


__all__ = ["ItemStat", "Metric", "ScoringInput", "METRIC_NAMES", "build_metric"]
