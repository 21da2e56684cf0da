"""Contamination check: does a held-out suite overlap the data a checkpoint was trained on?

Three classes per suite item, against every training row:

- **exact**: the normalised prompt (NFC, case-folded, punctuation and spacing removed) is a training prompt;
- **near**: normalised prompt + reference at least `threshold`% alike (rapidfuzz's normalised Levenshtein
  ratio) while the two are about the same words. The seed's questions come from a few templates, so "What
  is the English translation for 'rhumnâ'?" and "… for 'abe'?" are 90% alike in characters but ask about
  different words: items whose headwords are both known and disjoint are different questions;
- **word**: a word of the language the item holds (a headword, or any word of the language in its prompt
  and reference, per the language card) appears *anywhere* in a training row — quoted or not, in the
  question or in the answer — compared by folded key, so a spelling variant is the same word.

An item is counted once, by its first class in that order. The suite is contaminated when the share of
flagged items exceeds `max_fraction`. A training file may be in any supported format (OpenAI chat, seed
Q&A, either seed dictionary shape, or native items).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz, process

from .errors import InputError
from .importers import detect_format, import_file
from .jsonl import read_jsonl, scan_jsonl
from .suites import Item, Suite, parse_item
from .textnorm import normalise_prompt

if TYPE_CHECKING:
    from .language import Language

#: kept for callers that imported it from here
normalise = normalise_prompt
KINDS = ("exact", "near", "word")


@dataclass(frozen=True)
class Hit:
    item_id: str
    kind: str  # "exact" | "near" | "word"
    similarity: float
    training_index: int
    #: for word-level hits: the held-out words found in training (as the item writes them)
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContaminationReport:
    suite: str
    training_file: str
    n_items: int
    n_training: int
    threshold: float
    max_fraction: float
    hits: tuple[Hit, ...]
    language: str = ""
    #: held-out word (folded key) → training row indexes it appears in (word-level class only)
    leaked_words: dict[str, tuple[int, ...]] | None = None

    @property
    def fraction(self) -> float:
        return len(self.hits) / self.n_items

    @property
    def contaminated(self) -> bool:
        return self.fraction > self.max_fraction

    def counts(self) -> dict[str, int]:
        return {kind: sum(h.kind == kind for h in self.hits) for kind in KINDS}

    def examples(self, kind: str, n: int = 5) -> list[Hit]:
        return [h for h in self.hits if h.kind == kind][:n]

    def to_json(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "training_file": self.training_file,
            "language": self.language or None,
            "n_items": self.n_items,
            "n_training": self.n_training,
            "threshold": self.threshold,
            "max_fraction": self.max_fraction,
            "n_flagged": len(self.hits),
            "counts": self.counts(),
            "word_level": (
                "not checked: the suite names no language (see languages/README.md)"
                if self.leaked_words is None
                else {"leaked_words": len(self.leaked_words), "examples": sorted(self.leaked_words)[:20]}
            ),
            "fraction": self.fraction,
            "contaminated": self.contaminated,
            "hits": [asdict(h) for h in self.hits],
        }


def load_training_items(path: str | Path, *, language: Language | None = None) -> list[Item]:
    """A training file in any supported format: OpenAI chat JSONL (what the seed fine-tunes on), the seed's
    Q&A files, either seed dictionary shape, or native suite items. Every invalid row is an error."""
    path = Path(path)
    first = next((r for r in scan_jsonl(path) if r.obj is not None), None)
    fmt = detect_format(first.obj) if first is not None and first.obj is not None else None
    if fmt == "native":
        return [parse_item(obj, path=path, line=line, kind="dictionary_qa") for line, obj in read_jsonl(path)]
    if fmt is None:
        raise InputError(
            "unrecognised training format",
            path=path,
            line=first.line if first else 1,
            hint="expected OpenAI chat JSONL ('messages'), seed Q&A ('question', 'answer'), a seed "
            "dictionary ('english_word' or 'stoney_word'), or native items ('prompt', 'reference')",
        )
    result = import_file(fmt, path, language=language, id_prefix="train", merge=False)
    result.raise_if_rejected()
    return result.items


def _same_subject(a: Item, b: Item) -> bool:
    """Unless both items name their headwords and share none, a close match counts as the same question."""
    return not (a.headwords and b.headwords and not set(a.headwords) & set(b.headwords))


def item_words(item: Item, language: Language) -> dict[str, str]:
    """Folded key → written form of every word of the language the item holds (headwords and text)."""
    words = [h for h in item.headwords if language.is_word(h)] + language.words(item.prompt + "\n" + item.reference)
    return {language.key(w): w for w in words if language.key(w)}


def training_vocabulary(training: list[Item], language: Language) -> dict[str, list[int]]:
    """Folded key → the training rows (indexes) in which a word of the language with that key appears."""
    vocab: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(training):
        for key in {language.key(w) for w in language.words(row.prompt + "\n" + row.reference)}:
            vocab[key].append(index)
    return vocab


def check(
    suite: Suite,
    training_path: str | Path,
    *,
    threshold: float = 90.0,
    max_fraction: float = 0.0,
    language: Language | None = None,
) -> ContaminationReport:
    """All three classes; the word level needs a language (the suite's own card unless one is given)."""
    language = language or suite.language()
    training = load_training_items(training_path, language=language)
    train_prompts = [normalise_prompt(t.prompt) for t in training]
    train_pairs = [normalise_prompt(t.prompt + " " + t.reference) for t in training]
    exact_index: dict[str, int] = {}
    for i, p in enumerate(train_prompts):
        exact_index.setdefault(p, i)
    vocab = training_vocabulary(training, language) if language is not None else None
    leaked: dict[str, tuple[int, ...]] = {}
    hits: list[Hit] = []
    for item in suite.items:
        words = item_words(item, language) if language is not None else {}
        shared = sorted(k for k in words if vocab is not None and k in vocab)
        for key in shared:
            assert vocab is not None
            leaked[key] = tuple(vocab[key][:5])
        prompt = normalise_prompt(item.prompt)
        if prompt in exact_index:
            hits.append(Hit(item.id, "exact", 100.0, exact_index[prompt]))
            continue
        near = next(
            (
                Hit(item.id, "near", float(similarity), int(index))
                for _, similarity, index in process.extract(
                    normalise_prompt(item.prompt + " " + item.reference),
                    train_pairs,
                    scorer=fuzz.ratio,
                    score_cutoff=threshold,
                    limit=20,
                )
                if _same_subject(item, training[index])
            ),
            None,
        )
        if near is not None:
            hits.append(near)
        elif shared and vocab is not None:
            hits.append(Hit(item.id, "word", 100.0, vocab[shared[0]][0], tuple(words[k] for k in shared)))
    return ContaminationReport(
        suite=suite.name,
        training_file=str(training_path),
        n_items=len(suite.items),
        n_training=len(training),
        threshold=threshold,
        max_fraction=max_fraction,
        hits=tuple(hits),
        language=language.code if language else "",
        leaked_words=leaked if language is not None else None,
    )
