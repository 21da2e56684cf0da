"""Headwords: the words an item is *about*, so that a held-out split can keep each word on one side.

Two sources, both kept:

- **Quoted terms** (`…`, "…", '…'): chat-format items quote the words they discuss. Grammar labels
  ("alienable noun"), affixes ("-bi"), English glosses that start with "to " and very short tokens are
  left out — those link unrelated items into one giant group.
- **Words of the language, quoted or not**, as the language card defines them (its alphabet, its
  distinctive letters, the contact language's word list): "Use hayis to say almost" is about `hayis`
  even without quotes.

English glosses that remain only make the split more conservative (more items kept together), never
leakier. Headwords are stored as written (lower case, NFC, no stem hyphen); the split and the
contamination check compare their *folded* keys, so spelling variants of one word count as one word.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .jsonl import nfc

if TYPE_CHECKING:
    from .language import Language

_QUOTED = re.compile(
    r"`([^`]{1,60})`|\"([^\"]{1,60})\"|“([^”]{1,60})”|(?<![A-Za-z])'([^']{1,60})'(?![A-Za-z])|‘([^’]{1,60})’"
)
_GRAMMAR = re.compile(
    r"\b(nouns?|verbs?|phrases?|adjectives?|adverbs?|particles?|pronouns?|alienable|inalienable|transitive|"
    r"intransitive|stative|impersonal|prefix(es)?|suffix(es)?|interjections?|conjunctions?|postpositions?)\b"
)


def normalise_term(term: str) -> str:
    return nfc(term).strip().strip(".,;:!?").lower().strip()


def quoted_terms(text: str) -> set[str]:
    terms: set[str] = set()
    for match in _QUOTED.finditer(text):
        term = normalise_term(next(group for group in match.groups() if group))
        if len(term) < 3 or term.startswith("-") or term.startswith("to ") or _GRAMMAR.search(term):
            continue
        term = term.rstrip("-").strip()
        if term:
            terms.add(term)
    return terms


def extract_headwords(text: str, language: Language | None = None) -> tuple[str, ...]:
    """Quoted terms, plus — when the language is known — every word of the language in the text."""
    terms = quoted_terms(text)
    if language is not None:
        terms.update(language.words(text))
    return tuple(sorted(terms))


def headword_key(term: str, language: Language | None = None) -> str:
    """What two headwords must share to be the same word: the folded form when the language is known."""
    return language.key(term) if language is not None else normalise_term(term).rstrip("-").strip()
