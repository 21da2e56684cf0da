"""Synthetic files in the seed project's exact published shapes (never the seed's own dictionaries).

CRLF line endings, the English-indexed dictionary's senses (some with an empty `word`), the
Stoney-indexed dictionary, the Q&A generator's records (all labelled by `source_language`), duplicate
(prompt, reference) pairs, spelling variants of one word and Stoney words written without quotes.
Words are made up from the Stoney alphabet by a seeded generator: they look like Stoney, mean nothing.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

SYLLABLES = ["a", "ba", "cha", "da", "ga", "ha", "ja", "ka", "ma", "na", "pa", "rha", "sa", "ta", "tha", "wa", "ya",
             "za", "bi", "chi", "di", "gi", "hi", "ki", "mi", "ni", "pi", "ti", "wi", "yi", "bu", "du", "gu", "hu",
             "nu", "tu", "yu", "be", "che", "de", "ge", "he", "ke", "ne", "pe", "te", "ye", "bo", "do", "go", "ho",
             "ko", "no", "to", "wo", "yo"]
NASAL = {"a": "â", "i": "î", "u": "û"}


def write_crlf(path: Path, rows: list[dict | str]) -> Path:
    """One JSON object a line with CRLF endings, as the seed publishes; a str row is written verbatim."""
    text = "\r\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\r\n"
    path.write_bytes(text.encode("utf-8"))
    return path


def made_up_words(n: int, seed: int = 7) -> list[str]:
    """n distinct Stoney-looking words, each with a nasal vowel (so they are words of the language) and a
    verb-like ending; seeded."""
    rng = random.Random(seed)
    words: list[str] = []
    while len(words) < n:
        parts = [rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))]
        k = rng.randrange(len(parts))
        vowel = parts[k][-1]
        parts[k] = parts[k][:-1] + NASAL.get(vowel, vowel)
        word = "".join(parts) + rng.choice(["ch", "bi", "", "n"])
        if word not in words and any(c in word for c in "âîû"):
            words.append(word)
    return words


def english_dictionary_rows(words: list[str]) -> list[dict]:
    """`{"english_word", "stoney_versions": [{"word", "grammatical_classification", "meaning"}]}`, like the
    seed's english_dictionary.jsonl: two senses per entry, some grammar labels empty."""
    rows = []
    for i in range(0, len(words) - 1, 2):
        gloss = f"gloss{i:03d}"
        rows.append({"english_word": gloss, "stoney_versions": [
            {"word": words[i], "grammatical_classification": "active intransitive verb", "meaning": f"to {gloss}"},
            {"word": words[i + 1], "grammatical_classification": "", "meaning": f"to {gloss} something"}]})
    return rows
