"""Contamination check: does a held-out suite overlap the data a checkpoint was trained on?

Two tests per suite item against every training example: an *exact* match of the normalised prompt
(NFC, case-folded, punctuation and spacing removed), and a *near duplicate* whose normalised
prompt+reference similarity (rapidfuzz's normalised Levenshtein ratio) reaches a threshold while the two
are about the same words. The seed's questions come from a few templates, so "What is the English
translation for 'rhumnâ'?" and "… for 'abe'?" are 90% alike in characters but ask about different
words: items whose headwords are both known and disjoint are different questions, not leaked ones.
The suite is contaminated when the share of flagged items exceeds `max_fraction`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from .errors import InputError
from .importers import import_openai_chat
from .jsonl import read_jsonl
from .suites import Item, Suite, parse_item

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    return _NON_WORD.sub(" ", unicodedata.normalize("NFC", text).casefold()).strip()


@dataclass(frozen=True)
class Hit:
    item_id: str
    kind: str  # "exact" | "near"
    similarity: float
    training_index: int


@dataclass(frozen=True)
class ContaminationReport:
    suite: str
    training_file: str
    n_items: int
    n_training: int
    threshold: float
    max_fraction: float
    hits: tuple[Hit, ...]

    @property
    def fraction(self) -> float:
        return len(self.hits) / self.n_items

    @property
    def contaminated(self) -> bool:
        return self.fraction > self.max_fraction

    def to_json(self) -> dict:
        return {
            "suite": self.suite,
            "training_file": self.training_file,
            "n_items": self.n_items,
            "n_training": self.n_training,
            "threshold": self.threshold,
            "max_fraction": self.max_fraction,
            "n_flagged": len(self.hits),
            "fraction": self.fraction,
            "contaminated": self.contaminated,
            "hits": [h.__dict__ for h in self.hits],
        }


def load_training_items(path: str | Path) -> list[Item]:
    """A training file is OpenAI chat JSONL (what the seed fine-tunes on) or native suite items."""
    path = Path(path)
    first = next(read_jsonl(path))[1]
    if "messages" in first:
        return import_openai_chat(path, id_prefix="train")
    if "prompt" in first:
        return [parse_item(obj, path=path, line=line, kind="dictionary_qa") for line, obj in read_jsonl(path)]
    raise InputError(
        "unrecognised training format",
        path=path,
        line=1,
        hint="expected OpenAI chat JSONL ('messages') or native items ('prompt', 'reference')",
    )


def _same_subject(a: Item, b: Item) -> bool:
    """Unless both items name their headwords and share none, a close match counts as the same question."""
    return not (a.headwords and b.headwords and not set(a.headwords) & set(b.headwords))


def check(
    suite: Suite, training_path: str | Path, *, threshold: float = 90.0, max_fraction: float = 0.0
) -> ContaminationReport:
    training = load_training_items(training_path)
    train_prompts = [normalise(t.prompt) for t in training]
    train_pairs = [normalise(t.prompt + " " + t.reference) for t in training]
    exact_index = {p: i for i, p in enumerate(train_prompts)}
    hits: list[Hit] = []
    for item in suite.items:
        prompt = normalise(item.prompt)
        if prompt in exact_index:
            hits.append(Hit(item.id, "exact", 100.0, exact_index[prompt]))
            continue
        for _, similarity, index in process.extract(
            normalise(item.prompt + " " + item.reference),
            train_pairs,
            scorer=fuzz.ratio,
            score_cutoff=threshold,
            limit=20,
        ):
            if _same_subject(item, training[index]):
                hits.append(Hit(item.id, "near", float(similarity), int(index)))
                break
    return ContaminationReport(
        suite=suite.name,
        training_file=str(training_path),
        n_items=len(suite.items),
        n_training=len(training),
        threshold=threshold,
        max_fraction=max_fraction,
        hits=tuple(hits),
    )
