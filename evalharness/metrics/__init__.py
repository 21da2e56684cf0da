"""Metrics, each a small class with a name, a direction, a signature and per-item statistics."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import ConfigError
from .base import ContextualMetric, ItemStat, Metric, ScoringContext, ScoringInput
from .chrf import ChrF
from .embedding import EmbeddingSimilarity
from .extracted import SUFFIX as EXTRACTED_SUFFIX
from .extracted import ExtractedMetric
from .overlap import EditSimilarity, ExactMatch, WordAccuracy
from .perplexity import BitsPerChar, TokenPerplexity
from .spelling import DiacriticErrors, FoldedChrF

if TYPE_CHECKING:
    from ..config import Config
    from ..language import Language

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
    "chrf_folded",
    "chrf++_folded",
    "diacritic_error_rate",
    "diacritic_error_share",
    "invented_words",
)
#: metrics that read the suite's language card (folding, words of the language): built once per language
LANGUAGE_AWARE = ("chrf_folded", "chrf++_folded", "diacritic_error_rate", "diacritic_error_share", "invented_words")
#: metrics scored on the extracted answer too when a suite declares an extraction (`chrf@extracted`, …)
TEXT_METRICS = (
    "chrf",
    "chrf++",
    "chrf_folded",
    "chrf++_folded",
    "exact_match",
    "word_accuracy",
    "edit_similarity",
    "diacritic_error_rate",
    "diacritic_error_share",
    "invented_words",
)


def known_metric(name: str) -> bool:
    """A metric name the harness can score: a built-in, or a built-in text metric with `@extracted`."""
    base = name[: -len(EXTRACTED_SUFFIX)] if name.endswith(EXTRACTED_SUFFIX) else None
    return name in METRIC_NAMES or (base is not None and base in METRIC_NAMES)


def build_metric(
    name: str, *, embedding_batch_size: int = 64, config: Config | None = None, language: Language | None = None
) -> Metric:
    """One place that knows every metric's constructor. `config` carries the `[judge]` section for `cas`;
    `language` is the suite's language card for the spelling-aware metrics; `name@extracted` is the metric
    on extracted answers (the gate builds it by name to read its stored statistics)."""
    if name.endswith(EXTRACTED_SUFFIX) and name[: -len(EXTRACTED_SUFFIX)] in METRIC_NAMES:
        return ExtractedMetric(
            build_metric(
                name[: -len(EXTRACTED_SUFFIX)],
                embedding_batch_size=embedding_batch_size,
                config=config,
                language=language,
            )
        )
    factories: dict[str, Callable[[], Metric]] = {
        "chrf": lambda: ChrF(word_order=0),
        "chrf++": lambda: ChrF(word_order=2),
        "chrf_folded": lambda: FoldedChrF(word_order=0, language=language),
        "chrf++_folded": lambda: FoldedChrF(word_order=2, language=language),
        "diacritic_error_rate": lambda: DiacriticErrors("rate", language=language),
        "diacritic_error_share": lambda: DiacriticErrors("share", language=language),
        "bits_per_char": BitsPerChar,
        "token_perplexity": TokenPerplexity,
        "embedding_cosine": lambda: EmbeddingSimilarity(batch_size=embedding_batch_size),
        "exact_match": ExactMatch,
        "word_accuracy": WordAccuracy,
        "edit_similarity": EditSimilarity,
        "cas": lambda: _cas(config),
        "invented_words": lambda: _invented(config, language),
    }
    if name not in factories:
        raise ConfigError(
            f"unknown metric '{name}'", field="metrics.enabled", hint=f"allowed: {', '.join(METRIC_NAMES)}"
        )
    return factories[name]()


def _invented(config: Config | None, language: Language | None) -> Metric:
    from ..language.lexicon import lexicon_paths, load_lexicon
    from .invented import InventedWords

    if language is None:
        return InventedWords(None)
    lexicon, analyser = lexicon_paths(language, config)
    if lexicon is None:
        return InventedWords(language, None)
    return InventedWords(language, load_lexicon(lexicon, language, analyser))


def _cas(config: Config | None) -> Metric:
    from .cas import CulturalAuthenticity

    return CulturalAuthenticity.from_config(config) if config is not None else CulturalAuthenticity(None)


__all__ = [
    "EXTRACTED_SUFFIX",
    "LANGUAGE_AWARE",
    "TEXT_METRICS",
    "ContextualMetric",
    "ExtractedMetric",
    "known_metric",
    "ItemStat",
    "Metric",
    "ScoringContext",
    "ScoringInput",
    "METRIC_NAMES",
    "build_metric",
]
