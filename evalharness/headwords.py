"""Headwords: the words an item is *about*, so that a held-out split can keep each word on one side.

Chat-format items carry no headword field; the words they discuss are quoted (`…`, "…", '…'). We take
every quoted term except grammar labels ("alienable noun"), affixes ("-bi"), English glosses that
start with "to " and very short tokens — those link unrelated items into one giant group. English
glosses that remain only make the split more conservative (more items kept together), never leakier.
"""

from __future__ import annotations

import re

from .jsonl import nfc

_QUOTED = re.compile(
    r"`([^`]{1,60})`|\"([^\"]{1,60})\"|“([^”]{1,60})”|(?<![A-Za-z])'([^']{1,60})'(?![A-Za-z])|‘([^’]{1,60})’"
)
_GRAMMAR = re.compile(
    r"\b(nouns?|verbs?|phrases?|adjectives?|adverbs?|particles?|pronouns?|alienable|inalienable|transitive|"
    r"intransitive|stative|impersonal|prefix(es)?|suffix(es)?|interjections?|conjunctions?|postpositions?)\b"
)


def normalise_term(term: str) -> str:
    return nfc(term).strip().strip(".,;:!?").lower().strip()


def extract_headwords(text: str) -> tuple[str, ...]:
    terms: set[str] = set()
    for match in _QUOTED.finditer(text):
        term = normalise_term(next(group for group in match.groups() if group))
        if len(term) < 3 or term.startswith("-") or term.startswith("to ") or _GRAMMAR.search(term):
            continue
        term = term.rstrip("-").strip()
        if term:
            terms.add(term)
    return tuple(sorted(terms))
