"""A language card compiled into the functions the harness calls: fold, tokens, words of the language.

`Language.fold` is what "the same word in another spelling" means (`sų́ga` and `sûga` fold alike);
`Language.is_word` tells a word of the language from an English one; `Language.words` finds them in a
text, quoted or not. The dashboard's character palette reads `Language.letters`.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import regex

from ..errors import InputError
from ..jsonl import nfc
from .card import CARD_HINT, LanguageCard, load_card

#: a run of letters (with their combining marks), optionally ending in a hyphen (a cited stem: "adomnî-").
#: Apostrophes inside a token keep English contractions whole ("doesn't" is one token, not "doesn");
#: a run right after a hyphen is an affix ("-ach") or the tail of a compound, not a word of its own.
_TOKEN = regex.compile(r"(?<![\p{L}\p{M}-])\p{L}[\p{L}\p{M}]*(?:['’][\p{L}\p{M}]+)*-?")
_MARKS = regex.compile(r"\p{M}+")
_SPACES = regex.compile(r"\s+")


@lru_cache(maxsize=4)
def _contact_lexicon(spec: str) -> Callable[[str], bool]:
    """A contact language's word list, by name. Only word lists shipped inside PyPI packages (offline)."""
    provider, _, language = spec.partition(":")
    if provider == "pyspellchecker":
        from spellchecker import SpellChecker

        words = SpellChecker(language=language or "en", distance=1).word_frequency.dictionary
        return words.__contains__
    raise InputError(
        f"unknown contact word list '{spec}'",
        field="words.contact_words",
        hint="use 'pyspellchecker:<language code>' (e.g. 'pyspellchecker:en'), or leave it empty",
    )


@dataclass(frozen=True)
class Language:
    card: LanguageCard
    _alphabet: regex.Pattern[str] = field(repr=False, compare=False)
    _rules: regex.Pattern[str] | None = field(repr=False, compare=False)
    _rule_map: dict[str, str] = field(repr=False, compare=False)
    _known_in_contact: Callable[[str], bool] | None = field(repr=False, compare=False)

    @classmethod
    def from_card(cls, card: LanguageCard) -> Language:
        graphemes = sorted(set(card.letters.alphabet), key=len, reverse=True)
        alphabet = regex.compile("(?:" + "|".join(regex.escape(g) for g in graphemes) + ")+")
        rule_map: dict[str, str] = {}
        for rule in card.normalise.fold:
            key = rule.from_.casefold() if card.normalise.casefold else rule.from_
            rule_map.setdefault(key, rule.to.casefold() if card.normalise.casefold else rule.to)
        rules = (
            regex.compile("|".join(regex.escape(k) for k in sorted(rule_map, key=len, reverse=True)))
            if rule_map
            else None
        )
        contact = _contact_lexicon(card.words.contact_words) if card.words.contact_words else None
        return cls(card, alphabet, rules, rule_map, contact)

    # -- what the card says, ready to call ------------------------------------------------------------
    @property
    def code(self) -> str:
        return self.card.code

    @property
    def letters(self) -> tuple[str, ...]:
        """The alphabet's graphemes, lower case, in the card's order (the palette shows these)."""
        return tuple(self.card.letters.alphabet)

    @property
    def special_letters(self) -> tuple[str, ...]:
        """Graphemes a plain English keyboard does not type (e.g. â î û ṯ ẖ), for a character palette."""
        return tuple(g for g in self.card.letters.alphabet if not g.isascii())

    @property
    def fingerprint(self) -> str:
        """A short hash of everything that changes what folding and word detection do (for signatures)."""
        facts = self.card.model_dump(include={"code", "letters", "words", "normalise"}, by_alias=True)
        return hashlib.sha256(json.dumps(facts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]

    # -- folding ---------------------------------------------------------------------------------------
    def fold(self, text: str) -> str:
        """NFC, then (as the card declares) case, the spelling equivalences, and every combining mark.

        `fold("sų́ga") == fold("sûga") == "suga"`; `fold("wįčhá") == fold("wîcha")`.
        """
        text = nfc(text)
        if self.card.normalise.casefold:
            text = text.casefold()
        if self._rules is not None:
            text = self._rules.sub(lambda m: self._rule_map[m.group(0)], text)
        if self.card.normalise.strip_marks:
            text = unicodedata.normalize("NFC", _MARKS.sub("", unicodedata.normalize("NFD", text)))
        return text

    def strip_marks(self, text: str) -> str:
        """Only the combining marks removed (no case, no equivalences): a diacritic-insensitive search key."""
        return unicodedata.normalize("NFC", _MARKS.sub("", unicodedata.normalize("NFD", nfc(text))))

    # -- words -----------------------------------------------------------------------------------------
    def tokens(self, text: str) -> list[str]:
        """Every run of letters in the text (NFC), as written."""
        return _TOKEN.findall(nfc(text))

    def bare(self, token: str) -> str:
        """Lower case, NFC, without a cited stem's trailing marker ("Adomnî-" → "adomnî")."""
        word = nfc(token).strip().lower()
        marker = self.card.words.stem_marker
        if marker and word.endswith(marker):
            word = word[: -len(marker)].strip()
        return word

    def is_word(self, token: str) -> bool:
        """Is this token a word of the language? Letters of the alphabet only, long enough, not a name the
        card excludes, and either carrying a distinctive letter or unknown to the contact language."""
        word = self.bare(token)
        spec = self.card.words
        if len(word) < spec.min_length or word in spec.not_words or not self._alphabet.fullmatch(word):
            return False
        if any(letter in word for letter in spec.distinctive):
            return True
        return self._known_in_contact is None or not self._known_in_contact(word)

    def words(self, text: str) -> list[str]:
        """The words of the language in a text, in order, as `bare` forms (lower case, no stem marker)."""
        return [self.bare(t) for t in self.tokens(text) if self.is_word(t)]

    def key(self, term: str) -> str:
        """The folded key of a word or phrase: spelling variants of one word share it."""
        words = [self.bare(t) for t in self.tokens(term)]
        return self.fold(" ".join(w for w in words if w))


@lru_cache(maxsize=16)
def _compiled(path: str, mtime: float) -> Language:
    from .card import read_card

    return Language.from_card(read_card(path))


def load_language(code_or_path: str | Path, dirs: tuple[Path, ...] = ()) -> Language:
    """A compiled language by code or card path (cached per card file and its modification time)."""
    from .card import find_card

    text = str(code_or_path)
    path = Path(text) if text.endswith(".toml") else find_card(text, list(dirs))
    if not path.is_file():
        raise InputError("language card not found", path=path, hint=CARD_HINT)
    return _compiled(str(path.resolve()), path.stat().st_mtime)


def language_or_none(code: str | None, dirs: tuple[Path, ...] = ()) -> Language | None:
    return load_language(code, dirs) if code else None


__all__ = ["Language", "load_card", "load_language", "language_or_none"]
