"""Spelling-aware scores: "the right word in another spelling" is not scored like a wrong word.

- `chrf_folded`, `chrf++_folded`: sacrebleu's chrF/chrF++ on text folded by the suite's language card
  (case, the card's spelling-system equivalences such as ų́ = û or čh = ch, then every combining mark), so
  `sų́ga` against `sûga` scores 100. Same statistics as chrF (they add up; the gate bootstraps them).
- `diacritic_error_rate`, `diacritic_error_share`: per item, the character edit distance between answer
  and reference before and after folding. The edits that folding removes are spelling-only (diacritics,
  case, spelling system): the *rate* is those edits per 100 reference characters (a guard: lower is
  better), the *share* is their part of all edits (100 = every error is only spelling).

A suite that names no language is folded generically (NFC, case, every combining mark) — the signature
says which fold was used, so runs folded differently are never compared.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz.distance import Levenshtein

from ..jsonl import nfc
from ..registry import MetricEntry
from .base import ItemStat, ScoringInput, failed_generation
from .chrf import ChrF, chrf_stat_names

if TYPE_CHECKING:
    from ..language import Language
    from ..registry import MetricSetup


def generic_fold(text: str) -> str:
    """NFC, case-folded, every combining mark removed: the fold of a suite with no language card."""
    decomposed = unicodedata.normalize("NFD", nfc(text).casefold())
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def fold_for(language: Language | None) -> tuple[Callable[[str], str], str]:
    """The fold function and its label for signatures (card code and fingerprint)."""
    if language is None:
        return generic_fold, "generic(nfc,casefold,strip-marks)"
    return language.fold, f"{language.code}@{language.fingerprint}"


class FoldedChrF(ChrF):
    """chrF/chrF++ on folded hypothesis and reference."""

    language_aware = True
    #: the gate re-runs sacrebleu on the raw texts for chrF; folded statistics are not comparable with that
    crosscheck_on_raw_text = False

    def __init__(self, word_order: int = 0, language: Language | None = None) -> None:
        super().__init__(word_order=word_order)
        self.name = self.name + "_folded"
        self._fold, self._fold_label = fold_for(language)

    def prepare(self, text: str) -> str:
        return self._fold(text)

    def signature(self) -> str:
        return super().signature() + f"|fold:{self._fold_label}"


class DiacriticErrors:
    """Spelling-only character errors, from (raw edits, folded edits, reference characters) per item."""

    needs_loglikelihood = False
    language_aware = True
    stat_names = ("raw_edits", "folded_edits", "reference_chars")

    def __init__(self, kind: str = "rate", language: Language | None = None) -> None:
        if kind not in ("rate", "share"):
            raise ValueError(f"unknown kind {kind!r}")
        self.kind = kind
        self.name = f"diacritic_error_{kind}"
        # Both are "lower is better": fewer spelling-only errors. The share is descriptive (what part of the
        # remaining errors is only spelling); the rate is the one to use as a gate guard.
        self.higher_is_better = False
        self._fold, self._fold_label = fold_for(language)

    def signature(self) -> str:
        import rapidfuzz

        what = (
            "spelling-only edits per 100 reference chars"
            if self.kind == "rate"
            else "spelling-only share of all edits, %"
        )
        return f"{self.name}|rapidfuzz:{rapidfuzz.__version__}|Levenshtein raw vs folded|fold:{self._fold_label}|{what}"

    def item_stats(self, inputs: Sequence[ScoringInput]) -> list[ItemStat]:
        out = []
        for inp in inputs:
            if inp.hypothesis is None:
                out.append(failed_generation(inp))
                continue
            hyp, ref = nfc(inp.hypothesis), nfc(inp.item.reference)
            raw = Levenshtein.distance(hyp, ref)
            folded = min(raw, Levenshtein.distance(self._fold(hyp), self._fold(ref)))
            out.append(ItemStat.scored(raw, folded, len(ref)))
        return out

    def score(self, stats: np.ndarray) -> float:
        return float(self.score_many(np.asarray(stats, dtype=float)[None, :])[0])

    def score_many(self, stats: np.ndarray) -> np.ndarray:
        stats = np.asarray(stats, dtype=float)
        spelling = stats[:, 0] - stats[:, 1]
        denominator = stats[:, 2] if self.kind == "rate" else stats[:, 0]
        # No reference characters (rate) or no errors at all (share): nothing to measure → NaN, which the
        # report shows as "not measured", never as 0.
        return np.divide(100 * spelling, denominator, out=np.full(len(stats), np.nan), where=denominator > 0)


def _language(setup: MetricSetup) -> Language | None:
    """The card of the suite being scored (None for a suite with no language, or when only scoring stored rows)."""
    return setup.suite.language() if setup.suite is not None else None


CHRF_FOLDED = MetricEntry(
    name="chrf_folded",
    label="chrF folded",
    higher_is_better=True,
    stat_names=chrf_stat_names(6),
    factory=lambda setup: FoldedChrF(word_order=0, language=_language(setup)),
    description="chrF on text folded by the suite's language card (case, spelling equivalences, marks)",
)

CHRF_PLUS_PLUS_FOLDED = MetricEntry(
    name="chrf++_folded",
    label="chrF++ folded",
    higher_is_better=True,
    stat_names=chrf_stat_names(8),
    factory=lambda setup: FoldedChrF(word_order=2, language=_language(setup)),
    description="chrF++ on text folded by the suite's language card",
)

DIACRITIC_ERROR_RATE = MetricEntry(
    name="diacritic_error_rate",
    label="diacritic errors",
    higher_is_better=False,
    stat_names=DiacriticErrors.stat_names,
    factory=lambda setup: DiacriticErrors("rate", language=_language(setup)),
    description="character edits that folding removes (spelling only), per 100 reference characters",
    unit="per 100 chars",
)

DIACRITIC_ERROR_SHARE = MetricEntry(
    name="diacritic_error_share",
    label="diacritic share of errors",
    higher_is_better=False,
    stat_names=DiacriticErrors.stat_names,
    factory=lambda setup: DiacriticErrors("share", language=_language(setup)),
    description="the part of all character edits that is spelling only (marks, case, spelling system)",
    unit="%",
)
