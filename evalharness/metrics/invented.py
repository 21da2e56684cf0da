"""Invented words: words of the language in an answer that the community's lexicon does not know.

Per item the statistics are (unknown words, words of the language) in the answer — words as the suite's
language card defines them, compared with the lexicon by folded key (another spelling of a known word is
not invented); a configured morphological analyser counts a word as known when it analyses it. The run
score is 100 × Σ unknown / Σ words (lower is better). The words themselves are listed per item in the
store (`invented_words`, written by the runner from `details`); the lexicon never leaves the machine:
only its sha256 and size are in the signature.

Without a lexicon every item is `not_scored` with the reason — never a rate nobody measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..registry import MetricEntry
from .base import ItemStat, Metric, ScoringInput, failed_generation

if TYPE_CHECKING:
    from ..language import Language
    from ..language.lexicon import Lexicon
    from ..registry import MetricSetup


class InventedWords:
    name = "invented_words"
    higher_is_better = False
    needs_loglikelihood = False
    language_aware = True
    stat_names = ("unknown_words", "language_words")

    def __init__(
        self, language: Language | None = None, lexicon: Lexicon | None = None, missing: str | None = None
    ) -> None:
        self.language = language
        self.lexicon = lexicon
        self.missing = missing or (
            "the suite names no language card"
            if language is None
            else f"no lexicon configured for '{language.code}': set [languages.{language.code}] "
            "lexicon in the config (a word list kept on this machine)"
        )
        #: item id → the answer's unknown words, from the last scoring (the runner stores them)
        self.details: dict[str, list[str]] = {}

    def signature(self) -> str:
        if self.language is None or self.lexicon is None:
            return "invented_words|not configured"
        return (
            f"invented_words|words:{self.language.code}@{self.language.fingerprint}|{self.lexicon.label()}"
            f"|folded match|unknown per 100 words"
        )

    def item_stats(self, inputs: Sequence[ScoringInput]) -> list[ItemStat]:
        self.details = {}
        if self.language is None or self.lexicon is None:
            return [
                failed_generation(inp) if inp.hypothesis is None else ItemStat("not_scored", None, self.missing)
                for inp in inputs
            ]
        out = []
        for inp in inputs:
            if inp.hypothesis is None:
                out.append(failed_generation(inp))
                continue
            words = self.language.words(inp.hypothesis)
            unknown = [w for w in words if not self.lexicon.knows(w, self.language)]
            if unknown:
                self.details[inp.item.id] = list(dict.fromkeys(unknown))
            out.append(ItemStat.scored(len(unknown), len(words)))
        return out

    def score(self, stats: np.ndarray) -> float:
        return float(self.score_many(np.asarray(stats, dtype=float)[None, :])[0])

    def score_many(self, stats: np.ndarray) -> np.ndarray:
        stats = np.asarray(stats, dtype=float)
        # An answer with no word of the language invents none: 0 of 0 — pooled, it adds nothing.
        return np.divide(100 * stats[:, 0], stats[:, 1], out=np.full(len(stats), np.nan), where=stats[:, 1] > 0)


def _build(setup: MetricSetup) -> Metric:
    """The suite's card and this machine's lexicon (and analyser) for it; loaded once per run."""
    from ..language.lexicon import lexicon_paths, load_lexicon

    language = setup.suite.language() if setup.suite is not None else None
    if language is None:
        return InventedWords(None)
    lexicon, analyser = lexicon_paths(language, setup.config)
    if lexicon is None:
        return InventedWords(language, None)
    return InventedWords(language, load_lexicon(lexicon, language, analyser))


INVENTED_WORDS = MetricEntry(
    name="invented_words",
    label="invented words",
    higher_is_better=False,
    stat_names=InventedWords.stat_names,
    factory=_build,
    description="words of the language (per the suite's card) in the answer that the local lexicon does not know",
    unit="% of words",
)
