"""The letters reviewers write Stoney with, and how a search finds them however they were typed.

Stoney is written with letters a plain keyboard lacks (â î û ṯ ẖ). The dashboard puts a palette of them
beside every field where Stoney is written, and folds them away when people search, so "taki" finds
"ṯakî". Both come from the language card (`languages/<code>.toml`, `evalharness.language`) when it is
installed; until then from the small built-in set below. `palette()` and `search_key()` are the one
place either is decided.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..jsonl import nfc

#: Stoney's letters that an English keyboard does not type, as the seed dictionary writes them
#: (â î û: nasal vowels; ô; ṯ ẖ: macron below). Used only while no language card is installed.
BUILT_IN: dict[str, tuple[str, ...]] = {"sto": ("â", "î", "ô", "û", "ṯ", "ẖ")}
DEFAULT_LANGUAGE = "sto"


@dataclass(frozen=True)
class Palette:
    code: str
    letters: tuple[str, ...]  # lower case, in the card's order
    source: str  # "language card" or "built in"

    @property
    def capitals(self) -> tuple[str, ...]:
        """The same letters as capitals (ẖ has no precomposed capital: it becomes H + combining macron below)."""
        return tuple(nfc(letter.upper()) for letter in self.letters)


@lru_cache(maxsize=16)
def _card(code: str) -> Any | None:
    """The compiled language card, or None while `evalharness.language` (or this card) is not installed."""
    try:
        from evalharness import language  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    try:
        return language.load_language(code)
    except Exception:
        return None


def palette(code: str | None = None) -> Palette:
    """The letters to offer beside a field where `code` (default Stoney) is written."""
    code = code or DEFAULT_LANGUAGE
    card = _card(code)
    if card is not None:
        letters = tuple(nfc(g) for g in card.special_letters)
        if letters:
            return Palette(code, letters, "language card")
    return Palette(code, BUILT_IN.get(code, BUILT_IN[DEFAULT_LANGUAGE]), "built in")


def strip_marks(text: str) -> str:
    """Every combining mark removed (â → a, ṯ → t), then NFC."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def search_key(text: str, code: str | None = None) -> str:
    """What a search compares: the card's folding (case, spelling equivalences, marks), else case and marks."""
    card = _card(code or DEFAULT_LANGUAGE)
    if card is not None:
        return str(card.fold(text))
    return strip_marks(nfc(text)).casefold()


def matches(query: str, *texts: str | None, code: str | None = None) -> bool:
    """Does any of `texts` contain `query`, ignoring case and diacritics ("taki" is in "Ṯakî")?"""
    key = " ".join(search_key(query, code).split())
    if not key:
        return True
    return any(key in " ".join(search_key(t, code).split()) for t in texts if t)
