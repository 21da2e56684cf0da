"""The seed project's own reward signals, so its RL rubric and this harness agree.

The seed's environment normalises by lower-casing and collapsing whitespace before comparing; we do the
same (after NFC). Word accuracy is the share of reference words the answer contains (multiset recall);
edit similarity is rapidfuzz's normalised Levenshtein similarity.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein

from ..jsonl import nfc
from ..registry import MetricEntry
from .base import ItemStat, MeanMetric, ScoringInput, failed_generation


def normalise(text: str) -> str:
    return " ".join(nfc(text).strip().lower().split())


class _PairwiseMean(MeanMetric):
    def value(self, hypothesis: str, reference: str) -> tuple[float, float]:
        raise TypeError(f"{type(self).__name__} must define value()")

    def item_stats(self, inputs: Sequence[ScoringInput]) -> list[ItemStat]:
        out = []
        for inp in inputs:
            if inp.hypothesis is None:
                out.append(failed_generation(inp))
            else:
                out.append(ItemStat.scored(*self.value(normalise(inp.hypothesis), normalise(inp.item.reference))))
        return out


class ExactMatch(_PairwiseMean):
    name = "exact_match"
    stat_names = ("matches", "n")

    def signature(self) -> str:
        return "exact_match|nfc|lowercase|collapse-whitespace|scale:100"

    def value(self, hypothesis: str, reference: str) -> tuple[float, float]:
        return float(hypothesis == reference), 1.0


class WordAccuracy(_PairwiseMean):
    """Micro-averaged over reference words: stats are (matched words, reference words)."""

    name = "word_accuracy"
    stat_names = ("matched_words", "reference_words")

    def signature(self) -> str:
        return "word_accuracy|multiset recall of reference words|nfc|lowercase|scale:100"

    def value(self, hypothesis: str, reference: str) -> tuple[float, float]:
        ref_words = Counter(reference.split())
        hyp_words = Counter(hypothesis.split())
        matched = sum(min(count, hyp_words[word]) for word, count in ref_words.items())
        return float(matched), float(sum(ref_words.values()))


class EditSimilarity(_PairwiseMean):
    name = "edit_similarity"
    stat_names = ("sum_similarity", "n")

    def signature(self) -> str:
        import rapidfuzz

        return f"rapidfuzz:{rapidfuzz.__version__}|Levenshtein.normalized_similarity|nfc|lowercase|scale:100"

    def value(self, hypothesis: str, reference: str) -> tuple[float, float]:
        return Levenshtein.normalized_similarity(hypothesis, reference), 1.0


EXACT_MATCH = MetricEntry(
    name="exact_match",
    label="exact match",
    higher_is_better=True,
    stat_names=ExactMatch.stat_names,
    factory=lambda setup: ExactMatch(),
    description="the seed project's reward: NFC, lower case, collapsed spaces, then equal",
)

WORD_ACCURACY = MetricEntry(
    name="word_accuracy",
    label="word accuracy",
    higher_is_better=True,
    stat_names=WordAccuracy.stat_names,
    factory=lambda setup: WordAccuracy(),
    description="share of reference words the answer contains (multiset recall, micro-averaged)",
)

EDIT_SIMILARITY = MetricEntry(
    name="edit_similarity",
    label="edit similarity",
    higher_is_better=True,
    stat_names=EditSimilarity.stat_names,
    factory=lambda setup: EditSimilarity(),
    description="rapidfuzz normalised Levenshtein similarity",
)
