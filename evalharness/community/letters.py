"""The letters reviewers write Stoney with, and how a search finds them however they were typed.

Stoney is written with letters a plain keyboard lacks (â î û ṯ ẖ). The dashboard puts a palette of them
beside every field where Stoney is written, and folds them away when people search, so "taki" finds
"ṯakî". Both come from the language card (`languages/<code>.toml`, read through `evalharness.language`):
the palette is the card's `special_letters`, the search key is the card's `fold` (case, the card's spelling
equivalences, every combining mark). `palette()` and `search_key()` are the one place either is decided.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from ..errors import InputError
from ..jsonl import nfc
from ..language import Language, load_language

#: The language a reviewing page writes when the suite names none (the project's first language).
DEFAULT_LANGUAGE = "sto"


@dataclass(frozen=True)
class Palette:
    code: str
    letters: tuple[str, ...]  # lower case, in the card's order; empty when the language has no card

    @property
    def capitals(self) -> tuple[str, ...]:
        """The same letters as capitals (ẖ has no precomposed capital: it becomes H + combining macron below)."""
        return tuple(nfc(letter.upper()) for letter in self.letters)


@lru_cache(maxsize=16)
def _card(code: str) -> Language | None:
    """The compiled language card, or None when no card for `code` is installed (the palette is then empty)."""
    try:
        return load_language(code)
    except InputError:
        return None


def palette(code: str | None = None) -> Palette:
    """The letters to offer beside a field where `code` (default Stoney) is written."""
    code = code or DEFAULT_LANGUAGE
    card = _card(code)
    return Palette(code, tuple(nfc(g) for g in card.special_letters) if card is not None else ())


def search_key(text: str, code: str | None = None) -> str:
    """What a search compares: the card's folding; for a language without a card, case and marks only."""
    card = _card(code or DEFAULT_LANGUAGE)
    if card is not None:
        return card.fold(text)
    decomposed = unicodedata.normalize("NFD", nfc(text))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c))).casefold()


def matches(query: str, *texts: str | None, code: str | None = None) -> bool:
    """Does any of `texts` contain `query`, ignoring case and diacritics ("taki" is in "Ṯakî")?"""
    key = " ".join(search_key(query, code).split())
    if not key:
        return True
    return any(key in " ".join(search_key(t, code).split()) for t in texts if t)
