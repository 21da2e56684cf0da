"""A passage: one citable piece of the corpus — a Markdown section, a suite's metadata, a run, a decision."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

PassageKind = Literal["doc", "suite_meta", "rubric", "run", "decision", "champion"]

#: kinds that come from the DuckDB store rather than from files
RESULT_KINDS: frozenset[str] = frozenset({"run", "decision", "champion"})


@dataclass(frozen=True)
class Passage:
    """`source` is a repository-relative file path or a store reference (`run:<id>`, `decision:<id>`,
    `champions`); `heading` is the Markdown heading path inside it. Together they are the citation."""

    source: str
    heading: tuple[str, ...]
    text: str
    kind: PassageKind = "doc"

    @property
    def label(self) -> str:
        """The citation a reader (and the model) uses: `docs/gate.md > Policy > Floors`, `run:run-1a2b`."""
        return " > ".join((self.source, *self.heading))

    @property
    def digest(self) -> str:
        """Content identity: an unchanged passage keeps its embedding across corpus rebuilds."""
        return hashlib.sha256(f"{self.label}\n{self.text}".encode()).hexdigest()

    @property
    def is_result(self) -> bool:
        return self.kind in RESULT_KINDS
