"""What one turn of the reviewer produced, and how it is shown when no model answered."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .retrieval import Ranked

Status = Literal["answered", "retrieval_only", "interrupted"]

_EXCERPT_CHARS = 400


@dataclass(frozen=True)
class Answer:
    """`passages` are what the model was given (or, with no model, the best passages found); `cited` are
    the labels the answer itself cites. `note` says, without any secret, why no model answered."""

    kind: Literal["assessment", "question"]
    question: str
    status: Status
    text: str
    passages: tuple[Ranked, ...]
    cited: tuple[str, ...] = ()
    model: str | None = None
    note: str | None = None
    usage: dict[str, int | None] = field(default_factory=dict)
    history_turns_dropped: int = 0

    @property
    def sources(self) -> list[str]:
        """What to show under the answer: the cited labels, else every passage it was given."""
        return list(self.cited) if self.cited else [r.passage.label for r in self.passages]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "question": self.question,
            "status": self.status,
            "model_answered": self.status != "retrieval_only",
            "model": self.model,
            "note": self.note,
            "answer": self.text,
            "cited": list(self.cited),
            "sources": self.sources,
            "passages": [r.to_json() for r in self.passages],
            "usage": self.usage,
            "history_turns_dropped": self.history_turns_dropped,
        }


def retrieval_only_chunks(note: str, passages: Sequence[Ranked]) -> Iterable[str]:
    """The retrieval-only reply, one chunk per passage: says plainly that no model answered."""
    yield f"**No model answered.** {note}\n\n"
    if not passages:
        yield "No passage in the corpus matched; is the project root right, and has anything been run?\n"
        return
    yield "The most relevant passages, with their sources:\n\n"
    for number, ranked in enumerate(passages, start=1):
        text = " ".join(ranked.passage.text.split())
        excerpt = text if len(text) <= _EXCERPT_CHARS else text[:_EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"
        yield f"{number}. [{ranked.passage.label}] (similarity {ranked.score:.2f})\n   {excerpt}\n\n"


def find_cited(text: str, labels: Iterable[str]) -> tuple[str, ...]:
    """The labels `text` mentions, in order of first mention; a longer label wins over its own prefix
    (`docs/a.md > Policy` is not also a citation of `docs/a.md`)."""
    remaining = text
    found: dict[str, int] = {}
    for label in sorted(set(labels), key=len, reverse=True):
        position = remaining.find(label)
        if position >= 0:
            found[label] = position
            remaining = remaining.replace(label, "\0" * len(label))
    return tuple(sorted(found, key=found.__getitem__))
