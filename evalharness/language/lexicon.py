"""The community's lexicon (and optional morphological analyser): which words of the language are known.

A lexicon is a file on the community's machine — never shipped with the harness, never written to the
store (only its sha256 and size go into a metric's signature), never sent anywhere. Accepted shapes:

- a text file, one word or phrase a line (`#` starts a comment);
- JSONL whose records have a `word` field (`{"word": "tâga", …}`);
- any training file the harness reads (OpenAI chat, seed Q&A, a seed dictionary, native items): its words
  of the language become the lexicon — this is how the demo builds one from its approved training data.

Words are compared by their folded key (the card's spelling equivalences and marks removed), so a word
written in another spelling system is known, not invented. An HFST optimized-lookup transducer
(`.hfstol`, read with `pyhfst`) counts a word as known when it has at least one analysis.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError

if TYPE_CHECKING:
    from ..config import Config
    from .orthography import Language


@dataclass(frozen=True)
class Analyser:
    """An HFST optimized-lookup transducer: a word is known when the analyser gives it an analysis."""

    path: Path
    sha256: str
    _hfst: Any = field(repr=False, compare=False)

    @classmethod
    def load(cls, path: str | Path) -> Analyser:
        path = Path(path)
        if not path.is_file():
            raise InputError(
                "analyser not found",
                path=path,
                field="analyser",
                hint="point [languages.<code>] analyser at an HFST optimized-lookup file (.hfstol)",
            )
        import pyhfst

        try:
            hfst = pyhfst.HfstInputStream(str(path)).read()
        except Exception as exc:  # pyhfst raises plain errors on a file that is not a transducer
            raise InputError(
                f"not an HFST optimized-lookup transducer ({type(exc).__name__}: {exc})",
                path=path,
                field="analyser",
                hint="convert it with hfst-fst2fst -O (optimized lookup)",
            ) from None
        return cls(path, _sha256(path), hfst)

    def knows(self, word: str) -> bool:
        return bool(self._hfst.lookup(word))


@dataclass(frozen=True)
class Lexicon:
    keys: frozenset[str]
    sha256: str
    analyser: Analyser | None = None

    @property
    def size(self) -> int:
        return len(self.keys)

    def knows(self, word: str, language: Language) -> bool:
        if language.key(word) in self.keys:
            return True
        return self.analyser is not None and (self.analyser.knows(word) or self.analyser.knows(language.bare(word)))

    def label(self) -> str:
        """For signatures: what the lexicon is, without a single word of it."""
        text = f"lexicon:sha256:{self.sha256[:12]}({self.size} keys)"
        return text + (f"+analyser:sha256:{self.analyser.sha256[:12]}" if self.analyser else "")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _entries(path: Path, language: Language) -> list[str]:
    """The words and phrases a lexicon file lists, whatever its shape."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() != ".jsonl":
        return [line.split("#", 1)[0].strip() for line in text.splitlines() if line.split("#", 1)[0].strip()]
    first = next((json.loads(line) for line in text.splitlines() if line.strip()), None)
    if isinstance(first, dict) and "word" in first:
        words = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            if not isinstance(record, dict) or not isinstance(record.get("word"), str):
                raise InputError("expected an object with a string 'word'", path=path, line=number, field="word")
            words.append(record["word"])
        return words
    from ..contamination import load_training_items

    return [
        w
        for item in load_training_items(path, language=language)
        for w in language.words(item.prompt + "\n" + item.reference)
    ]


def load_lexicon(path: str | Path, language: Language, analyser: str | Path | None = None) -> Lexicon:
    path = Path(path)
    if not path.is_file():
        raise InputError(
            "lexicon not found",
            path=path,
            field="lexicon",
            hint=f"set [languages.{language.code}] lexicon in the config to the community's word list",
        )
    cache_key = (str(path.resolve()), path.stat().st_mtime, language.fingerprint, str(analyser or ""))
    if cache_key not in _CACHE:
        keys = set()
        for entry in _entries(path, language):
            keys.add(language.key(entry))
            keys.update(language.key(token) for token in language.tokens(entry))
        keys.discard("")
        _CACHE[cache_key] = Lexicon(frozenset(keys), _sha256(path), Analyser.load(analyser) if analyser else None)
    return _CACHE[cache_key]


_CACHE: dict[tuple[str, float, str, str], Lexicon] = {}


def lexicon_paths(language: Language, config: Config | None = None) -> tuple[Path | None, Path | None]:
    """Where this machine keeps the language's lexicon and analyser, first found wins: the config's
    `[languages.<code>]` (relative to the config file), `$EVALHARNESS_LEXICON_<CODE>` /
    `$EVALHARNESS_ANALYSER_<CODE>`, then the card's own `[lexicon]` / `[analyser]` paths (`~` expanded)."""
    code = language.code
    settings = config.languages.get(code) if config is not None else None
    env = code.upper().replace("-", "_")

    def pick(configured: str, variable: str, card_path: str) -> Path | None:
        if configured and config is not None:
            return config.resolve(configured)
        if os.environ.get(variable):
            return Path(os.environ[variable]).expanduser()
        return Path(card_path).expanduser() if card_path else None

    return (
        pick(settings.lexicon if settings else "", f"EVALHARNESS_LEXICON_{env}", language.card.lexicon.path),
        pick(settings.analyser if settings else "", f"EVALHARNESS_ANALYSER_{env}", language.card.analyser.path),
    )
